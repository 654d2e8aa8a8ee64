"""Oxidize's smaller pieces (texts, pairs, fusion) and all of them together on a real pipeline's log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from patina.oxidize import fusion

TESTS = Path(__file__).parent
SESSIONS = TESTS / "fixtures" / "sessions"
ORDER = ["session_summary_july27.md", "20250728-182427.md", "20251121-065812.md", "20251124-174931.md",
         "20260204-213118.md"]


# ------------------------------------------------------------------------------------ fusion

def test_rrf_sums_reciprocal_ranks():
    fused = fusion.rrf({"lexical": [1, 2, 3], "semantic": [3, 4, 1]}, k=60)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 63)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[4] == pytest.approx(1 / 62)
    # 1 and 3 tie: by key. Then 2 (rank 2 once) and 4 (rank 2 once) tie: by key.
    assert [key for key, _ in fused] == [1, 3, 2, 4]


def test_rrf_weights_limit_and_duplicates():
    fused = fusion.rrf([[1, 2], [2, 1, 2]], weights=[2.0, 1.0], k=0, limit=1)
    assert fused == [(1, pytest.approx(2.0 + 0.5))]
    assert fusion.rrf({"a": [5], "b": [6]}, weights={"b": 3.0})[0][0] == 6
    assert fusion.fuse_keys([[("p", 2), ("p", 1)], [("p", 1)]]) == [("p", 1), ("p", 2)]
    assert fusion.rrf([]) == []
    with pytest.raises(ValueError):
        fusion.rrf([[1]], weights=[1.0, 2.0])


# ------------------------------------------------------------------------------ texts, pairs

def docs_db(rows) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE scry_docs (seq INTEGER PRIMARY KEY, type TEXT, origin TEXT, timestamp TEXT, "
                 "source_file TEXT, content TEXT, detail TEXT, context TEXT, item_key TEXT, removed_seq INTEGER)")
    conn.executemany("INSERT INTO scry_docs VALUES (?, ?, ?, ?, NULL, ?, ?, '', NULL, ?)", rows)
    return conn


def test_knowledge_texts():
    from patina.oxidize.texts import doc_text, knowledge_docs

    conn = docs_db([(1, "commit", "abc", "2025-01-01T00:00:00Z", "Subject", "Body text", None),
                    (2, "decision", "s1", "2025-01-01T00:00:00Z", "Use SQLite", "", None),
                    (3, "pattern", "s1", "2025-01-01T00:00:00Z", "x" * 2000, "", None),
                    (4, "work", "s1", "2025-01-01T00:00:00Z", "Gone", "", 9)])
    docs = knowledge_docs(conn)
    assert [(d.seq, d.text) for d in docs[:2]] == [(1, "Subject\nBody text"), (2, "Use SQLite")]
    assert len(docs[2].text) == 1000 and [d.seq for d in docs] == [1, 2, 3]
    assert [d.seq for d in knowledge_docs(conn, include_removed=True, after_seq=2)] == [3, 4]
    assert [d.seq for d in knowledge_docs(conn, types=["decision"])] == [2]
    assert doc_text("  a ", " b ", max_chars=3) == "a\nb"


def test_semantic_pairs():
    from patina.oxidize.pairs import semantic_pairs

    day = "2025-01-0{}T12:00:00Z"
    conn = docs_db([
        (1, "commit", "c1", day.format(1), "before the decision", "", None),
        (2, "decision", "s1", day.format(2), "d", "", None),
        (3, "work", "s1", day.format(2), "w", "", None),
        (4, "goal", "s1", day.format(2), "g", "", None),
        (5, "decision", "s2", day.format(3), "alone", "", None),
        (6, "commit", "c2", day.format(4), "after", "", None),
        (7, "commit", "c3", day.format(5), "after", "", None),
        (8, "commit", "c4", "2025-03-01T00:00:00Z", "much later", "", None),
        (9, "work", "s1", day.format(2), "removed", "", 10),
    ])
    pairs = semantic_pairs(conn, per_item=2, commits_per_decision=3, days=7)
    session = {(2, 3), (2, 4), (3, 4)}
    decision_commits = {(2, 6), (2, 7), (5, 6), (5, 7)}
    assert set(pairs) == session | decision_commits
    assert pairs == sorted(pairs) and semantic_pairs(conn) == semantic_pairs(conn)
    assert set(semantic_pairs(conn, seqs=[2, 3, 6])) == {(2, 3), (2, 6)}
    assert set(semantic_pairs(conn, per_item=1, commits_per_decision=1)) <= session | {(2, 6), (5, 6)}


# ----------------------------------------------------------------------------- all together

def test_embed_store_search_and_train_on_a_real_log(repo, scrape, tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("fastembed")
    pytest.importorskip("onnx")
    from gitutil import BASE_TIME
    from modelutil import make_tiny_model

    from patina import store
    from patina.oxidize import model, vectors
    from patina.oxidize.pairs import semantic_pairs
    from patina.oxidize.texts import knowledge_docs
    from patina.oxidize.train import train_projection

    for i, name in enumerate(ORDER):
        text = (SESSIONS / name).read_text(encoding="utf-8")
        repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": text}, when=BASE_TIME + i * 86_400)
    scrape(repo.path)
    data = repo.path / ".patina" / "data"
    conn = store.connect(str(data / "patina.db"))
    docs = knowledge_docs(conn)
    assert len(docs) > 100
    embedder = model.load_model(model_path=make_tiny_model(tmp_path / "tiny"), data_dir=data)
    vecs = embedder.embed([d.text for d in docs])
    with store.transaction(conn):
        vectors.create(conn)
        half = len(docs) // 2
        vectors.append(conn, [d.seq for d in docs[:half]], vecs[:half])
    with store.transaction(conn):  # a later hook appends the rest
        vectors.append(conn, [d.seq for d in docs[half:]], vecs[half:])
    stored = vectors.load(conn)
    assert stored.seqs.tolist() == [d.seq for d in docs]
    # A doc is its own nearest neighbour (unless an identical text came first).
    hits = vectors.search(conn, vecs[7], 3)
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert docs[7].seq in [s for s, score in hits if score > 0.9999]
    # The log as of an older seq sees only the vectors up to it.
    assert all(s <= docs[20].seq for s, _ in vectors.search(conn, vecs[50], 5, until_seq=docs[20].seq))
    # A rebuild of the same vectors compares equal within the tolerance.
    again = embedder.embed([d.text for d in docs], batch_size=7)
    assert vectors.compare(stored, vectors.Matrix(stored.seqs, again)) is None
    pairs = semantic_pairs(conn, seqs=stored.seqs.tolist())
    assert pairs
    proj = train_projection(stored.rows, stored.seqs, pairs, method="ridge")
    assert proj.base.pairs > 0 and proj.matrix.shape == (embedder.dim, embedder.dim)
    assert model.remembered_model_path(data) is not None
    conn.close()


def test_temporal_pairs(repo, scrape):
    from patina import store
    from patina.oxidize.pairs import temporal_pairs

    repo.commit("one", {"a.txt": "1"})
    repo.commit("two", {"a.txt": "2", "b.txt": "1"})
    repo.commit("three", {"c.txt": "1"})
    repo.commit("four", {"b.txt": "2", "c.txt": "2"})
    repo.commit("big", {f"many/{i}.txt": "x" for i in range(5)} | {"a.txt": "3"})
    scrape(repo.path)
    conn = store.connect(str(repo.path / ".patina/data/patina.db"), readonly=True)
    seq = dict(conn.execute("SELECT data ->> '$.message', seq FROM eventlog WHERE event_type = 'git.commit'"))
    seq = {k.strip(): v for k, v in seq.items()}
    pairs = temporal_pairs(conn, max_files=5)
    assert pairs == sorted([(seq["one"], seq["two"]), (seq["two"], seq["four"]), (seq["three"], seq["four"])])
    assert (seq["two"], seq["big"]) in temporal_pairs(conn, max_files=6)
    assert temporal_pairs(conn, max_files=5, seqs=[seq["two"], seq["four"]]) == [(seq["two"], seq["four"])]
    conn.close()
