"""Oxidize in Patina: the recipe, `patina oxidize`, vectors as derived state (incremental = full,
truncation, staleness, verify), hybrid scry (fusion, --explain, the fallback, the service) and the
hooks, on real git repositories and real SQLite, with the tiny ONNX model of modelutil.py loaded
through the same code path as a real one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("fastembed")
pytest.importorskip("onnx")

from gitutil import BASE_TIME, Repo, patina  # noqa: E402
from modelutil import make_tiny_model  # noqa: E402

from patina import repo as prepo, store  # noqa: E402
from patina.errors import ConfigError  # noqa: E402
from patina.oxidize import recipe as recipes, run, state, vectors  # noqa: E402

TESTS = Path(__file__).parent
SESSIONS = TESTS / "fixtures" / "sessions"
ORDER = ["session_summary_july27.md", "20250728-182427.md", "20251121-065812.md", "20251124-174931.md"]
DECISION = """# Session: vectors

## Decisions
- **Vector storage**: keep every embedding vector in the sqlite table and find them with a numpy scan
"""


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="module")
def other_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("other-model"), seed=11)


@pytest.fixture
def env(tiny_dir, tmp_path, monkeypatch):
    """The model through $PATINA_MODEL_PATH (in this process and the CLI's), a private PATINA_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("PATINA_MODEL_PATH", str(tiny_dir))
    monkeypatch.setenv("PATINA_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PATINA_SCRY_LOCAL", "1")
    return {"PATINA_MODEL_PATH": str(tiny_dir), "PATINA_HOME": str(home), "HF_HUB_OFFLINE": "1",
            "PATINA_SCRY_LOCAL": "1"}


def sessions_repo(path: Path, names=ORDER) -> Repo:
    repo = Repo(path)
    for i, name in enumerate(names):
        repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": (SESSIONS / name).read_text(encoding="utf-8")},
                    when=BASE_TIME + i * 86_400)
    return repo


def build(repo: Repo):
    from patina.runner import run_update

    r = prepo.discover(str(repo.path))
    run_update(r)
    return r


def rows(r) -> tuple[list[int], np.ndarray]:
    conn = store.connect(r.db_path, readonly=True)
    try:
        m = vectors.load(conn)
        return m.seqs.tolist(), m.rows
    finally:
        conn.close()


def embeddable_seqs(r) -> list[int]:
    conn = store.connect(r.db_path, readonly=True)
    try:
        return [d.seq for d in run.documents(conn, state.stored_recipe(conn) or recipes.Recipe(), 0)]
    finally:
        conn.close()


def info(r) -> dict:
    from patina.status import collect

    return collect(r)["oxidize"]


# --------------------------------------------------------------------------------------- recipe

def test_recipe_defaults_and_errors_name_the_key():
    empty = recipes.from_text("")
    assert empty == recipes.Recipe() == recipes.from_text(recipes.DEFAULT_TEXT)
    assert empty.embedding_model == "BAAI/bge-small-en-v1.5" and empty.enabled_projections() == ["semantic"]
    assert recipes.from_dict(empty.as_dict()) == empty and empty.hash() == recipes.from_text("version: 1").hash()
    changed = recipes.from_text("embed: {max_chars: 500}")
    assert changed.vectors_hash() != empty.vectors_hash()
    tuned = recipes.from_text("projections: {semantic: {epochs: 3}}")
    assert tuned.vectors_hash() == empty.vectors_hash() and tuned.projection_hash("semantic") != \
        empty.projection_hash("semantic")
    for text, key in [("embed: {types: [decisions]}", "embed.types"),
                      ("projections: {semantic: {epochs: 0}}", "projections.semantic.epochs"),
                      ("projections: {semantic: {layers: [768, 'wide']}}", "projections.semantic.layers"),
                      ("projections: {spatial: {}}", "projections.spatial"),
                      ("embeding_model: x", "embeding_model"), ("version: 2", "version"),
                      ("fusion: {k: -1}", "fusion.k"), ("embed: [1]", "embed")]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            recipes.from_text(text)
    # The spec's own recipe (NicabarNimble/patina's .patina/oxidize.yaml) gives MLP widths: noted, ignored.
    spec = recipes.from_text("version: 1\nprojections:\n  semantic:\n    layers: [768, 1024, 256]\n"
                             "    epochs: 10\n    batch_size: 32\n")
    assert spec.projection("semantic").epochs == 10 and spec.hash() == recipes.from_text(
        "projections: {semantic: {epochs: 10, batch_size: 32}}").hash()
    assert spec.notes == ("projections.semantic.layers [768, 1024, 256]: Patina trains linear maps in the "
                          "model's own dimension; the hidden layers are ignored",)
    with pytest.raises(ConfigError, match="not valid YAML"):
        recipes.from_text("embed: [")


