"""Vectors in the project database: float32 BLOBs keyed by seq, searched with numpy.

Why this layout (bench/bench_vectors.py, 100k x 384, on 2 shared cores): a warm top-10 is one
matrix product, ~13 ms, where sqlite-vec's vec0 takes ~90 ms (it scans in SQLite's virtual-table
machinery); appends and truncations are plain rows (truncating 100 rows: ~3 ms, vec0 ~40 ms);
nothing has to be loaded into SQLite (the Python sqlite3 of pyenv, macOS and many distributions
cannot load extensions, so vec0 needs a second binding such as apsw); numpy is the only dependency.
The costs: 1,536-byte rows fit two to a 4 KiB page (205 MB for 100k vs vec0's 157 MB), and a cold
process must read every row (~0.5-1 s at 100k; 16k, the real Patina log: ~0.1 s), which the
optional matrix file (:func:`write_matrix_file`, mapped by :func:`load_cached`) brings to ~30 ms.

One table per vector space (base vectors, or a projection's, if one is ever stored), each
``(seq INTEGER PRIMARY KEY, vec BLOB)``: the vector of the event ``seq`` as ``dim`` little-endian
float32 values, unit length. Rows are appended in seq order and truncated by seq, like the log.
Every truncation bumps a generation counter in ``oxidize_meta`` so a cached matrix
(:class:`VectorIndex`, for a running service) knows to reload; an append only adds rows after
the last seq it holds, which it reads alone.

Nothing here opens transactions: the caller (the pipeline) wraps appends and truncations in its own.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

TABLE = "oxidize_vectors"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

SCHEMA_SQL = f"""\
-- Embeddings of knowledge events (oxidize): one row per embedded event, keyed by its seq.
-- vec: the vector as little-endian float32 values, unit length; the model that made them and
-- their dimension are recorded in oxidize_meta. Appended in seq order, truncated by seq.
CREATE TABLE IF NOT EXISTS {TABLE} (
    seq INTEGER PRIMARY KEY,
    vec BLOB NOT NULL
);
"""


def schema_sql(table: str = TABLE) -> str:
    """The CREATE statement of a vector table (``TABLE`` by default: the base vectors)."""
    return SCHEMA_SQL.replace(TABLE, _checked(table))


def _checked(table: str) -> str:
    if not _NAME.match(table):
        raise ValueError(f"bad vector table name {table!r}")
    return table


def create(conn: sqlite3.Connection, table: str = TABLE) -> None:
    """Create the vector table (and ``oxidize_meta``, for databases without Patina's schema).
    Plain statements: safe inside the caller's transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS oxidize_meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_checked(table)} (seq INTEGER PRIMARY KEY, vec BLOB NOT NULL)")


def to_blob(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes, dim: int | None = None) -> np.ndarray:
    import numpy as np

    vec = np.frombuffer(blob, dtype="<f4")
    if dim is not None and vec.shape[0] != dim:
        raise ValueError(f"vector of {vec.shape[0]} values where {dim} were expected")
    return vec


def last_seq(conn: sqlite3.Connection, table: str = TABLE) -> int:
    """The newest seq stored (0 when empty)."""
    return conn.execute(f"SELECT coalesce(max(seq), 0) FROM {_checked(table)}").fetchone()[0]


def count(conn: sqlite3.Connection, table: str = TABLE) -> int:
    return conn.execute(f"SELECT count(*) FROM {_checked(table)}").fetchone()[0]


def append(conn: sqlite3.Connection, seqs: Sequence[int], vectors: np.ndarray, table: str = TABLE) -> int:
    """Add the vectors of events ``seqs`` (increasing, all after the last stored seq): a pure append.
    Returns the number of rows written."""
    import numpy as np

    table = _checked(table)
    vectors = np.asarray(vectors, dtype=np.float32)
    seqs = [int(s) for s in seqs]
    if vectors.ndim != 2 or vectors.shape[0] != len(seqs):
        raise ValueError(f"{len(seqs)} seqs for vectors of shape {vectors.shape}")
    if not seqs:
        return 0
    if any(b <= a for a, b in zip(seqs, seqs[1:])):
        raise ValueError("seqs must be strictly increasing")
    last = last_seq(conn, table)
    if seqs[0] <= last:
        raise ValueError(f"append at seq {seqs[0]} is not after the last stored seq {last}: truncate first")
    little = vectors.astype("<f4", copy=False)
    conn.executemany(f"INSERT INTO {table}(seq, vec) VALUES (?, ?)",
                     ((s, little[i].tobytes()) for i, s in enumerate(seqs)))
    return len(seqs)


def truncate(conn: sqlite3.Connection, keep_through_seq: int, table: str = TABLE) -> int:
    """Drop the vectors of events after ``keep_through_seq`` (the log was truncated there).
    Returns the number of rows removed; bumps the table's generation when any were."""
    table = _checked(table)
    removed = conn.execute(f"DELETE FROM {table} WHERE seq > ?", (int(keep_through_seq),)).rowcount
    if removed:
        key = f"vectors:{table}:generation"
        conn.execute("INSERT INTO oxidize_meta(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE "
                     "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)", (key,))
    return removed


def generation(conn: sqlite3.Connection, table: str = TABLE) -> int:
    row = conn.execute("SELECT value FROM oxidize_meta WHERE key = ?", (f"vectors:{_checked(table)}:generation",)
                       ).fetchone()
    return int(row[0]) if row else 0


@dataclass
class Matrix:
    """Vectors in memory: ``seqs`` (int64, increasing) and ``rows`` (float32, (n, dim))."""

    seqs: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.seqs)


