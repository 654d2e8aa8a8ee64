"""The embedding model: which one, where its files are, and turning texts into vectors.

A model is named by the recipe (a fastembed model name, ``BAAI/bge-small-en-v1.5`` by default)
and found locally, in this order:

1. a directory given explicitly (``patina oxidize --model-path DIR``), which is then remembered
   in ``.patina/data/`` (:func:`remember_model_path`) for later calls;
2. ``PATINA_MODEL_PATH``;
3. the directory remembered earlier;
4. fastembed's own cache (``FASTEMBED_CACHE_PATH`` or its default), downloading the model on
   first use where a network exists.

A directory holds ``model.onnx`` + ``tokenizer.json`` + ``config.json`` +
``special_tokens_map.json`` + ``tokenizer_config.json`` and is loaded through fastembed's own
custom-model path (``TextEmbedding.add_custom_model`` + ``specific_model_path``), mean pooling
and L2 normalisation (CLS pooling when a sentence-transformers ``1_Pooling/config.json`` says
so). Whatever goes wrong, the caller gets :class:`ModelUnavailable`: one line naming the model
that was needed and how to provide it.

The model's identity (name, sha256 of its ONNX file, dimension) is what the vectors were made
with; it is recorded beside them so a different model is noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from urllib.parse import urlparse

from patina.errors import EXIT_USAGE, PatinaError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

DEFAULT_MODEL = "BAAI/bge-small-en-v1.5"
ENV_MODEL_PATH = "PATINA_MODEL_PATH"
MODEL_FILES = ("model.onnx", "tokenizer.json", "config.json", "special_tokens_map.json", "tokenizer_config.json")
# Where the remembered --model-path is kept, inside .patina/data/.
REMEMBERED_FILE = "oxidize_model.json"
# Texts per ONNX run. Batches are cut from the texts sorted by token count, so padding stays small;
# measured on the shared MiniLM (bench/bench_embed.py): 16 a little faster than 32, 64 slower.
BATCH_SIZE = 16
# Seconds to wait for the model hub's host before saying there is no network.
PROBE_TIMEOUT = 2.0
_HOW = (f"give a local model directory ({', '.join(MODEL_FILES)}) with {ENV_MODEL_PATH}=DIR or "
        "`patina oxidize --model-path DIR`")


class ModelUnavailable(PatinaError):
    """No usable embedding model: the message is one line saying which and how to provide it."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class ModelIdentity:
    """What the vectors were made with: recorded beside them, compared before reuse."""

    name: str  # the recipe's model name, or "local:<dir name>" for a directory
    sha256: str  # of the ONNX file
    dim: int
    compute: str = "float"  # how its weight products ran: float or int8 (vectors of both never mix)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "ModelIdentity":
        data = json.loads(text)
        return cls(str(data["name"]), str(data["sha256"]), int(data["dim"]), str(data.get("compute") or "float"))

    def label(self) -> str:
        """``name sha256[:12]``, and `` int8`` when so computed (for messages)."""
        return f"{self.name} {self.sha256[:12]}" + ("" if self.compute == "float" else f" {self.compute}")


