"""Vector storage: float32 BLOBs keyed by seq, appended and truncated like the log, searched with numpy."""

from __future__ import annotations

import sqlite3

import pytest

np = pytest.importorskip("numpy")

from patina.oxidize import vectors as V  # noqa: E402


def unit(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:", isolation_level=None)
    V.create(c)
    yield c
    c.close()


def naive(seqs, rows, q, k, until=None, allowed=None):
    q = q / np.linalg.norm(q)
    cands = [(float(rows[i] @ q), int(s)) for i, s in enumerate(seqs)
             if (until is None or s <= until) and (allowed is None or s in allowed)]
    cands.sort(key=lambda c: (-c[0], c[1]))
    return [s for _, s in cands[:k]]


def test_schema_sql_creates_the_table():
    c = sqlite3.connect(":memory:")
    c.executescript(V.SCHEMA_SQL)
    assert c.execute("SELECT sql FROM sqlite_master WHERE name = 'oxidize_vectors'").fetchone()
    assert "oxidize_proj" in V.schema_sql("oxidize_proj")
    with pytest.raises(ValueError):
        V.schema_sql("bad; DROP TABLE eventlog")


def test_round_trip_is_exact(conn):
    vecs = unit(50)
    seqs = list(range(3, 153, 3))
    assert V.append(conn, seqs, vecs) == 50
    m = V.load(conn)
    assert m.seqs.tolist() == seqs
    assert np.array_equal(m.rows, vecs)
    assert V.last_seq(conn) == 150 and V.count(conn) == 50
    assert conn.execute("SELECT length(vec) FROM oxidize_vectors LIMIT 1").fetchone()[0] == 8 * 4


def test_append_is_a_pure_append(conn):
    V.append(conn, [1, 2], unit(2))
    with pytest.raises(ValueError):
        V.append(conn, [2, 3], unit(2))  # not after the last stored seq
    with pytest.raises(ValueError):
        V.append(conn, [5, 4], unit(2))  # not increasing
    with pytest.raises(ValueError):
        V.append(conn, [5], unit(2))  # counts differ
    assert V.append(conn, [], np.zeros((0, 8), dtype=np.float32)) == 0


def test_truncate_keeps_the_prefix_and_bumps_the_generation(conn):
    V.append(conn, range(1, 11), unit(10))
    assert V.generation(conn) == 0
    assert V.truncate(conn, 10) == 0 and V.generation(conn) == 0  # nothing after 10
    assert V.truncate(conn, 6) == 4
    assert V.generation(conn) == 1
    assert V.load(conn).seqs.tolist() == [1, 2, 3, 4, 5, 6]
    V.append(conn, [7, 8], unit(2, seed=5))  # the replay
    assert V.last_seq(conn) == 8


def test_top_k_matches_a_plain_sort(conn):
    vecs = unit(300, seed=1)
    seqs = np.arange(1, 601, 2)
    V.append(conn, seqs.tolist(), vecs)
    m = V.load(conn)
    for i, q in enumerate(unit(20, seed=2)):
        assert [s for s, _ in V.top_k(m, q, 10)] == naive(seqs, vecs, q, 10)
        assert [s for s, _ in V.top_k(m, q, 7, until_seq=301)] == naive(seqs, vecs, q, 7, until=301)
        allowed = set(seqs[i::5].tolist()) | {2, 4}  # some seqs that are not stored
        assert [s for s, _ in V.top_k(m, q, 5, allowed=allowed)] == naive(seqs, vecs, q, 5, allowed=allowed)
        got = V.top_k(m, q, 5, until_seq=200, allowed=allowed)
        assert [s for s, _ in got] == naive(seqs, vecs, q, 5, until=200, allowed=allowed)
    hits = V.top_k(m, vecs[10] * 3.0, 1)  # the query need not be unit length
    assert hits[0][0] == seqs[10] and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert V.search(conn, vecs[10], 1)[0][0] == seqs[10]


def test_ties_go_by_seq(conn):
    v = unit(1)[0]
    V.append(conn, [5, 9, 12, 20], np.stack([v, v, -v, v]))
    m = V.load(conn)
    assert [s for s, _ in V.top_k(m, v, 2)] == [5, 9]
    assert [s for s, _ in V.top_k(m, v, 10)] == [5, 9, 20, 12]


def test_empty_and_degenerate(conn):
    m = V.load(conn)
    assert V.top_k(m, unit(1)[0], 10) == []
    V.append(conn, [1], unit(1))
    m = V.load(conn)
    assert V.top_k(m, unit(1)[0], 0) == []
    assert V.top_k(m, unit(1)[0], 10, until_seq=0) == []
    assert V.top_k(m, unit(1)[0], 10, allowed=[]) == []


def test_index_follows_appends_and_truncations(conn):
    index = V.VectorIndex()
    q = unit(1, seed=9)[0]
    assert index.search(conn, q, 3) == []
    V.append(conn, range(1, 101), unit(100, seed=3))
    first = index.search(conn, q, 3)
    assert first == V.search(conn, q, 3)
    V.append(conn, range(101, 121), unit(20, seed=4))
    assert index.search(conn, q, 3) == V.search(conn, q, 3)
    assert len(index.refresh(conn)) == 120
    # A rebase: the log is truncated and replayed with other events at the same seqs.
    V.truncate(conn, 90)
    V.append(conn, range(91, 121), np.tile(q, (30, 1)))
    got = index.search(conn, q, 3)
    assert got == V.search(conn, q, 3)
    assert [s for s, _ in got] == [91, 92, 93]


def test_compare_within_tolerance():
    seqs = np.array([1, 2, 3, 5])
    rows = unit(4)
    same = V.Matrix(seqs, rows)
    assert V.compare(same, V.Matrix(seqs.copy(), rows + 1e-5)) is None
    noisy = rows.copy()
    noisy[2, 3] += 0.01
    diff = V.compare(same, V.Matrix(seqs, noisy))
    assert diff.seq == 3 and "differs" in diff.what
    assert V.compare(same, V.Matrix(seqs, noisy), tolerance=0.02) is None
    missing = V.compare(same, V.Matrix(seqs[[0, 1, 3]], rows[[0, 1, 3]]))
    assert missing == V.Difference(3, "missing in actual")
    extra = V.compare(V.Matrix(seqs[:2], rows[:2]), same)
    assert extra == V.Difference(3, "extra in actual")
    assert "dimension" in V.compare(same, V.Matrix(seqs, rows[:, :4])).what


def test_matrix_file_is_a_cache_that_is_never_wrong(conn, tmp_path):
    V.append(conn, range(1, 201), unit(200, seed=6))
    q = unit(1, seed=7)[0]
    assert V.load_cached(conn, tmp_path).seqs.tolist() == list(range(1, 201))  # no file yet: the table
    V.write_matrix_file(conn, tmp_path)
    cached = V.load_cached(conn, tmp_path)
    assert isinstance(cached.rows, np.memmap)
    assert np.array_equal(np.asarray(cached.rows), V.load(conn).rows)
    assert V.search(conn, q, 5, cache_dir=tmp_path) == V.search(conn, q, 5)
    # Appended after the file was written: the file plus the new rows.
    V.append(conn, range(201, 211), unit(10, seed=8))
    grown = V.load_cached(conn, tmp_path)
    assert grown.seqs.tolist() == list(range(1, 211)) and np.array_equal(grown.rows, V.load(conn).rows)
    # Truncated and replayed: the file is stale, the table answers.
    V.truncate(conn, 150)
    V.append(conn, range(151, 161), np.tile(q, (10, 1)))
    assert V.load_cached(conn, tmp_path).seqs.tolist() == list(range(1, 161))
    assert [s for s, _ in V.search(conn, q, 3, cache_dir=tmp_path)] == [151, 152, 153]
    # A damaged file is ignored.
    V.write_matrix_file(conn, tmp_path)
    (tmp_path / "oxidize_vectors.rows.npy").write_bytes(b"garbage")
    assert V.load_cached(conn, tmp_path).seqs.tolist() == list(range(1, 161))