def load(conn: sqlite3.Connection, table: str = TABLE, *, after_seq: int = 0, dim: int | None = None) -> Matrix:
    """Read the vectors after ``after_seq`` (all by default) into one matrix."""
    import numpy as np

    rows = conn.execute(f"SELECT seq, vec FROM {_checked(table)} WHERE seq > ? ORDER BY seq", (after_seq,)).fetchall()
    seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return Matrix(seqs, np.zeros((0, dim or 0), dtype=np.float32))
    blob = b"".join(r[1] for r in rows)
    width = dim or len(rows[0][1]) // 4
    if len(blob) != 4 * width * len(rows):
        bad = next(r[0] for r in rows if len(r[1]) != 4 * width)
        raise ValueError(f"vector of seq {bad} has {len(dict(rows)[bad]) // 4} values, not {width}")
    return Matrix(seqs, np.frombuffer(blob, dtype="<f4").reshape(len(rows), width).astype(np.float32, copy=False))


def top_k(matrix: Matrix, query: np.ndarray, k: int = 10, *, until_seq: int | None = None,
          allowed: Iterable[int] | None = None) -> list[tuple[int, float]]:
    """The ``k`` stored vectors nearest ``query`` by cosine (dot product of unit vectors), best
    first, as (seq, score); equal scores by seq. ``until_seq``: only events up to it (the log as
    it was then). ``allowed``: only these seqs (e.g. of the types asked for, or not removed)."""
    import numpy as np

    if k <= 0 or len(matrix) == 0:
        return []
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(q))
    if norm > 0:
        q = q / norm
    seqs, rows = matrix.seqs, matrix.rows
    if until_seq is not None:
        end = int(np.searchsorted(seqs, until_seq, side="right"))
        seqs, rows = seqs[:end], rows[:end]
    if allowed is not None:
        wanted = np.unique(np.fromiter((int(s) for s in allowed), dtype=np.int64))
        at = np.intersect1d(seqs, wanted, assume_unique=True, return_indices=True)[1]
        seqs, rows = seqs[at], rows[at]
    if len(seqs) == 0:
        return []
    scores = rows @ q
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
        # Every row tying the k-th score is a candidate, so ties resolve by seq, not by partition order.
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
    else:
        part = np.arange(len(scores))
    order = part[np.lexsort((seqs[part], -scores[part]))][:k]
    return [(int(seqs[i]), float(scores[i])) for i in order]


def search(conn: sqlite3.Connection, query: np.ndarray, k: int = 10, *, table: str = TABLE,
           until_seq: int | None = None, allowed: Iterable[int] | None = None,
           cache_dir: str | os.PathLike | None = None) -> list[tuple[int, float]]:
    """:func:`top_k` straight from the database (a CLI call; a service keeps a :class:`VectorIndex`),
    through the matrix file in ``cache_dir`` when one is there (:func:`load_cached`)."""
    return top_k(load_cached(conn, cache_dir, table), query, k, until_seq=until_seq, allowed=allowed)


class VectorIndex:
    """A table's matrix kept in memory across queries (a running service), brought current before
    each search: appended rows are read alone, a truncation (new generation) reloads it."""

    def __init__(self, table: str = TABLE) -> None:
        self.table = _checked(table)
        self._matrix: Matrix | None = None
        self._generation = -1
        self._lock = threading.Lock()

    def refresh(self, conn: sqlite3.Connection) -> Matrix:
        """The table's matrix, current. Cheap when nothing changed: the generation and the last
        seq are two index look-ups (no count(*): that would read every page of the table)."""
        import numpy as np

        with self._lock:
            gen = generation(conn, self.table)
            matrix = self._matrix
            if matrix is None or gen != self._generation:
                matrix = load(conn, self.table)
            else:
                newest = int(matrix.seqs[-1]) if len(matrix) else 0
                if last_seq(conn, self.table) != newest:
                    # Same generation: nothing was truncated, so the change is a pure append.
                    more = load(conn, self.table, after_seq=newest, dim=matrix.rows.shape[1] or None)
                    matrix = Matrix(np.concatenate([matrix.seqs, more.seqs]),
                                    np.concatenate([matrix.rows, more.rows]) if len(matrix) else more.rows)
            self._matrix, self._generation = matrix, gen
            return matrix

    def search(self, conn: sqlite3.Connection, query: np.ndarray, k: int = 10, *, until_seq: int | None = None,
               allowed: Iterable[int] | None = None) -> list[tuple[int, float]]:
        return top_k(self.refresh(conn), query, k, until_seq=until_seq, allowed=allowed)