class Embedder:
    """A loaded model. ``embed(texts)`` gives float32 (n, dim) rows, L2-normalised, in input order.

    Texts are tokenized first (one Rust call for all of them), cut at ``max_tokens``, ordered by
    their token count and run through the model's ONNX session in batches of similar length, each
    at most ``batch_size`` texts and :data:`BATCH_TOKENS` padded tokens, then pooled and
    normalised exactly as fastembed does for this model (mean or CLS pooling). A model of a kind
    this cannot reproduce goes through fastembed's own ``embed``. After :meth:`use_int8` the
    weight products run in int8 and each text runs alone (its vector then depends on it only).
    """

    def __init__(self, backend, identity: ModelIdentity, model_dir: Path, batch_size: int = BATCH_SIZE,
                 max_tokens: int | None = None, threads: int | None = None) -> None:
        self._backend = backend  # a fastembed TextEmbedding
        self.identity = identity
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one ONNX run at a time (a service may share the embedder)
        self._post = _postprocessing(backend)
        self._counter = None  # the tokenizer without padding (token counts)
        self.workers = 1  # processes for large jobs (see set_workers)
        self._pool = None
        inner = backend.model
        self.model_file = Path(inner._model_dir) / inner.model_description.model_file  # the graph that runs
        self.int8_note = ""  # why int8 was asked for and not used
        self._session = None  # the session of model_file, when it is not fastembed's own
        self._threads = threads  # intra-op threads of an int8 session (None: every core)
        if max_tokens:
            self.set_max_tokens(max_tokens)

    def use_int8(self, cache_dir: str | os.PathLike) -> str:
        """Run the model's weight products in int8 (see :func:`int8_model`), through a graph made
        once and kept in ``cache_dir``. Returns (and keeps in ``int8_note``) why not when it
        cannot, then it stays float: a model kind this does not run itself, no weight product,
        or the conversion failed."""
        self.int8_note = self._int8_graph(cache_dir)
        return self.int8_note

    def _int8_graph(self, cache_dir: str | os.PathLike) -> str:
        if self._post is None:
            return "fastembed runs this model itself"
        try:
            target = int8_model(self.model_file, self.identity.sha256, Path(cache_dir))
            session = _session(target, self._threads)
        except Int8Unavailable as exc:
            return str(exc)
        except Exception as exc:  # onnx/onnxruntime raise their own kinds
            return f"int8 conversion failed ({_one_line(exc)})"
        with self._lock:
            self.model_file, self._session = target, session
            self.identity = replace(self.identity, compute="int8")
            self.close()  # workers of the float graph, if any
        return ""

    def set_workers(self, workers: int) -> None:
        """Run large jobs (at least :data:`WORKER_MIN` texts) in ``workers`` processes, each with a
        one-thread session of the same model file: on a few cores, data parallelism beats one
        session's intra-op threads (bench/bench_embed.py). 1: this process only."""
        self.workers = max(1, int(workers))

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Embedder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _workers_pool(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_worker_init, initargs=(str(self.model_file), self._post))
        return self._pool

    @property
    def dim(self) -> int:
        return self.identity.dim

    @property
    def compute(self) -> str:
        """How the weight products run: "float", or "int8" after :meth:`use_int8`."""
        return self.identity.compute

    @property
    def max_tokens(self) -> int | None:
        trunc = self._backend.model.tokenizer.truncation
        return int(trunc["max_length"]) if trunc else None

    def set_max_tokens(self, max_tokens: int) -> None:
        """Cut every text at ``max_tokens`` model tokens, never beyond the model's own limit: the
        smaller of fastembed's (tokenizer_config.json's model_max_length) and the truncation the
        model's tokenizer.json was exported with (what it was trained for, e.g. 128 for
        all-MiniLM-L6-v2; fastembed discards it)."""
        tokenizer = self._backend.model.tokenizer
        trunc = tokenizer.truncation or {}
        limit = min(int(max_tokens), int(trunc.get("max_length") or max_tokens),
                    _exported_truncation(self.model_dir) or int(max_tokens))
        tokenizer.enable_truncation(max_length=limit, direction=trunc.get("direction", "right"))
        self._counter = None

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        if self._counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self._backend.model.tokenizer.to_str())
            counter.no_padding()
            self._counter = counter
        return [e.ids for e in self._counter.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str], *, sort: bool = True, batch_size: int | None = None,
              progress=None) -> "np.ndarray":
        """Vectors of ``texts`` (float32, (len(texts), dim), unit length), row i for text i.

        ``sort``: run the texts in batches of similar token count (shortest first) so a batch is
        padded to little more than its own texts; rows still come back in input order.
        ``progress(done, total)`` is told after each batch.
        """
        import numpy as np

        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # int8: a text alone in its run, since an activation's quantization scale is taken over
        # the whole batch; so a vector is a function of its text only, whatever ran beside it.
        size = 1 if self.compute == "int8" else (batch_size or self.batch_size)
        with self._lock:
            if self._post is None:  # a model kind we do not reproduce: fastembed's own path
                order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i)) if sort else list(range(len(texts)))
                rows = self._backend.embed([texts[i] for i in order], batch_size=size)
                for at, row in zip(order, rows):
                    out[at] = row
                return normalize(out)
            ids = self._token_ids(texts)
            order = sorted(range(len(texts)), key=lambda i: (len(ids[i]), i)) if sort else list(range(len(texts)))
            batches = list(_batches(order, ids, size, BATCH_TOKENS if sort else None))
            if self.workers > 1 and len(texts) >= WORKER_MIN:
                results = self._workers_pool().map(_worker_run, (_padded(b, ids) for b in batches),
                                                   chunksize=max(1, WORKER_TEXTS // size))
            else:
                session = self._session or self._backend.model.model
                results = (_pool(session, self._post, *_padded(b, ids)) for b in batches)
            done = 0
            for batch, rows in zip(batches, results):
                out[batch] = rows
                done += len(batch)
                if progress is not None:
                    progress(done, len(texts))
        return normalize(out)

    def embed_one(self, text: str) -> "np.ndarray":
        return self.embed([text])[0]


# Padded tokens per ONNX run at most (a batch of long texts holds fewer of them): measured on the
# shared MiniLM, bench/bench_embed.py.
BATCH_TOKENS = 4096


def _exported_truncation(model_dir: Path) -> int | None:
    """The max_length the model's tokenizer.json truncates at, if it says."""
    try:
        with open(Path(model_dir) / "tokenizer.json", encoding="utf-8") as fh:
            trunc = json.load(fh).get("truncation") or {}
        value = int(trunc.get("max_length") or 0)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return value if value > 0 else None


# Texts below which a job stays in this process (starting workers costs ~1 s).
WORKER_MIN = 256
# Texts sent to a worker at a time (fewer round trips when batches are small).
WORKER_TEXTS = 32


def _padded(batch: list[int], ids: list[list[int]]):
    """(input_ids, attention_mask) of the texts ``batch`` (indexes into ``ids``), padded with 0."""
    import numpy as np

    width = max(max(len(ids[i]) for i in batch), 1)
    input_ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, i in enumerate(batch):
        input_ids[row, :len(ids[i])] = ids[i]
        mask[row, :len(ids[i])] = 1
    return input_ids, mask


_WORKER: dict = {}


def _session(model_file: str | os.PathLike, threads: int | None = None):
    """An onnxruntime CPU session of ``model_file``, every graph optimisation on; ``threads``:
    intra-op threads (None: onnxruntime's default, every core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def _worker_init(model_file: str, post) -> None:
    """A worker process: its own one-thread session of the model file."""
    _WORKER["session"] = _session(model_file, 1)
    _WORKER["post"] = post


# ------------------------------------------------------------------------------ int8 computation

class Int8Unavailable(Exception):
    """The model has nothing int8 can speed up (its message says why)."""


# Inside a data directory: the int8 graphs made from model files (local, never committed).
INT8_DIR = "models"


def int8_model(source: str | os.PathLike, sha256: str, cache_dir: str | os.PathLike) -> Path:
    """The int8 graph of the ONNX file ``source`` (whose sha256 is ``sha256``), made once into
    ``cache_dir`` and reused: every matrix product of an activation by a weight runs as
    onnxruntime's dynamic quantization does it (the activation quantized to uint8 per call, the
    weight to int8 per output column, integer products, one float rescale). A weight stored as
    int8 with a float scale per column (Cast then Mul, as the shared MiniLM's are) is unfolded
    and quantized back to the very same int8 values; other such tables (the token embeddings)
    stay as stored. Products of two activations (attention) stay float. On 2 cores this runs the
    shared MiniLM 1.3-1.4x as fast as float, its vectors within cosine 0.97 (mean 0.992) of
    float ones (bench/bench_embed.py).

    The file's name holds the source's hash, this format and onnxruntime's version: another
    model or another onnxruntime makes its own, and replaces the source's older ones. Written to
    a temporary name and renamed, so concurrent callers never see half a file. Raises
    :class:`Int8Unavailable` for a graph without weight products."""
    import onnxruntime as ort

    cache = Path(cache_dir)
    prefix = f"{sha256[:16]}-int8"
    target = cache / f"{prefix}-{INT8_FORMAT}-ort{ort.__version__}.onnx"
    if target.is_file():
        return target
    import logging
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    _unfold_int8_weights(model.graph)
    weights = {i.name for i in model.graph.initializer}
    nodes = [n.name for n in model.graph.node if n.op_type == "MatMul" and len(n.input) == 2 and n.input[1] in weights]
    if not nodes:
        raise Int8Unavailable("the model has no weight products to run in int8")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".int8-") as work:
        unfolded, made = Path(work) / "unfolded.onnx", Path(work) / "int8.onnx"
        onnx.save(model, str(unfolded))
        logging.disable(logging.WARNING)  # the quantizer's advice goes to the root logger
        try:
            quantize_dynamic(str(unfolded), str(made), weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_quantize=nodes)
        finally:
            logging.disable(logging.NOTSET)
        os.replace(made, target)
    for old in cache.glob(f"{prefix}-*.onnx"):  # the same model's graphs of another format or onnxruntime
        if old != target:
            old.unlink(missing_ok=True)
    return target


# The int8 graph's format, in its file name: a change here makes every cached graph anew.
INT8_FORMAT = "f2"


def _unfold_int8_weights(graph) -> None:
    """Give each MatMul whose weight is ``Mul(Cast(int8 table), scale)`` that weight as a float
    initializer (the very values Cast and Mul compute), so the quantizer sees a weight product;
    the Cast and Mul nodes and tables nobody reads any more are dropped."""
    import numpy as np
    from onnx import numpy_helper

    tables = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    dropped: set[int] = set()
    made = []
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) != 2 or node.input[1] in tables:
            continue
        mul = producer.get(node.input[1])
        if mul is None or mul.op_type != "Mul" or len(mul.input) != 2:
            continue
        for quantized, scale in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
            cast = producer.get(quantized)
            if cast is not None and cast.op_type == "Cast" and cast.input[0] in tables and scale in tables:
                break
        else:
            continue
        table = numpy_helper.to_array(tables[cast.input[0]])
        if table.dtype not in (np.int8, np.uint8) or id(mul) in dropped:
            continue
        weight = table.astype(np.float32) * numpy_helper.to_array(tables[scale]).astype(np.float32)
        made.append(numpy_helper.from_array(weight, mul.output[0]))
        dropped.add(id(mul))
    if not made:
        return
    keep = [n for n in graph.node if id(n) not in dropped]
    read = {name for n in keep for name in n.input} | {o.name for o in graph.output}
    keep = [n for n in keep if n.op_type != "Cast" or any(out in read for out in n.output)]
    read = {name for n in keep for name in n.input} | {o.name for o in graph.output}
    del graph.node[:]
    graph.node.extend(keep)
    graph.initializer.extend(made)
    unused = [i for i in graph.initializer if i.name not in read]
    for init in unused:
        graph.initializer.remove(init)


def _worker_run(arrays) -> "np.ndarray":
    return _pool(_WORKER["session"], _WORKER["post"], *arrays)


def _batches(order: list[int], ids: list[list[int]], size: int, budget: int | None):
    """Consecutive runs of ``order``: at most ``size`` texts and (with ``budget``) at most
    ``budget`` padded tokens (the longest text times the count; always at least one text)."""
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= size or (budget and (len(batch) + 1) * max(len(ids[i]), 1) > budget)):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def _pool(session, post: tuple[str, bool, str | None], input_ids, mask) -> "np.ndarray":
    """The model's pooled output for one padded batch (what fastembed computes, before normalising)."""
    import numpy as np

    pooling, _normalize, output = post
    inputs = {i.name for i in session.get_inputs()}
    feed = {"input_ids": input_ids}
    if "attention_mask" in inputs:
        feed["attention_mask"] = mask
    if "token_type_ids" in inputs:
        feed["token_type_ids"] = np.zeros_like(input_ids)
    hidden = session.run([output] if output else None, feed)[0]
    if hidden.ndim == 2:
        return hidden.astype(np.float32, copy=False)
    if pooling == "CLS":
        return hidden[:, 0].astype(np.float32, copy=False)
    weights = mask[..., None].astype(hidden.dtype)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    return (summed / counts).astype(np.float32, copy=False)


def normalize(matrix: "np.ndarray") -> "np.ndarray":
    """Rows scaled to unit length (zero rows stay zero), float32."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


# ----------------------------------------------------------------------------- where the model is

def remembered_model_path(data_dir: str | os.PathLike | None) -> str | None:
    """The directory an earlier ``--model-path`` left in ``data_dir``, or None."""
    if data_dir is None:
        return None
    try:
        with open(Path(data_dir) / REMEMBERED_FILE, encoding="utf-8") as fh:
            value = json.load(fh).get("model_path")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def remember_model_path(data_dir: str | os.PathLike, model_path: str | os.PathLike) -> None:
    """Keep ``model_path`` (absolute) in ``data_dir`` for later calls (a local file, never committed)."""
    target = Path(data_dir) / REMEMBERED_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"model_path": str(Path(model_path).resolve())}, sort_keys=True) + "\n",
                   encoding="utf-8")
    os.replace(tmp, target)


def resolve_model_path(model_path: str | os.PathLike | None = None,
                       data_dir: str | os.PathLike | None = None) -> str | None:
    """The local model directory to use: explicit > $PATINA_MODEL_PATH > remembered; None: by name."""
    if model_path:
        return str(model_path)
    env = os.environ.get(ENV_MODEL_PATH)
    if env:
        return env
    return remembered_model_path(data_dir)


def load_model(model_name: str | None = None, model_path: str | os.PathLike | None = None, *,
               data_dir: str | os.PathLike | None = None, cache_dir: str | None = None,
               threads: int | None = None, remember: bool = True) -> Embedder:
    """The embedder for the recipe's ``model_name`` (default :data:`DEFAULT_MODEL`), from a local
    directory when one is given, set or remembered (see :func:`resolve_model_path`), else from
    fastembed's cache or hub. An explicit ``model_path`` is remembered in ``data_dir``.
    Raises :class:`ModelUnavailable` (one line) when no model can be had."""
    name = model_name or DEFAULT_MODEL
    directory = resolve_model_path(model_path, data_dir)
    if directory is not None:
        embedder = load_directory(directory, name=name, threads=threads)
        if model_path and remember and data_dir is not None:
            remember_model_path(data_dir, directory)
        return embedder
    return load_named(name, cache_dir=cache_dir, threads=threads)


def int8_cache_dir(data_dir: str | os.PathLike | None) -> Path:
    """Where int8 graphs are kept: ``<data_dir>/models``, else the user's cache
    (``$XDG_CACHE_HOME/patina/models``, default ``~/.cache/patina/models``)."""
    if data_dir is not None:
        return Path(data_dir) / INT8_DIR
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "patina" / INT8_DIR


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quiet_fastembed():
    """Import fastembed with its logger silenced (its errors become our one line)."""
    try:
        from loguru import logger

        logger.disable("fastembed")
    except ImportError:  # pragma: no cover
        pass
    import fastembed

    return fastembed


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else (text or type(exc).__name__)


def _pooling_of(directory: Path):
    """MEAN, unless a sentence-transformers pooling config in the directory says CLS."""
    from fastembed.common.model_description import PoolingType

    try:
        config = json.loads((directory / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return PoolingType.MEAN
    if config.get("pooling_mode_cls_token") and not config.get("pooling_mode_mean_tokens"):
        return PoolingType.CLS
    return PoolingType.MEAN


_registered: dict[str, int] = {}  # custom names registered with fastembed in this process -> dim
_register_lock = threading.Lock()


def load_directory(directory: str | os.PathLike, *, name: str | None = None, threads: int | None = None) -> Embedder:
    """An embedder from a local model directory, through fastembed's custom-model path."""
    path = Path(directory).expanduser()
    need = f"the embedding model {name or DEFAULT_MODEL}"
    if not path.is_dir():
        raise ModelUnavailable(f"no embedding model: {path} is not a directory ({need} was asked for); {_HOW}")
    missing = [f for f in MODEL_FILES if not (path / f).is_file()]
    if missing:
        raise ModelUnavailable(f"no embedding model: {path} lacks {', '.join(missing)}; {_HOW}")
    try:
        digest = file_sha256(path / "model.onnx")
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        dim = int(config.get("hidden_size") or config.get("dim") or config.get("d_model") or 0)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ModelUnavailable(f"no embedding model: {path} cannot be read ({_one_line(exc)}); {_HOW}") from None
    fastembed = _quiet_fastembed()
    from fastembed.common.model_description import ModelSource

    TextEmbedding = fastembed.TextEmbedding
    pooling = _pooling_of(path)
    # One registration per distinct model file and pooling (fastembed's registry is per process).
    custom = f"patina-local/{digest[:16]}-{pooling.value.lower()}"
    try:
        with _register_lock:
            if custom not in _registered:
                TextEmbedding.add_custom_model(
                    model=custom, pooling=pooling, normalization=True,
                    sources=ModelSource(hf=custom), dim=dim or 1, model_file="model.onnx",
                    description=f"local model directory {path.name}")
                _registered[custom] = dim
            backend = TextEmbedding(model_name=custom, specific_model_path=str(path), threads=threads)
        # One text through the whole path: a model that loads but cannot run fails here, not later.
        real_dim = int(next(iter(backend.embed(["patina"], batch_size=1))).shape[-1])
    except Exception as exc:  # fastembed/onnxruntime/tokenizers each raise their own kinds
        raise ModelUnavailable(
            f"no embedding model: {path / 'model.onnx'} could not be loaded ({_one_line(exc)}); {_HOW}") from None
    return Embedder(backend, ModelIdentity(f"local:{path.name}", digest, real_dim), path, threads=threads)


def _hub_host() -> str:
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    return urlparse(endpoint).hostname or "huggingface.co"


def network_reachable(host: str | None = None, timeout: float = PROBE_TIMEOUT) -> bool:
    """Can a TCP connection to the model hub be opened within ``timeout`` seconds? Bounded even
    when name resolution hangs (the probe runs in a daemon thread), so an offline machine never
    waits on the hub's own retries and back-off."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "TRUE", "YES", "ON"}:
        return False
    answer: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host or _hub_host(), 443), timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=probe, name="patina-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(answer and answer[0])


def supported_models() -> list[str]:
    """fastembed's dense text models, by name."""
    fastembed = _quiet_fastembed()
    return [m["model"] for m in fastembed.TextEmbedding.list_supported_models()]


def load_named(name: str, *, cache_dir: str | None = None, threads: int | None = None) -> Embedder:
    """A fastembed model by name: from its cache, else downloaded (only when the hub answers)."""
    fastembed = _quiet_fastembed()
    TextEmbedding = fastembed.TextEmbedding
    known = {m.lower(): m for m in supported_models()}
    if name.lower() not in known:
        raise ModelUnavailable(
            f"no embedding model: {name!r} is not a fastembed model name (see fastembed's "
            f"TextEmbedding.list_supported_models()); set embedding_model in .patina/oxidize.yaml or {_HOW}")
    backend = None
    try:
        backend = TextEmbedding(model_name=name, cache_dir=cache_dir, threads=threads, local_files_only=True)
    except Exception:
        backend = None
    if backend is None:
        if not network_reachable():
            raise ModelUnavailable(
                f"no embedding model: {name} is not in fastembed's cache and the model hub cannot be "
                f"reached; download it once where a network exists, or {_HOW}")
        try:
            backend = TextEmbedding(model_name=name, cache_dir=cache_dir, threads=threads)
        except Exception as exc:
            raise ModelUnavailable(f"no embedding model: {name} could not be downloaded ({_one_line(exc)}); "
                                   f"{_HOW}") from None
    try:
        model_dir = Path(backend.model._model_dir)
        model_file = model_dir / backend.model.model_description.model_file
        digest = file_sha256(model_file)
        dim = int(next(iter(backend.embed(["patina"], batch_size=1))).shape[-1])
    except Exception as exc:
        raise ModelUnavailable(f"no embedding model: {name} could not be loaded ({_one_line(exc)}); {_HOW}") from None
    return Embedder(backend, ModelIdentity(name, digest, dim), model_dir, threads=threads)


# ------------------------------------------------------------------------- a light query encoder

QUERY_SPEC_FILE = "oxidize_query_model.json"
QUERY_TOKENIZER_FILE = "oxidize_query_tokenizer.json"


def _postprocessing(backend) -> tuple[str, bool, str | None] | None:
    """(pooling, normalize, output name) of a fastembed text model, when it is one this module can
    reproduce (BERT-like: CLS or mean pooling over the first or named output); else None."""
    from fastembed.text.custom_text_embedding import CustomTextEmbedding
    from fastembed.text.onnx_embedding import OnnxTextEmbedding
    from fastembed.text.pooled_embedding import PooledEmbedding
    from fastembed.text.pooled_normalized_embedding import PooledNormalizedEmbedding

    inner = backend.model
    names = getattr(inner, "ONNX_OUTPUT_NAMES", None)
    output = names[0] if names else None
    if isinstance(inner, CustomTextEmbedding):
        pooling = inner._pooling.value
        return (pooling, bool(inner._normalization), output) if pooling in ("MEAN", "CLS") else None
    if type(inner) in (PooledEmbedding, PooledNormalizedEmbedding):
        return "MEAN", type(inner) is PooledNormalizedEmbedding, output
    if type(inner) is OnnxTextEmbedding:
        return "CLS", True, output
    return None


def save_query_spec(embedder: Embedder, directory: str | os.PathLike) -> Path | None:
    """Record in ``directory`` (``.patina/data/``) what :func:`load_query_encoder` needs to embed
    queries without importing fastembed (a cold CLI saves ~1 s): the ONNX file (path, size, mtime),
    the pooling, and the tokenizer exactly as fastembed configured it. None when the model is of a
    kind the light encoder cannot reproduce (then queries go through fastembed)."""
    post = _postprocessing(embedder._backend)
    if post is None:
        return None
    inner = embedder._backend.model
    model_file = Path(embedder.model_file)
    stat = model_file.stat()
    target = Path(directory)
    (target / QUERY_TOKENIZER_FILE).write_text(inner.tokenizer.to_str(), encoding="utf-8")
    spec = {"identity": json.loads(embedder.identity.to_json()), "model_file": str(model_file.resolve()),
            "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "pooling": post[0], "normalize": post[1],
            "output": post[2]}
    path = target / QUERY_SPEC_FILE
    path.write_text(json.dumps(spec, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return path


class QueryEncoder:
    """Embeds a few texts (queries) with onnxruntime and tokenizers alone, as fastembed would."""

    def __init__(self, spec: dict, tokenizer, session) -> None:
        self.identity = ModelIdentity(**spec["identity"])
        self._spec = spec
        self._tokenizer = tokenizer
        self._session = session
        self._inputs = {i.name for i in session.get_inputs()}
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.identity.dim

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):  # one at a time: no padding, so nothing to mask
            enc = self._tokenizer.encode(text)
            feed = {"input_ids": np.array([enc.ids], dtype=np.int64)}
            if "attention_mask" in self._inputs:
                feed["attention_mask"] = np.array([enc.attention_mask], dtype=np.int64)
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.array([enc.type_ids], dtype=np.int64)
            with self._lock:
                hidden = self._session.run([self._spec["output"]] if self._spec["output"] else None, feed)[0]
            if hidden.ndim == 3:
                hidden = hidden[0, 0] if self._spec["pooling"] == "CLS" else hidden[0].mean(axis=0)
            else:
                hidden = hidden[0]
            out[i] = hidden
        return normalize(out)

    def embed_one(self, text: str) -> "np.ndarray":
        return self.embed([text])[0]


def load_query_encoder(directory: str | os.PathLike, *, threads: int | None = 1) -> QueryEncoder | None:
    """The light encoder recorded by :func:`save_query_spec`, or None (nothing recorded, or the
    model file changed since: then load the model through :func:`load_model`)."""
    base = Path(directory)
    try:
        spec = json.loads((base / QUERY_SPEC_FILE).read_text(encoding="utf-8"))
        stat = os.stat(spec["model_file"])
        if stat.st_size != spec["size"] or stat.st_mtime_ns != spec["mtime_ns"]:
            return None
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str((base / QUERY_TOKENIZER_FILE).read_text(encoding="utf-8"))
        tokenizer.no_padding()
        session = _session(spec["model_file"], threads)
    except Exception:  # anything amiss: the caller falls back to the full path
        return None
    return QueryEncoder(spec, tokenizer, session)
