"""A tiny embedding model made inside the tests: an ONNX graph and a WordPiece tokenizer in the
directory layout a real local model has (model.onnx, tokenizer.json, config.json,
special_tokens_map.json, tokenizer_config.json), so it loads through the same code path.

The graph maps each token to a fixed vector (a lookup table), adds a token-type vector and masks
padding: ``last_hidden_state`` (batch, seq, dim) from ``input_ids``, ``attention_mask`` and
``token_type_ids``, which is what fastembed feeds a BERT-like model. Mean pooling then gives the
average of a text's token vectors. Words listed together in ``groups`` share most of their
vector, so texts about the same thing (in different words) land close: enough to test search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Words that mean nearly the same (in the tiny model): each group shares a direction.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("database", "sqlite", "storage", "table", "store"),
    ("search", "query", "find", "lookup", "scry"),
    ("error", "failure", "crash", "bug", "exception"),
    ("commit", "git", "history", "log"),
    ("embedding", "vector", "model", "onnx"),
    ("test", "check", "verify", "assert"),
    ("fast", "speed", "latency", "slow", "performance"),
    ("hook", "trigger", "callback"),
)
FILLER = ("the", "a", "of", "to", "and", "is", "we", "use", "for", "in", "on", "with", "not", "it",
          "why", "how", "what", "keep", "add", "make", "one", "new", "old", "all", "when")


def vocabulary(groups: Sequence[Sequence[str]] = GROUPS, extra: Sequence[str] = FILLER) -> list[str]:
    words = list(SPECIAL)
    for word in [w for g in groups for w in g] + list(extra):
        if word not in words:
            words.append(word)
    return words


def make_tiny_model(directory: str | Path, *, dim: int = 16, seed: int = 7,
                    groups: Sequence[Sequence[str]] = GROUPS, extra: Sequence[str] = FILLER,
                    dense: bool = False, int8_weights: bool = False) -> Path:
    """Write the tiny model into ``directory`` (created) and return it. ``dense``: the summed
    token vectors then go through a weight product (a dim x dim matrix near the identity), as
    a transformer's layers do: a graph with something for int8 to compute. ``int8_weights``
    (with ``dense``): the token table and the dense weight are stored as int8 with a float scale
    per row / per column and turned to float by Cast and Mul in the graph, as the shared
    MiniLM's are."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    words = vocabulary(groups, extra)
    ids = {w: i for i, w in enumerate(words)}

    rng = np.random.default_rng(seed)
    table = rng.normal(0, 0.3, size=(len(words), dim)).astype(np.float32)
    centers = rng.normal(0, 1.0, size=(len(groups), dim)).astype(np.float32)
    for g, group in enumerate(groups):
        for word in group:
            table[ids[word]] += centers[g]
    for special in SPECIAL:
        table[ids[special]] *= 0.05  # [CLS]/[SEP] barely move the mean
    type_table = np.zeros((2, dim), dtype=np.float32)
    weight = (np.eye(dim) + rng.normal(0, 0.1, size=(dim, dim))).astype(np.float32)

    stored, dequantize = [], []
    if int8_weights:
        table, stored_table, table_nodes = _int8_stored(table, "word_table", axis=1)
        weight, stored_weight, weight_nodes = _int8_stored(weight, "dense_weight", axis=0)
        stored, dequantize = stored_table + stored_weight, table_nodes + weight_nodes
    graph = helper.make_graph(
        nodes=[
            *dequantize,
            helper.make_node("Gather", ["word_table", "input_ids"], ["words"], axis=0),
            helper.make_node("Gather", ["type_table", "token_type_ids"], ["types"], axis=0),
            helper.make_node("Add", ["words", "types"], ["summed" if not dense else "raw"]),
            *([helper.make_node("MatMul", ["raw", "dense_weight"], ["summed"])] if dense else []),
            helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask_f", "last_axis"], ["mask3"]),
            helper.make_node("Mul", ["summed", "mask3"], ["last_hidden_state"]),
        ],
        name="patina-tiny",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])],
        initializer=[
            *([numpy_helper.from_array(table, "word_table")] if not int8_weights else []),
            numpy_helper.from_array(type_table, "type_table"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
            *([numpy_helper.from_array(weight, "dense_weight")] if dense and not int8_weights else []),
            *stored,
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="patina-tests")
    model.ir_version = 8  # loadable by any onnxruntime of the last years
    onnx.checker.check_model(model)
    onnx.save(model, str(out / "model.onnx"))

    tokenizer = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tokenizer.save(str(out / "tokenizer.json"))

    (out / "config.json").write_text(json.dumps({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": dim, "pad_token_id": 0,
        "vocab_size": len(words), "max_position_embeddings": 128}, indent=1), encoding="utf-8")
    (out / "special_tokens_map.json").write_text(json.dumps({
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]"}), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({
        "do_lower_case": True, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
        "cls_token": "[CLS]", "mask_token": "[MASK]", "tokenizer_class": "BertTokenizer",
        "model_max_length": 128}), encoding="utf-8")
    return out


def reference_embedding(directory: str | Path, text: str):
    """What the tiny model should give for ``text``, computed without fastembed or onnxruntime:
    the mean of its token vectors (with [CLS]/[SEP]), L2-normalised."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    from tokenizers import Tokenizer

    directory = Path(directory)
    model = onnx.load(str(directory / "model.onnx"))
    table = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}["word_table"]
    ids = Tokenizer.from_file(str(directory / "tokenizer.json")).encode(text).ids
    vec = table[ids].mean(axis=0)
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def _int8_stored(matrix, name: str, axis: int):
    """``matrix`` stored as int8 with a float scale along ``axis`` (max |value| -> 127): (the
    float values the graph computes, [int8 table, scale] initializers, [Cast, Mul] nodes giving
    ``name``)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    scale = (np.abs(matrix).max(axis=axis, keepdims=True) / 127.0).astype(np.float32)
    quantized = np.round(matrix / scale).astype(np.int8)
    values = quantized.astype(np.float32) * scale
    inits = [numpy_helper.from_array(quantized, f"{name}_q"), numpy_helper.from_array(scale, f"{name}_scale")]
    nodes = [helper.make_node("Cast", [f"{name}_q"], [f"{name}_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", [f"{name}_f", f"{name}_scale"], [name])]
    return values, inits, nodes