# ------------------------------------------------------------------ a matrix file for cold processes

def _cache_paths(directory: str | os.PathLike, table: str) -> tuple[Path, Path, Path]:
    base = Path(directory)
    return base / f"{table}.rows.npy", base / f"{table}.seqs.npy", base / f"{table}.json"


def write_matrix_file(conn: sqlite3.Connection, directory: str | os.PathLike, table: str = TABLE) -> Path:
    """Copy the table into ``directory`` (``.patina/data/``) as one float32 matrix a cold process
    maps instead of reading row by row (100k x 384: ~1 s from the table, ~0.1 s mapped). A cache:
    the table stays the truth. Returns the JSON file that says which state of the table it holds."""
    import numpy as np

    table = _checked(table)
    matrix = load(conn, table)
    rows_path, seqs_path, meta_path = _cache_paths(directory, table)
    state = {"generation": generation(conn, table), "last_seq": int(matrix.seqs[-1]) if len(matrix) else 0,
             "count": len(matrix), "dim": int(matrix.rows.shape[1])}
    for path, array in ((rows_path, matrix.rows), (seqs_path, matrix.seqs)):
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(array))
        os.replace(tmp, path)
    tmp = meta_path.with_name(meta_path.name + ".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, meta_path)
    return meta_path


def load_cached(conn: sqlite3.Connection, directory: str | os.PathLike | None, table: str = TABLE) -> Matrix:
    """The table's vectors, from the matrix file when it holds a prefix of the table's current
    state (same generation: nothing truncated since) plus the rows appended after it, else from
    the table itself. Never wrong, at worst slower."""
    import numpy as np

    table = _checked(table)
    if directory is not None:
        rows_path, seqs_path, meta_path = _cache_paths(directory, table)
        try:
            state = json.loads(meta_path.read_text(encoding="utf-8"))
            if state["generation"] == generation(conn, table) and state["last_seq"] <= last_seq(conn, table):
                seqs = np.load(seqs_path)
                rows = np.load(rows_path, mmap_mode="r")
                if len(seqs) == state["count"] == rows.shape[0] and rows.dtype == np.float32 and (
                        not len(seqs) or int(seqs[-1]) == state["last_seq"]):
                    tail = load(conn, table, after_seq=state["last_seq"], dim=int(rows.shape[1]))
                    if not len(tail):
                        return Matrix(seqs, rows)
                    return Matrix(np.concatenate([seqs, tail.seqs]), np.concatenate([rows, tail.rows]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return load(conn, table)


@dataclass(frozen=True)
class Difference:
    seq: int
    what: str  # "missing in actual", "extra in actual", "differs by X"


def compare(expected: Matrix, actual: Matrix, tolerance: float = 1e-3) -> Difference | None:
    """The first seq where two sets of vectors disagree (``verify``): a seq in one only, or vectors
    whose values differ by more than ``tolerance`` (largest absolute difference), or None.

    A tolerance, not equality: the same model on the same text gives slightly different floats
    depending on the batch it ran in (padding, and int8 models' dynamic quantisation scale) and on
    the CPU's instruction set. 1e-3 of a unit vector's component moves a cosine by far less than
    the gaps that separate search results."""
    import numpy as np

    common, in_e, in_a = np.intersect1d(expected.seqs, actual.seqs, assume_unique=True, return_indices=True)
    firsts: list[Difference] = []
    only_e = np.setdiff1d(expected.seqs, common, assume_unique=True)
    only_a = np.setdiff1d(actual.seqs, common, assume_unique=True)
    if len(only_e):
        firsts.append(Difference(int(only_e[0]), "missing in actual"))
    if len(only_a):
        firsts.append(Difference(int(only_a[0]), "extra in actual"))
    if len(common):
        e, a = expected.rows[in_e], actual.rows[in_a]
        if e.shape[1] != a.shape[1]:
            return Difference(int(common[0]), f"dimension {a.shape[1]} instead of {e.shape[1]}")
        worst = np.abs(e - a).max(axis=1)
        bad = np.flatnonzero(worst > tolerance)
        if len(bad):
            firsts.append(Difference(int(common[bad[0]]), f"differs by {float(worst[bad[0]]):.2e}"))
    return min(firsts, key=lambda d: d.seq) if firsts else None
