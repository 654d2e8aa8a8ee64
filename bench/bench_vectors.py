"""Vector storage in the project database at 100k x 384 float32: which layout to use.

    .venv/bin/python bench/bench_vectors.py [-n 100000] [--dim 384] [--queries 50]

Side by side, for each candidate:

* ``vec0``      sqlite-vec's vec0 virtual table (rowid = seq, cosine), KNN in C. Loaded through
                apsw: this Python's sqlite3 (like pyenv's and macOS's) cannot load extensions.
* ``vec0+meta`` the same with a metadata column holding seq, so a seq cutoff filters during KNN.
* ``blob32``    a plain table (seq INTEGER PRIMARY KEY, vec BLOB float32), scanned with numpy:
                a service keeps the matrix in memory (warm), a CLI reads it per call (cold).
* ``blob16``    the same with float16 BLOBs (half the size; widened to float32 when read).
* ``library``   patina.oxidize.vectors as shipped (blob32 layout, the project's connection
                settings: rollback journal, synchronous=FULL; VectorIndex for warm queries).
* ``lib+file``  the library with its matrix file (write_matrix_file): cold processes map one .npy
                instead of reading 100k rows (DB MB then counts the file too).

vec0 needs ``pip install apsw sqlite-vec`` (bench only: not project dependencies).

Columns: insert (all rows, one transaction), DB MB, warm top-10 query ms (median/p90 over
``--queries``), cold = open + read + first query in this process, cold process = a new Python
process doing imports + open + read + first query (wall), append 100 rows + commit, truncate the
last 100 by seq + commit. Random unit vectors (timings do not depend on the values).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

K = 10


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, dim), dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


# ------------------------------------------------------------------------------------- vec0

def vec0_connect(path: str):
    import apsw
    import sqlite_vec

    conn = apsw.Connection(path)
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def vec0_bench(path: str, vectors: np.ndarray, queries: np.ndarray, meta: bool) -> dict:
    dim = vectors.shape[1]
    conn = vec0_connect(path)
    cols = "seq integer primary key, embedding float[%d] distance_metric=cosine" % dim
    if meta:
        cols += ", s integer"
    conn.execute(f"CREATE VIRTUAL TABLE vec USING vec0({cols})")
    n = len(vectors)
    t = time.perf_counter()
    with conn:
        if meta:
            conn.executemany("INSERT INTO vec(seq, embedding, s) VALUES (?, ?, ?)",
                             ((i + 1, vectors[i].tobytes(), i + 1) for i in range(n)))
        else:
            conn.executemany("INSERT INTO vec(seq, embedding) VALUES (?, ?)",
                             ((i + 1, vectors[i].tobytes()) for i in range(n)))
    insert = time.perf_counter() - t
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = os.path.getsize(path) / 1e6
    sql = "SELECT seq, distance FROM vec WHERE embedding MATCH ? AND k = ?"
    cut_sql = sql + " AND s <= ?"

    def query(q, cutoff=None):
        if cutoff is not None:
            return list(conn.execute(cut_sql, (q.tobytes(), K, cutoff)))
        return list(conn.execute(sql, (q.tobytes(), K)))

    times = timed([lambda q=q: query(q) for q in queries])
    cut_times = timed([lambda q=q: query(q, n // 2) for q in queries]) if meta else None
    conn.close()
    t = time.perf_counter()
    conn = vec0_connect(path)
    list(conn.execute(sql, (queries[0].tobytes(), K)))
    cold = time.perf_counter() - t
    extra = unit_rows(100, dim, 99)
    t = time.perf_counter()
    with conn:
        if meta:
            conn.executemany("INSERT INTO vec(seq, embedding, s) VALUES (?, ?, ?)",
                             ((n + i + 1, extra[i].tobytes(), n + i + 1) for i in range(100)))
        else:
            conn.executemany("INSERT INTO vec(seq, embedding) VALUES (?, ?)",
                             ((n + i + 1, extra[i].tobytes()) for i in range(100)))
    append = time.perf_counter() - t
    t = time.perf_counter()
    with conn:
        conn.execute("DELETE FROM vec WHERE seq > ?", (n,))
    truncate = time.perf_counter() - t
    conn.close()
    script = ("import time; t=time.perf_counter(); import apsw, sqlite_vec, numpy as np; "
              f"c=apsw.Connection({path!r}); c.enable_load_extension(True); c.load_extension(sqlite_vec.loadable_path()); "
              f"q=np.ones({dim}, dtype=np.float32); "
              f"r=list(c.execute('SELECT seq, distance FROM vec WHERE embedding MATCH ? AND k = {K}', (q.tobytes(),))); "
              "print(time.perf_counter()-t)")
    return dict(insert=insert, size=size, warm=times, cut=cut_times, cold=cold, proc=cold_process(script),
                append=append, truncate=truncate)


# ------------------------------------------------------------------------------------- blobs

def blob_bench(path: str, vectors: np.ndarray, queries: np.ndarray, dtype) -> dict:
    import sqlite3

    dim = vectors.shape[1]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE vec (seq INTEGER PRIMARY KEY, v BLOB NOT NULL)")
    n = len(vectors)
    stored = vectors.astype(dtype)
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO vec(seq, v) VALUES (?, ?)", ((i + 1, stored[i].tobytes()) for i in range(n)))
    conn.execute("COMMIT")
    insert = time.perf_counter() - t
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = os.path.getsize(path) / 1e6

    def load(c):
        rows = c.execute("SELECT seq, v FROM vec ORDER BY seq").fetchall()
        seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=dtype).reshape(len(rows), dim)
        return seqs, mat.astype(np.float32, copy=False)

    def top(seqs, mat, q, cutoff=None):
        scores = mat @ q
        if cutoff is not None:
            scores = np.where(seqs <= cutoff, scores, -np.inf)
        idx = np.argpartition(-scores, K)[:K]
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        return seqs[idx], scores[idx]

    seqs, mat = load(conn)
    times = timed([lambda q=q: top(seqs, mat, q) for q in queries])
    cut_times = timed([lambda q=q: top(seqs, mat, q, n // 2) for q in queries])
    conn.close()
    t = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    s2, m2 = load(conn)
    top(s2, m2, queries[0])
    cold = time.perf_counter() - t
    extra = unit_rows(100, dim, 99).astype(dtype)
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO vec(seq, v) VALUES (?, ?)", ((n + i + 1, extra[i].tobytes()) for i in range(100)))
    conn.execute("COMMIT")
    append = time.perf_counter() - t
    t = time.perf_counter()
    conn.execute("DELETE FROM vec WHERE seq > ?", (n,))
    truncate = time.perf_counter() - t
    conn.close()
    dt = np.dtype(dtype).name
    script = ("import time; t=time.perf_counter(); import sqlite3, numpy as np; "
              f"c=sqlite3.connect({path!r}); rows=c.execute('SELECT seq, v FROM vec ORDER BY seq').fetchall(); "
              f"m=np.frombuffer(b''.join(r[1] for r in rows), dtype='{dt}').reshape(len(rows), {dim}).astype(np.float32); "
              f"q=np.ones({dim}, dtype=np.float32); s=m@q; i=np.argpartition(-s, {K})[:{K}]; "
              "print(time.perf_counter()-t)")
    return dict(insert=insert, size=size, warm=times, cut=cut_times, cold=cold, proc=cold_process(script),
                append=append, truncate=truncate)


# ------------------------------------------------------------------------------ the library

def library_bench(path: str, vectors: np.ndarray, queries: np.ndarray, matrix_file: bool = False) -> dict:
    """patina.oxidize.vectors itself (float32 BLOBs): append, VectorIndex (warm, including its
    freshness check per query), load + top_k (cold), truncate."""
    import sqlite3

    from patina import store
    from patina.oxidize import vectors as V

    n, dim = vectors.shape
    conn = store.connect(path)
    V.create(conn)
    t = time.perf_counter()
    with store.transaction(conn):
        V.append(conn, range(1, n + 1), vectors)
    insert = time.perf_counter() - t
    size = os.path.getsize(path) / 1e6
    index = V.VectorIndex()
    times = timed([lambda q=q: index.search(conn, q, K) for q in queries])
    cut_times = timed([lambda q=q: index.search(conn, q, K, until_seq=n // 2) for q in queries])
    cache = os.path.dirname(path) if matrix_file else None
    if matrix_file:
        V.write_matrix_file(conn, cache)
    conn.close()
    t = time.perf_counter()
    conn = store.connect(path, readonly=True)
    V.search(conn, queries[0], K, cache_dir=cache)
    cold = time.perf_counter() - t
    conn.close()
    # A new process, while the matrix file is current (the append/truncate below make it stale).
    script = ("import time; t=time.perf_counter(); import numpy as np; from patina import store; "
              "from patina.oxidize import vectors as V; "
              f"c=store.connect({path!r}, readonly=True); q=np.ones({dim}, dtype=np.float32); "
              f"V.search(c, q, {K}, cache_dir={cache!r}); "
              "print(time.perf_counter()-t)")
    proc = cold_process(script)
    conn = store.connect(path)
    extra = unit_rows(100, dim, 99)
    t = time.perf_counter()
    with store.transaction(conn):
        V.append(conn, range(n + 1, n + 101), extra)
    append = time.perf_counter() - t
    t = time.perf_counter()
    with store.transaction(conn):
        V.truncate(conn, n)
    truncate = time.perf_counter() - t
    conn.close()
    if matrix_file:
        size += sum(os.path.getsize(os.path.join(cache, f)) for f in os.listdir(cache) if f.startswith("oxidize_vectors.")) / 1e6
    return dict(insert=insert, size=size, warm=times, cut=cut_times, cold=cold, proc=proc,
                append=append, truncate=truncate)


# ------------------------------------------------------------------------------------- common

def timed(calls) -> list[float]:
    calls[0]()  # warm-up
    out = []
    for call in calls:
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def cold_process(script: str, runs: int = 3) -> float:
    """Median wall of a new Python process running ``script`` (which prints its own in-process time)."""
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls)


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--only", default="vec0,vec0+meta,blob32,blob16,library,lib+file")
    args = parser.parse_args()
    vectors = unit_rows(args.n, args.dim, 1)
    queries = unit_rows(args.queries, args.dim, 2)
    results = {}
    with tempfile.TemporaryDirectory(prefix="patina-vec-") as tmp:
        for name in args.only.split(","):
            path = str(Path(tmp) / f"{name}.db")
            if name == "vec0":
                results[name] = vec0_bench(path, vectors, queries, meta=False)
            elif name == "vec0+meta":
                results[name] = vec0_bench(path, vectors, queries, meta=True)
            elif name == "blob32":
                results[name] = blob_bench(path, vectors, queries, np.float32)
            elif name == "library":
                results[name] = library_bench(path, vectors, queries)
            elif name == "lib+file":
                sub = Path(tmp) / "libfile"
                sub.mkdir()
                results[name] = library_bench(str(sub / "lib.db"), vectors, queries, matrix_file=True)
            elif name == "blob16":
                results[name] = blob_bench(path, vectors, queries, np.float16)
            print(f"  {name} done", file=sys.stderr, flush=True)
    print(f"{args.n} vectors x {args.dim}, top-{K}, {args.queries} queries; ms unless said")
    head = f"{'storage':<10} {'insert s':>8} {'DB MB':>7} {'warm med':>8} {'warm p90':>8} {'cut med':>8} " \
           f"{'cold':>7} {'cold proc':>9} {'append100':>9} {'trunc100':>8}"
    print(head)
    for name, r in results.items():
        cut = ms(statistics.median(r["cut"])) if r["cut"] else "-"
        print(f"{name:<10} {r['insert']:8.2f} {r['size']:7.1f} {ms(statistics.median(r['warm'])):>8} "
              f"{ms(p90(r['warm'])):>8} {cut:>8} {ms(r['cold']):>7} {ms(r['proc']):>9} "
              f"{ms(r['append']):>9} {ms(r['truncate']):>8}")


if __name__ == "__main__":
    main()