def test_recipe_is_read_from_the_commit_and_init_writes_one(tmp_path, env):
    repo = Repo(tmp_path / "repo")
    repo.commit("root", {"README.md": "x\n"})
    proc = patina("init", cwd=repo.path)
    assert proc.returncode == 0 and ".patina/oxidize.yaml" in proc.stdout
    assert (repo.path / recipes.RECIPE_PATH).read_text() == recipes.DEFAULT_TEXT
    r = prepo.discover(str(repo.path))
    assert recipes.load(r.git_dir, repo.head()) == recipes.Recipe()  # not committed yet: the defaults
    repo.commit("recipe", {recipes.RECIPE_PATH: "embed:\n  types: [decision]\n"})
    assert recipes.load(r.git_dir, repo.head()).embed.types == ("decision",)
    (repo.path / recipes.RECIPE_PATH).write_text("embed: {types: [nope]}\n")  # uncommitted: ignored
    assert recipes.load(r.git_dir, repo.head()).embed.types == ("decision",)
    repo.commit("bad recipe", {recipes.RECIPE_PATH: "embed: {types: [nope]}\n"})
    assert patina("scrape", "-q", cwd=repo.path).returncode == 0  # the log does not depend on it
    proc = patina("oxidize", cwd=repo.path, env=env)
    assert proc.returncode == 8 and proc.stderr.count("\n") == 1 and "embed.types" in proc.stderr


# ------------------------------------------------------------------------- oxidize: the vectors

