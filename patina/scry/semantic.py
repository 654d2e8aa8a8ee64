"""The semantic oracle of ``patina scry``: the query's vector against a project's stored vectors.

An :class:`Engine` finds, for each project database, the query model its vectors were made with:

1. the light query encoder recorded by the last `patina oxidize` in the data directory
   (onnxruntime + tokenizers: no fastembed import, so a cold CLI call stays quick);
2. else the recipe's model loaded through fastembed (local directory or fastembed's cache, never
   downloaded here), whose identity must equal the vectors' (another model's vectors are noise).

Before searching it brings the vectors current when they lag the log by a few documents
(:func:`patina.oxidize.run.catch_up`: the notes a commit just added), so a decision committed a
moment ago is found semantically by the next query with nothing run by hand.

Candidates are the nearest vectors by cosine, the query mapped by the ``semantic`` projection when
that one beat the plain vectors on its held-out pairs (and, for code definitions, by the
``dependency`` projection likewise); they are then filtered as the lexical oracle filters
(``--until``, ``--type``, removed items), widening the candidate set until enough remain.

When anything is missing (no vectors, no model, another model) the engine says why in one line
and the caller answers lexically. A service keeps one engine (``keep=True``): encoders, matrices
and projections stay in memory across queries, each brought current cheaply before use.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from patina.errors import PatinaError


class Unavailable(Exception):
    """Semantic search cannot run for a database; the message says why (one line)."""


@dataclass
class Ranked:
    seq: int
    score: float  # cosine (after the projection, if one is used)
    code: bool = False  # a code definition (not a knowledge document)


class Engine:
    def __init__(self, *, keep: bool = False) -> None:
        self.keep = keep  # a service: keep encoders, matrices, projections across queries
        self._encoders: dict[Any, Any] = {}  # ModelIdentity -> encoder
        self._indexes: dict[str, Any] = {}  # db path -> VectorIndex
        self._projections: dict[str, tuple[tuple, dict]] = {}  # db path -> (state key, {name: matrix})
        self._lock = threading.Lock()
        self.caught_up = 0  # documents embedded by catch-ups (tests, benches)

    # --- the model ---------------------------------------------------------------------------

    def encoder(self, identity, recipe, data_dir: str | None):
        """The query encoder for vectors made with ``identity`` (raises Unavailable)."""
        with self._lock:
            cached = self._encoders.get(identity)
        if cached is not None:
            return cached
        from patina.oxidize import model

        encoder = model.load_query_encoder(data_dir) if data_dir else None
        if encoder is None or encoder.identity != identity:
            from patina.oxidize.run import load_embedder

            try:
                encoder = load_embedder(recipe, data_dir=data_dir, remember=False)
            except PatinaError as exc:
                raise Unavailable(str(exc)) from None
            if encoder.identity != identity:
                raise Unavailable(
                    f"the vectors were made with {identity.label()}, the model found "
                    f"locally is {encoder.identity.label()}: run `patina oxidize`")
            if data_dir and os.access(data_dir, os.W_OK):
                model.save_query_spec(encoder, data_dir)  # the next cold call loads the light one
        if self.keep:
            with self._lock:
                self._encoders.setdefault(identity, encoder)
        return encoder

    # --- the vectors -------------------------------------------------------------------------

    def _matrix(self, conn: sqlite3.Connection, db_path: str, data_dir: str | None):
        from patina.oxidize import vectors

        if not self.keep:
            return vectors.load_cached(conn, data_dir)
        with self._lock:
            index = self._indexes.setdefault(db_path, vectors.VectorIndex())
        return index.refresh(conn)

    def _used_projections(self, conn: sqlite3.Connection, db_path: str) -> dict:
        from patina.oxidize import run, state

        if not self.keep:
            return run.used_projections(conn)
        key = tuple(sorted((n, i.get("trained_through"), i.get("hash")) for n, i in state.projections(conn).items()))
        with self._lock:
            cached = self._projections.get(db_path)
        if cached is not None and cached[0] == key:
            return cached[1]
        found = run.used_projections(conn)
        with self._lock:
            self._projections[db_path] = (key, found)
        return found

    # --- searching ---------------------------------------------------------------------------

    def prepare(self, conn: sqlite3.Connection, db_path: str, data_dir: str | None):
        """(encoder, rows embedded for this query only) for a database with vectors: the model
        loaded, the vectors brought current if they lag by a few documents. Raises Unavailable."""
        from patina.oxidize import run, state

        identity = state.stored_identity(conn)
        recipe = state.stored_recipe(conn)
        if identity is None or recipe is None or not state.has_vectors(conn):
            raise Unavailable("no vectors (run `patina oxidize`)")
        encoder = self.encoder(identity, recipe, data_dir)
        extra = None
        if state.progress(conn) != _last_seq(conn):
            stored, extra, why = run.catch_up(db_path, encoder)
            self.caught_up += stored
            if why == "backlog":
                raise Lagging(f"the vectors lag the log by more than {state.INLINE_MAX} documents", encoder)
        return encoder, extra

    def begin(self, conn: sqlite3.Connection, db_path: str, data_dir: str | None, query: str, k: int, *,
              encoder, extra=None, until_seq: int | None = None, code: bool = False) -> "Pending":
        """Start a search for the ``k`` best eligible documents by cosine to ``query``. The vector
        work (embedding the query, one matrix product over every vector) runs on a thread, since
        onnxruntime and numpy release the GIL: the caller's lexical search (SQLite, which releases
        it too) runs meanwhile on the other core. :meth:`finish` waits for it and filters the
        candidates (with this thread's connection)."""
        import numpy as np

        from patina.oxidize import vectors

        matrix = self._matrix(conn, db_path, data_dir)
        if extra is not None and len(extra):
            newer = extra.seqs > (matrix.seqs[-1] if len(matrix) else 0)
            matrix = vectors.Matrix(np.concatenate([matrix.seqs, extra.seqs[newer]]),
                                    np.concatenate([matrix.rows, extra.rows[newer]]) if len(matrix) else extra.rows)
        pending = Pending(matrix, self._used_projections(conn, db_path), max(4 * k, 64))
        if len(matrix) == 0:
            return pending

        def work() -> None:
            try:
                base = encoder.embed([query])[0]
                q = _unit(pending.projections["semantic"] @ base) if "semantic" in pending.projections else base
                pending.query, pending.base = q, base
                with _one_blas_thread():
                    pending.candidates = vectors.top_k(matrix, q, pending.depth, until_seq=until_seq)
            except BaseException as exc:  # noqa: BLE001 - raised again by finish(), in the caller's thread
                pending.error = exc

        pending.thread = threading.Thread(target=work, name="patina-semantic", daemon=True)
        pending.thread.start()
        return pending

    def finish(self, conn: sqlite3.Connection, pending: "Pending", k: int, *, until_seq: int | None = None,
               types: Sequence[str] | None = None, code: bool = False) -> list[Ranked]:
        """The ``k`` best eligible documents of a search :meth:`begin` started."""
        from patina.oxidize import vectors

        if pending.thread is None:
            return []
        pending.thread.join()
        if pending.error is not None:
            raise pending.error
        wanted = None if types is None else set(types)
        depth, candidates = pending.depth, pending.candidates
        while True:
            found = _eligible(conn, candidates, until_seq, wanted, code)
            if len(found) >= k or len(candidates) < depth:
                break
            depth *= 4
            candidates = vectors.top_k(pending.matrix, pending.query, depth, until_seq=until_seq)
        if code and "dependency" in pending.projections:
            found = _rescore_code(found, pending.matrix, pending.projections["dependency"] @ pending.base)
        return found[:k]


_blas_lock = threading.Lock()
_blas_controller: list = []  # one threadpoolctl.ThreadpoolController, made at first use


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's matrix product on one core while the lexical oracle (SQLite) runs on the other.
    With BLAS on both cores the two contend: a warm hybrid query at 120k vectors took 52-58 ms,
    with this 42-44 ms (bench/bench_oxidize_latency.py). The setting is process-wide, and
    OpenBLAS takes it back reliably only in the thread that set it: one search at a time narrows
    and restores it in its own thread; a search that overlaps runs with whatever is set then."""
    if not _blas_lock.acquire(blocking=False):
        yield
        return
    try:
        if not _blas_controller:
            from threadpoolctl import ThreadpoolController

            _blas_controller.append(ThreadpoolController())
        limiter = _blas_controller[0].limit(limits=1, user_api="blas")
        try:
            yield
        finally:
            limiter.restore_original_limits()
    finally:
        _blas_lock.release()


@dataclass
class Pending:
    """A semantic search under way (see :meth:`Engine.begin`)."""

    matrix: Any
    projections: dict
    depth: int
    thread: threading.Thread | None = None
    query: Any = None  # the query vector searched (after the semantic projection, if used)
    base: Any = None  # the model's own vector of the query
    candidates: list = None  # type: ignore[assignment]
    error: BaseException | None = None


class Lagging(Unavailable):
    """The vectors lag the log by more than scry embeds itself: search what is there, and say so."""

    def __init__(self, message: str, encoder) -> None:
        super().__init__(message)
        self.encoder = encoder


def _unit(v):
    import numpy as np

    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v


def _last_seq(conn: sqlite3.Connection) -> int:
    from patina import store

    return store.last_seq(conn)


def _eligible(conn: sqlite3.Connection, candidates: list[tuple[int, float]], until_seq: int | None,
              wanted: set[str] | None, code: bool) -> list[Ranked]:
    """The candidates the lexical oracle could also return: knowledge documents not removed (as of
    ``until_seq``), of the types wanted; code definitions only with ``code``, and only current ones."""
    if not candidates:
        return []
    seqs = [s for s, _ in candidates]
    marks = ",".join("?" * len(seqs))
    docs = {seq: (typ, removed) for seq, typ, removed in conn.execute(
        f"SELECT seq, type, removed_seq FROM scry_docs WHERE seq IN ({marks})", seqs)}
    current_code: set[int] = set()
    if code and (wanted is None or "code" in wanted):
        try:
            current_code = {r[0] for r in conn.execute(
                f"SELECT rowid FROM code_symbols_fts WHERE rowid IN ({marks})", seqs)}
        except sqlite3.OperationalError:
            current_code = set()
    out = []
    for seq, score in candidates:
        doc = docs.get(seq)
        if doc is None:
            if seq in current_code:
                out.append(Ranked(seq, score, code=True))
            continue
        typ, removed = doc
        if removed is not None and (until_seq is None or removed <= until_seq):
            continue
        if wanted is not None and typ not in wanted:
            continue
        out.append(Ranked(seq, score))
    return out


def _rescore_code(found: list[Ranked], matrix, query) -> list[Ranked]:
    """Code definitions scored with the dependency projection's query (it beat the plain vectors
    on held-out calling pairs); knowledge documents keep theirs. Best first, ties by seq."""
    q = _unit(query)
    pos = {int(s): i for i, s in enumerate(matrix.seqs)}
    out = [Ranked(r.seq, float(matrix.rows[pos[r.seq]] @ q), True) if r.code and r.seq in pos else r for r in found]
    return sorted(out, key=lambda r: (-r.score, r.seq))
