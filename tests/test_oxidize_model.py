"""The embedding model: a tiny ONNX model made here, loaded through the same path as a real one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("fastembed")
pytest.importorskip("onnx")

from modelutil import make_tiny_model, reference_embedding  # noqa: E402

from patina.oxidize import model as M  # noqa: E402


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny(tiny_dir) -> M.Embedder:
    return M.load_directory(tiny_dir)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(M.ENV_MODEL_PATH, raising=False)


def test_identity_names_the_file_and_dimension(tiny, tiny_dir):
    assert tiny.identity.name == f"local:{tiny_dir.name}"
    assert tiny.identity.sha256 == M.file_sha256(tiny_dir / "model.onnx")
    assert tiny.dim == 16
    assert M.ModelIdentity.from_json(tiny.identity.to_json()) == tiny.identity


def test_embed_gives_unit_float32_rows_in_input_order(tiny, tiny_dir):
    texts = ["sqlite storage table", "a", "why did the search query crash with an exception",
             "git commit history", "", "unknownword zzz"]
    got = tiny.embed(texts)
    assert got.dtype == np.float32 and got.shape == (len(texts), 16)
    nonzero = [i for i, t in enumerate(texts)]
    assert np.allclose(np.linalg.norm(got[nonzero], axis=1), 1.0, atol=1e-5)
    for i, text in enumerate(texts):
        # The ONNX graph + tokenizer + mean pooling, as the reference computes it by hand.
        assert np.allclose(got[i], reference_embedding(tiny_dir, text), atol=1e-5), text
        assert np.allclose(got[i], tiny.embed([text])[0], atol=1e-6)
    assert np.allclose(got, tiny.embed(texts, sort=False), atol=1e-6)
    assert np.allclose(got, tiny.embed(texts, batch_size=2), atol=1e-6)


def test_embed_nothing(tiny):
    assert tiny.embed([]).shape == (0, 16)


def test_related_words_land_close(tiny):
    a, b, c = tiny.embed(["database failure", "sqlite crash", "search query"])
    assert a @ b > a @ c


def test_same_text_same_vector_across_loads(tiny, tiny_dir):
    again = M.load_directory(tiny_dir)
    text = ["the hook is slow"]
    assert np.array_equal(again.embed(text), tiny.embed(text))
    assert again.identity == tiny.identity


def test_explicit_path_is_remembered(tiny_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    first = M.load_model(model_path=tiny_dir, data_dir=data)
    assert M.remembered_model_path(data) == str(tiny_dir.resolve())
    later = M.load_model(data_dir=data)  # no path given: the remembered one
    assert later.identity == first.identity


def test_env_path_is_used(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(M.ENV_MODEL_PATH, str(tiny_dir))
    assert M.resolve_model_path(None, tmp_path) == str(tiny_dir)
    assert M.load_model(data_dir=tmp_path).dim == 16
    assert M.remembered_model_path(tmp_path) is None  # only an explicit path is remembered


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("missing", M.MODEL_FILES)
def test_directory_missing_a_file(tiny_dir, tmp_path, missing):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    (copy / missing).unlink()
    with pytest.raises(M.ModelUnavailable) as info:
        M.load_model(model_path=copy)
    text = _one_line(info.value)
    assert missing in text and M.ENV_MODEL_PATH in text and "--model-path" in text


def test_not_a_directory(tmp_path):
    with pytest.raises(M.ModelUnavailable) as info:
        M.load_model("BAAI/bge-small-en-v1.5", tmp_path / "nowhere")
    text = _one_line(info.value)
    assert "BAAI/bge-small-en-v1.5" in text and "nowhere" in text


def test_corrupt_model_file(tiny_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    (copy / "model.onnx").write_bytes(b"\x08\x07not an onnx graph" * 50)
    with pytest.raises(M.ModelUnavailable) as info:
        M.load_directory(copy)
    assert "model.onnx" in _one_line(info.value)


def test_broken_tokenizer(tiny_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    (copy / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(M.ModelUnavailable):
        M.load_directory(copy)


def test_unknown_model_name(tmp_path):
    with pytest.raises(M.ModelUnavailable) as info:
        M.load_model("nobody/no-such-model", cache_dir=str(tmp_path))
    assert "nobody/no-such-model" in _one_line(info.value)


def test_named_model_not_cached_and_offline_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # also what network_reachable honours
    start = time.monotonic()
    with pytest.raises(M.ModelUnavailable) as info:
        M.load_model("BAAI/bge-small-en-v1.5", cache_dir=str(tmp_path / "empty-cache"))
    assert time.monotonic() - start < 10
    text = _one_line(info.value)
    assert "BAAI/bge-small-en-v1.5" in text and "network" in text


def test_network_probe_fails_fast_on_an_unresolvable_host(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    start = time.monotonic()
    assert M.network_reachable("host.invalid", timeout=1.0) is False
    assert time.monotonic() - start < 5


def test_default_pooling_is_mean_and_cls_when_the_directory_says_so(tiny_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    (copy / "1_Pooling").mkdir()
    (copy / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True,
                                                               "pooling_mode_mean_tokens": False}))
    cls = M.load_directory(copy)
    vec = cls.embed(["database search"])[0]
    # CLS pooling: the [CLS] token's vector alone, whatever the text says.
    assert np.allclose(vec, cls.embed(["hook crash"])[0], atol=1e-6)


def test_oxidize_package_imports_nothing_heavy():
    """The hook path must never pay for numpy/fastembed: importing the package (and the pipeline)
    loads neither."""
    code = ("import sys, patina.oxidize, patina.update, patina.hooks; "
            "print(sorted(m for m in ('numpy', 'fastembed', 'onnxruntime', 'sqlite_vec') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert out.stdout.strip() == "[]"


def test_light_query_encoder_equals_fastembed(tiny, tiny_dir, tmp_path):
    assert M.save_query_spec(tiny, tmp_path) is not None
    light = M.load_query_encoder(tmp_path)
    assert light is not None and light.identity == tiny.identity
    texts = ["why is the sqlite hook slow", "", "unknownword", "database " * 300]  # the last one is truncated
    assert np.allclose(light.embed(texts), tiny.embed(texts), atol=1e-6)
    assert np.allclose(light.embed_one(texts[0]), tiny.embed([texts[0]])[0], atol=1e-6)


def test_light_query_encoder_refuses_a_changed_model(tiny_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    embedder = M.load_directory(copy)
    data = tmp_path / "data"
    data.mkdir()
    M.save_query_spec(embedder, data)
    assert M.load_query_encoder(data) is not None
    (copy / "model.onnx").write_bytes((copy / "model.onnx").read_bytes() + b"\0")
    assert M.load_query_encoder(data) is None
    assert M.load_query_encoder(tmp_path / "nothing-recorded") is None


def test_light_query_encoder_imports_no_fastembed(tiny, tmp_path):
    M.save_query_spec(tiny, tmp_path)
    code = ("import sys; from patina.oxidize import model; e = model.load_query_encoder(sys.argv[1]); "
            "v = e.embed_one('database'); print(v.shape[0], 'fastembed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert out.stdout.split() == ["16", "False"]


def test_worker_processes_give_the_same_vectors(tiny_dir):
    from patina.oxidize.model import WORKER_MIN

    texts = [f"the {w} of commit {i}" for i, w in enumerate(["database", "search", "error", "hook"] * (WORKER_MIN // 3))]
    alone = M.load_directory(tiny_dir)
    with M.load_directory(tiny_dir) as parallel:
        parallel.set_workers(2)
        assert len(texts) >= WORKER_MIN
        assert np.allclose(parallel.embed(texts), alone.embed(texts), atol=1e-6)
        assert parallel._pool is not None  # the job did run in the workers
    assert parallel._pool is None


def test_max_tokens_never_exceeds_what_the_model_was_exported_with(tiny_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    data = json.loads((copy / "tokenizer.json").read_text())
    data["truncation"] = {"max_length": 5, "strategy": "LongestFirst", "stride": 0, "direction": "Right"}
    (copy / "tokenizer.json").write_text(json.dumps(data))
    embedder = M.load_directory(copy)
    embedder.set_max_tokens(256)
    assert embedder.max_tokens == 5
    long = "database search error hook commit model test fast"
    assert np.allclose(embedder.embed([long])[0], embedder.embed(["database search error"])[0], atol=1e-6)


# ------------------------------------------------------------------------------ int8 computation

@pytest.fixture(scope="session")
def dense_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("dense-model"), dense=True)


def _op_types(path: Path) -> set[str]:
    import onnx

    return {n.op_type for n in onnx.load(str(path)).graph.node}


def test_int8_runs_the_weight_products_in_integers_close_to_float(dense_dir, tmp_path):
    floating = M.load_directory(dense_dir)
    quick = M.load_directory(dense_dir)
    assert quick.use_int8(tmp_path / "models") == ""
    assert quick.compute == "int8" and floating.compute == "float"
    # The same model (name, file, dimension); its vectors say they were computed in int8.
    assert quick.identity.compute == "int8" and floating.identity.compute == "float"
    assert M.ModelIdentity.from_json(quick.identity.to_json()) == quick.identity
    assert (quick.identity.name, quick.identity.sha256, quick.identity.dim) == (
        floating.identity.name, floating.identity.sha256, floating.identity.dim)
    assert M.ModelIdentity.from_json('{"name":"m","sha256":"ab","dim":3}').compute == "float"  # older records
    assert quick.model_file.parent == tmp_path / "models" and quick.model_file.name.startswith(
        quick.identity.sha256[:16])
    assert "MatMulInteger" in _op_types(quick.model_file) and "MatMulInteger" not in _op_types(dense_dir / "model.onnx")
    texts = ["sqlite storage table", "why did the search query crash with an exception", "git commit history",
             "the fast hook"]
    a, b = floating.embed(texts), quick.embed(texts)
    assert not np.array_equal(a, b)  # really computed otherwise...
    assert np.all((a * b).sum(axis=1) > 0.98)  # ...and still the same vectors, nearly
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)


def test_int8_vector_depends_on_its_text_only(dense_dir, tmp_path):
    """An activation's quantization scale is taken over its whole run: each text runs alone, so a
    vector does not depend on the texts beside it (incremental = full, verify's tolerance)."""
    quick = M.load_directory(dense_dir)
    quick.use_int8(tmp_path)
    texts = ["sqlite", "why did the search query crash with an exception " * 5, "git commit history log"]
    together = quick.embed(texts, batch_size=16)
    for i, text in enumerate(texts):
        assert np.array_equal(together[i], quick.embed([text])[0])


def test_int8_graph_is_made_once_and_shared(dense_dir, tmp_path):
    first = M.load_directory(dense_dir)
    first.use_int8(tmp_path)
    made = first.model_file.stat().st_mtime_ns
    second = M.load_directory(dense_dir)
    assert second.use_int8(tmp_path) == ""
    assert second.model_file == first.model_file and second.model_file.stat().st_mtime_ns == made
    assert [p.name for p in tmp_path.iterdir()] == [first.model_file.name]  # no leftovers


def test_int8_light_query_encoder_runs_the_same_graph(dense_dir, tmp_path):
    quick = M.load_directory(dense_dir)
    quick.use_int8(tmp_path / "models")
    M.save_query_spec(quick, tmp_path)
    light = M.load_query_encoder(tmp_path)
    assert light is not None
    texts = ["why is the sqlite hook slow", "git history"]
    assert np.allclose(light.embed(texts), quick.embed(texts), atol=1e-6)


def test_int8_without_weight_products_stays_float(tiny_dir, tmp_path):
    embedder = M.load_directory(tiny_dir)
    why = embedder.use_int8(tmp_path)
    assert "no weight products" in why and embedder.compute == "float"
    assert embedder.model_file == tiny_dir / "model.onnx"
    assert np.allclose(embedder.embed(["sqlite storage"])[0], reference_embedding(tiny_dir, "sqlite storage"),
                       atol=1e-5)


def test_int8_cache_dir_is_the_data_dir_or_the_users_cache(tmp_path, monkeypatch):
    assert M.int8_cache_dir(tmp_path) == tmp_path / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert M.int8_cache_dir(None) == tmp_path / "xdg" / "patina" / "models"


def test_int8_keeps_a_models_own_int8_weights_and_tables(tmp_path):
    """A model storing int8 weights (Cast + Mul, as the shared MiniLM does): the weight products'
    int8 values are the stored ones, the token table stays int8 (no float copy on disk)."""
    import onnx
    from onnx import numpy_helper

    stored = make_tiny_model(tmp_path / "stored-int8", dense=True, int8_weights=True)
    source = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(stored / "model.onnx")).graph.initializer}
    embedder = M.load_directory(stored)
    assert embedder.use_int8(tmp_path / "models") == ""
    graph = onnx.load(str(embedder.model_file)).graph
    made = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    int8 = [v for v in made.values() if v.dtype == np.int8 and v.shape == source["dense_weight_q"].shape]
    assert any(np.array_equal(v, source["dense_weight_q"]) for v in int8)
    assert np.array_equal(made["word_table_q"], source["word_table_q"])  # the table as stored...
    assert not any(v.dtype == np.float32 and v.shape == source["word_table_q"].shape for v in made.values())
    assert "MatMulInteger" in {n.op_type for n in graph.node}
    floating = M.load_directory(stored)
    texts = ["sqlite storage table", "why did the search query crash", "git commit history"]
    assert np.all((floating.embed(texts) * embedder.embed(texts)).sum(axis=1) > 0.98)


def test_int8_graph_of_another_format_is_replaced(dense_dir, tmp_path):
    embedder = M.load_directory(dense_dir)
    older = tmp_path / f"{embedder.identity.sha256[:16]}-int8-ort1.0.onnx"
    other_model = tmp_path / "0123456789abcdef-int8-f2-ort1.0.onnx"
    older.write_bytes(b"old")
    other_model.write_bytes(b"another model's")
    embedder.use_int8(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([embedder.model_file.name, other_model.name])