def test_no_model_is_one_line_naming_the_model_and_how(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo", ORDER[:1])
    build(repo)
    no_model = {**env, "PATINA_MODEL_PATH": ""}
    proc = patina("oxidize", cwd=repo.path, env=no_model)
    assert proc.returncode == 3 and proc.stderr.count("\n") == 1, proc.stderr
    assert "BAAI/bge-small-en-v1.5" in proc.stderr and "PATINA_MODEL_PATH" in proc.stderr
    assert "--model-path" in proc.stderr
    proc = patina("oxidize", "--model-path", str(tmp_path / "nowhere"), cwd=repo.path, env=no_model)
    assert proc.returncode == 3 and "nowhere" in proc.stderr and proc.stderr.count("\n") == 1


def test_oxidize_embeds_every_document_and_records_what_with(tmp_path, env, tiny_dir):
    repo = sessions_repo(tmp_path / "repo")
    r = build(repo)
    proc = patina("oxidize", "--model-path", str(tiny_dir), "--json", cwd=repo.path,
                  env={**env, "PATINA_MODEL_PATH": ""})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    seqs, vecs = rows(r)
    assert seqs == embeddable_seqs(r) and out["embedded"] == len(seqs) == out["vectors"] > 100
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    conn = store.connect(r.db_path, readonly=True)
    try:
        assert state.stored_identity(conn).name == f"local:{tiny_dir.name}"
        assert state.get(conn, "recipe_hash") == recipes.Recipe().hash()
        assert state.progress(conn) == store.last_seq(conn)
        assert set(state.projections(conn)) == {"semantic"}
    finally:
        conn.close()
    # --model-path is remembered: the next call needs no directory.
    again = patina("oxidize", "--json", cwd=repo.path, env={**env, "PATINA_MODEL_PATH": ""})
    assert again.returncode == 0 and json.loads(again.stdout)["embedded"] == 0, again.stderr


def test_incremental_equals_full_and_truncation_drops_the_vectors_past_the_cut(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    run.oxidize(r)
    repo.commit("more notes", {f"layer/sessions/{ORDER[2]}": (SESSIONS / ORDER[2]).read_text()}, when=BASE_TIME + 5 * 86_400)
    repo.commit("even more", {f"layer/sessions/{ORDER[3]}": (SESSIONS / ORDER[3]).read_text()}, when=BASE_TIME + 6 * 86_400)
    build(repo)
    first = run.oxidize(r)
    assert first.embedded > 0 and not first.started_over
    inc_seqs, inc = rows(r)
    full = run.oxidize(r, full=True)
    assert full.started_over == "--full"
    full_seqs, fresh = rows(r)
    assert inc_seqs == full_seqs == embeddable_seqs(r)
    assert vectors.compare(vectors.Matrix(np.array(inc_seqs), inc), vectors.Matrix(np.array(full_seqs), fresh)) is None
    # A non-linear move (reset + a different commit): the log is cut, the vectors with it.
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.commit("instead", {"layer/sessions/new.md": DECISION}, when=BASE_TIME + 7 * 86_400)
    conn = store.connect(r.db_path, readonly=True)
    cut_at = store.last_seq(conn)  # nothing past the shared prefix survives
    conn.close()
    build(repo)
    conn = store.connect(r.db_path, readonly=True)
    try:
        kept = vectors.load(conn).seqs.tolist()
        progress = state.progress(conn)
        keep_through = store.chain_step(conn, repo.git("rev-parse", "HEAD~1"))[2]
        assert progress == keep_through < cut_at and kept == [s for s in inc_seqs if s <= keep_through]
        assert not state.projections(conn)  # trained on vectors now gone
    finally:
        conn.close()
    run.oxidize(r)
    assert rows(r)[0] == embeddable_seqs(r)


def test_int8_by_default_incremental_equals_full_and_verify_agrees(tmp_path, env, monkeypatch):
    """A model with weight products computes them in int8 (the recipe's default): the graph is
    made once in the data directory, a text's vector does not depend on what ran beside it, so
    an incremental run equals a full one exactly; `embed.int8: false` goes back to float."""
    dense = make_tiny_model(tmp_path / "dense-model", dense=True)
    monkeypatch.setenv("PATINA_MODEL_PATH", str(dense))
    denv = {**env, "PATINA_MODEL_PATH": str(dense)}
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    first = run.oxidize(r)
    assert first.compute == "int8" and first.embedded > 0
    assert [p.name.split("-int8-")[0] for p in (Path(r.data_dir) / "models").iterdir()] == [
        model_file_sha(dense)[:16]]
    repo.commit("more notes", {f"layer/sessions/{ORDER[2]}": (SESSIONS / ORDER[2]).read_text()})
    build(repo)
    assert run.oxidize(r).embedded > 0
    inc_seqs, inc = rows(r)
    assert run.oxidize(r, full=True).started_over == "--full"
    full_seqs, fresh = rows(r)
    assert inc_seqs == full_seqs and np.array_equal(inc, fresh)
    out = json.loads(patina("verify", "--json", cwd=repo.path, env=denv).stdout)
    assert out["identical"] and out["tables"]["oxidize_vectors"].startswith("identical within"), out["summary"]
    proc = patina("oxidize", "--json", "--full", cwd=repo.path, env=denv)
    assert proc.returncode == 0 and json.loads(proc.stdout)["compute"] == "int8", proc.stderr
    repo.commit("recipe", {recipes.RECIPE_PATH: "embed:\n  int8: false\n"})
    build(repo)
    back = run.oxidize(r)
    assert back.compute == "float" and "int8 -> " in back.started_over  # the model's computation changed
    assert not np.allclose(rows(r)[1][:len(fresh)], fresh, atol=1e-6)


def test_int8_that_cannot_be_made_stays_float_and_never_mixes(tmp_path, env, monkeypatch):
    """Where the int8 graph cannot be made (here: its directory is a file), oxidize says so and
    embeds in float; once it can, the float vectors are dropped, not extended in int8."""
    dense = make_tiny_model(tmp_path / "dense-model", dense=True)
    monkeypatch.setenv("PATINA_MODEL_PATH", str(dense))
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    blocker = Path(r.data_dir) / "models"
    blocker.write_text("not a directory")
    first = run.oxidize(r)
    assert first.compute == "float" and first.embedded > 0
    assert any(n.startswith("embed.int8: int8 conversion failed") and n.endswith("computing in float")
               for n in first.notes), first.notes
    blocker.unlink()
    again = run.oxidize(r)
    assert again.compute == "int8" and again.started_over and "-> " in again.started_over
    assert again.started_over.endswith("int8)") and rows(r)[0] == embeddable_seqs(r)


def model_file_sha(directory: Path) -> str:
    import hashlib

    return hashlib.sha256((directory / "model.onnx").read_bytes()).hexdigest()


def test_status_says_when_vectors_and_projections_are_stale(tmp_path, env, other_model, monkeypatch):
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    assert info(r) is None
    run.oxidize(r)
    assert info(r)["stale"] == []
    repo.commit("notes", {"layer/sessions/new.md": DECISION})
    build(repo)
    now = info(r)
    assert any("log moved on" in s for s in now["stale"]) and now["behind"] > 0
    assert all(any("log moved on" in s for s in p["stale"]) for p in now["projections"])
    run.oxidize(r)
    repo.commit("recipe", {recipes.RECIPE_PATH: "embed:\n  max_chars: 200\n"})
    build(repo)
    assert any("recipe changed" in s for s in info(r)["stale"])
    proc = patina("status", cwd=repo.path, env=env)
    assert "vectors" in proc.stdout and "recipe changed" in proc.stdout
    run.oxidize(r)
    assert info(r)["stale"] == []
    monkeypatch.setenv("PATINA_MODEL_PATH", str(other_model))
    assert any("local model is not the one" in s for s in info(r)["stale"])
    result = run.oxidize(r)
    assert result.started_over and "model changed" in result.started_over


def test_verify_compares_vectors_within_a_tolerance_or_says_it_skips(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo", ORDER[:3])
    r = build(repo)
    run.oxidize(r)
    proc = patina("verify", "--json", cwd=repo.path, env=env)
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["identical"], out["summary"]
    assert out["tables"]["oxidize_vectors"].startswith("identical within")
    assert out["tables"]["oxidize_projections"].startswith("identical")
    # Damage one vector: verify finds it.
    conn = store.connect(r.db_path)
    seq, blob = conn.execute("SELECT seq, vec FROM oxidize_vectors ORDER BY seq LIMIT 1 OFFSET 5").fetchone()
    bad = np.frombuffer(blob, dtype="<f4").copy()
    bad[0] += 0.05
    conn.execute("UPDATE oxidize_vectors SET vec = ? WHERE seq = ?", (vectors.to_blob(bad), seq))
    conn.close()
    out = json.loads(patina("verify", "--json", cwd=repo.path, env=env).stdout)
    assert not out["identical"] and any(f"seq {seq}" in line for line in out["summary"])
    # Without the model: skipped, and said so (also in the text output).
    no_model = {**env, "PATINA_MODEL_PATH": ""}
    out = json.loads(patina("verify", "--json", cwd=repo.path, env=no_model).stdout)
    assert out["tables"]["oxidize_vectors"].startswith("skipped: cannot re-embed")
    text = patina("verify", cwd=repo.path, env=no_model)
    assert "oxidize_vectors: skipped" in text.stdout


# ---------------------------------------------------------------------------------- hybrid scry

def test_fusion_order_and_explain():
    from patina.scry.hybrid import fuse

    rankings = {"lexical": [("a", 1.0), ("b", 0.5), ("c", 0.1)], "semantic": [("c", 0.9), ("d", 0.8), ("a", 0.7)]}
    fused = fuse(rankings, {"lexical": 1.0, "semantic": 1.0}, 60, 10)
    assert [k for k, _, _ in fused] == ["a", "c", "b", "d"]  # a: 1/61+1/63 > c: 1/63+1/61 tie -> key order
    assert fused[0][2] == {"lexical": {"rank": 1, "score": 1.0}, "semantic": {"rank": 3, "score": 0.7}}
    weighted = fuse(rankings, {"lexical": 1.0, "semantic": 2.0}, 60, 2)
    assert [k for k, _, _ in weighted] == ["c", "a"]


def test_fusion_champions_keep_each_oracles_best_near_the_top():
    """Two oracles agreeing on near-duplicates outvote one oracle's clear first answer under plain
    RRF; with champions, each oracle's best N follow the fused first."""
    from patina.scry.hybrid import fuse

    dupes = [f"dup{i}" for i in range(6)]
    rankings = {"lexical": [("lex-best", 9.0)] + [(d, 1.0) for d in dupes],
                "semantic": [("sem-best", 0.9)] + [(d, 0.5) for d in dupes]}
    weights = {"lexical": 1.0, "semantic": 1.0}
    plain = [k for k, _, _ in fuse(rankings, weights, 60, 5)]
    assert "lex-best" not in plain and "sem-best" not in plain
    kept = [k for k, _, _ in fuse(rankings, weights, 60, 5, champions=1)]
    assert kept[0] == "dup0" and set(kept[1:3]) == {"lex-best", "sem-best"} and kept[3:] == ["dup1", "dup2"]
    two = [k for k, score, _ in fuse(rankings, weights, 60, 5, champions=2)]
    assert two == ["dup0", "lex-best", "sem-best", "dup1", "dup2"]  # dup0 is both oracles' second


def test_hybrid_scry_finds_by_meaning_explains_and_keeps_filters(tmp_path, env):
    from patina.scry.search import scry

    repo = sessions_repo(tmp_path / "repo")
    repo.commit("decide where vectors live", {"layer/sessions/20260301-101010.md": DECISION},
                when=BASE_TIME + 30 * 86_400)
    r = build(repo)
    lexical = scry("sqlite storage", projects=[(None, r.db_path)], persona_home=None)
    assert lexical.mode == "lexical" and not lexical.notes  # no vectors yet: lexical, silently
    run.oxidize(r)
    # "database" and "lookup" are not in the decision, but mean "sqlite"/"find" to the tiny model.
    query = "database lookup"
    answer = scry(query, projects=[(None, r.db_path)], persona_home=None, limit=5, explain=True,
                  data_dirs={r.db_path: r.data_dir})
    assert answer.mode == "hybrid"
    semantic = scry(query, projects=[(None, r.db_path)], persona_home=None, limit=5, mode="semantic",
                    data_dirs={r.db_path: r.data_dir})
    assert semantic.mode == "semantic" and semantic.hits[0].score == 1.0
    assert any(h.content.startswith("Vector storage") for h in semantic.hits)
    for hit in answer.hits:
        assert "rrf" in hit.explain and set(hit.explain) >= {"lexical", "semantic"}
        assert any(hit.explain[o] for o in ("lexical", "semantic", "temporal", "persona") if o in hit.explain)
    assert answer.hits[0].score == 1.0 and all(0 < h.score <= 1 for h in answer.hits)
    # Same log + same vectors: same answer.
    again = scry(query, projects=[(None, r.db_path)], persona_home=None, limit=5, explain=True,
                 data_dirs={r.db_path: r.data_dir})
    assert again.hits == answer.hits
    # --type, --until work in every mode.
    for mode in ("semantic", "hybrid"):
        only = scry(query, projects=[(None, r.db_path)], persona_home=None, types=["decision"], mode=mode)
        assert only.hits and {h.type for h in only.hits} == {"decision"}
        then = scry(query, projects=[(None, r.db_path)], persona_home=None, until="2023-11-16", mode=mode)
        conn = store.connect(r.db_path, readonly=True)
        cutoff = store.commit_seq_at(conn, "2023-11-16T23:59:59Z")  # a date means its end
        conn.close()
        assert then.hits and all(h.seq <= cutoff for h in then.hits)
        assert not any(h.content.startswith("Vector storage") for h in then.hits)
    # The CLI: --explain lines and --json.
    proc = patina("scry", query, "--explain", "-n", "3", cwd=repo.path, env=env)
    assert proc.returncode == 0 and proc.stdout.count("-> rrf") == 3 and "semantic #" in proc.stdout
    out = json.loads(patina("scry", query, "--json", "--mode", "semantic", cwd=repo.path, env=env).stdout)
    assert out["mode"] == "semantic" and out["results"]


def test_temporal_oracle_follows_co_changes_of_a_named_file(tmp_path, env):
    from patina.scry.hybrid import named_files, temporal_ranking

    repo = sessions_repo(tmp_path / "repo", ORDER[:1])
    repo.commit("store: first", {"src/store.py": "1", "src/index.py": "1"})
    repo.commit("store: second", {"src/store.py": "2", "src/index.py": "2"})
    repo.commit("unrelated", {"docs/readme.md": "x"})
    repo.commit("index alone", {"src/index.py": "3"})
    r = build(repo)
    conn = store.connect(r.db_path, readonly=True)
    try:
        assert named_files(conn, "why does store.py lock?") == ["src/store.py"]
        assert named_files(conn, "no file here") == []
        ranked = temporal_ranking(conn, "what changed in store.py", 10)
        subjects = dict(conn.execute("SELECT seq, content FROM scry_docs WHERE type = 'commit'"))
        names = [subjects[s] for s, _ in ranked]
        assert names[:2] == ["store: second", "store: first"] and "index alone" in names
        assert "unrelated" not in names
        assert temporal_ranking(conn, "store.py", 10, types=["decision"]) == []
    finally:
        conn.close()


def test_without_the_model_scry_falls_back_to_lexical_and_says_so_once(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    run.oxidize(r)
    for f in Path(r.data_dir).glob("oxidize_query_*"):
        f.unlink()  # no light encoder either
    no_model = {**env, "PATINA_MODEL_PATH": ""}
    proc = patina("scry", "session commands", cwd=repo.path, env=no_model)
    assert proc.returncode == 0 and proc.stdout.strip()
    lines = [line for line in proc.stderr.splitlines() if line]
    assert len(lines) == 1 and "lexical results only" in lines[0] and "no embedding model" in lines[0]
    lexical = patina("scry", "session commands", "--mode", "lexical", cwd=repo.path, env=no_model)
    assert lexical.stdout == proc.stdout and lexical.stderr == ""


def test_the_next_scry_embeds_a_new_decision_with_nothing_run_by_hand(tmp_path, env):
    from patina.hooks import install

    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    run.oxidize(r)
    install(str(repo.path))
    repo.commit("decide where vectors live", {"layer/sessions/20260301-101010.md": DECISION},
                when=BASE_TIME + 30 * 86_400)
    conn = store.connect(r.db_path, readonly=True)
    try:
        assert store.get_meta(conn, "head") == repo.head()  # the hook appended it
        assert state.progress(conn) < store.last_seq(conn)  # ... and loaded no model
    finally:
        conn.close()
    proc = patina("scry", "database lookup", "--mode", "semantic", "-n", "3", cwd=repo.path, env=env)
    assert proc.returncode == 0 and "Vector storage" in proc.stdout, proc.stdout + proc.stderr
    conn = store.connect(r.db_path, readonly=True)
    try:
        assert state.progress(conn) == store.last_seq(conn)  # stored, for the next query too
    finally:
        conn.close()


def test_a_long_backlog_goes_to_one_background_oxidize(tmp_path, env):
    from hookutil import settle

    from patina.hooks import install

    repo = sessions_repo(tmp_path / "repo", ORDER[:1])
    r = build(repo)
    run.oxidize(r)
    install(str(repo.path))
    many = "# Session: many\n\n## Decisions\n" + "".join(f"- **Item {i}**: decision number {i} about the log\n"
                                                          for i in range(state.INLINE_MAX + 10))
    subprocess.run(["git", "add", "-A"], cwd=repo.path, check=True)
    repo.commit("many decisions", {"layer/sessions/many.md": many}, when=BASE_TIME + 40 * 86_400)
    settle(repo.path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = store.connect(r.db_path, readonly=True)
        try:
            done = state.progress(conn) == store.last_seq(conn)
        finally:
            conn.close()
        if done:
            break
        time.sleep(0.2)
    assert done, (Path(r.data_dir) / "hook.log").read_text()
    assert "oxidize" in (Path(r.data_dir) / "hook.log").read_text()
    assert rows(r)[0] == embeddable_seqs(r)


def test_the_hook_path_never_imports_numpy_even_when_cutting_vectors(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo", ORDER[:2])
    r = build(repo)
    run.oxidize(r)
    code = ("import sys; from patina import derived, store; from patina.oxidize.state import wanted_in_background; "
            "from patina.repo import discover; conn = store.connect(sys.argv[1]); r = discover(sys.argv[2]); "
            "wanted_in_background(r, conn); conn.execute('BEGIN'); derived.rollback(conn, 3); conn.execute('ROLLBACK'); "
            "print(sorted(m for m in ('numpy', 'fastembed', 'onnxruntime', 'tokenizers', 'ruamel') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, r.db_path, str(repo.path)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(TESTS.parent)})
    assert out.stdout.strip() == "[]", out.stderr


# ------------------------------------------------------------------------------ projections

def test_training_is_deterministic_and_gated(tmp_path, env):
    repo = sessions_repo(tmp_path / "repo")
    r = build(repo)
    run.oxidize(r)
    conn = store.connect(r.db_path, readonly=True)
    first = conn.execute("SELECT matrix, info FROM oxidize_projections WHERE name = 'semantic'").fetchone()
    conn.close()
    run.oxidize(r, full=True)  # re-embedded, retrained
    conn = store.connect(r.db_path, readonly=True)
    try:
        second = conn.execute("SELECT matrix, info FROM oxidize_projections WHERE name = 'semantic'").fetchone()
        info = json.loads(second[1])
        assert second == first
        assert info["used"] == (info["projected"]["recall"] >= info["base"]["recall"] and info["gain_z"] > 2.0)
        used = run.used_projections(conn)
        assert ("semantic" in used) == info["used"]
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- the service

def test_service_answers_every_mode_and_the_cli_asks_it(tmp_path, env, monkeypatch):
    from urllib.request import Request, urlopen

    from patina.scry import registry
    from patina.scry.client import running_service
    from patina.scry.search import scry
    from patina.scry.service import RunningServer

    repo = sessions_repo(tmp_path / "repo")
    r = build(repo)
    run.oxidize(r)
    home = env["PATINA_HOME"]
    registry.add(str(repo.path), "proj", home_dir=home)

    def post(url, body):
        req = Request(url + "/scry", data=json.dumps(body).encode(), headers={"content-type": "application/json"})
        with urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    local = scry("database lookup", projects=[("proj", r.db_path)], persona_home=None, limit=5, explain=True,
                 data_dirs={r.db_path: r.data_dir})
    with RunningServer(home_dir=home, announce=True) as srv:
        assert running_service(home) == srv.url
        for mode in ("lexical", "semantic", "hybrid"):
            out = post(srv.url, {"query": "database lookup", "mode": mode, "persona": False, "limit": 5,
                                 "until": "2030-01-01", "types": ["decision", "pattern", "work", "commit"]})
            assert out["mode"] == mode and out["results"], out
        out = post(srv.url, {"query": "database lookup", "persona": False, "limit": 5, "explain": True})
        assert out["mode"] == "hybrid" and [h["seq"] for h in out["results"]] == [h.seq for h in local.hits]
        assert out["results"][0]["explain"] == local.hits[0].explain
        # The CLI sends its query to the running service (same answer as in-process).
        via = patina("scry", "database lookup", "--no-persona", "-n", "5", "--json", cwd=repo.path,
                     env={**env, "PATINA_SCRY_LOCAL": "0"})
        assert via.returncode == 0, via.stderr
        assert [h["seq"] for h in json.loads(via.stdout)["results"]] == [h.seq for h in local.hits]
    assert running_service(home) is None


def test_the_vector_scan_narrows_blas_to_one_core_only_while_a_search_runs():
    """The semantic oracle's matrix product runs on one BLAS thread beside the lexical oracle;
    the count is restored when the search ends, by the thread that narrowed it; a search that
    overlaps (a service) leaves the setting to that one."""
    import threading

    import numpy as np
    from threadpoolctl import threadpool_info

    from patina.scry.semantic import _one_blas_thread

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    from threadpoolctl import ThreadpoolController

    np.ones((4, 4)) @ np.ones(4)  # BLAS loaded
    two = ThreadpoolController().limit(limits=2, user_api="blas")  # so narrowing to 1 is seen on any machine
    before = blas_threads()
    assert before and all(n == 2 for n in before)
    done = []

    def other_search() -> None:
        with _one_blas_thread():
            done.append(blas_threads())

    with _one_blas_thread():
        assert all(n == 1 for n in blas_threads())
        t = threading.Thread(target=other_search)
        t.start()
        t.join(10)
    assert done and all(n == 1 for n in done[0])  # it ran while the first search had it narrowed
    assert blas_threads() == before
    with _one_blas_thread():
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before
    two.restore_original_limits()
