"""Derived state: tables computed from the event log, kept current by seq.

Each materializer's progress (the last seq it absorbed, and that event's timestamp) is kept
by :mod:`patina.store`. The pipeline calls :func:`rollback` before it truncates the log (the
events to undo are still there to read) and :func:`absorb_all` after every append. Work is
proportional to the events cut or appended, never to the tables. Batch materializers (term
statistics) are marked stale instead and brought current by :func:`materialize`, which the
hooks run in the background.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patina.derived.base import Materializer

# "module:ClassName", in absorb order.
MATERIALIZERS: list[str] = [
    "patina.derived.files:FileHistory",  # file_history, co_changes, author_expertise
    "patina.derived.terms:TermStats",
    "patina.sources.code.symbols:CodeSymbolIndex",  # FTS5 over code definitions (code source)
    "patina.sources.code.positions:CodePositions",  # where HEAD's code facts are (code source)
    "patina.scry.index:SearchIndex",  # FTS5 over knowledge for `patina scry`
    "patina.oxidize.materializer:Embeddings",  # lazy: vectors, absorbed by `patina oxidize` (needs a model)
]


def load_all(ctx=None) -> list["Materializer"]:
    """The materializers; those marked ``uses_context`` get ``ctx`` (the pipeline's
    SourceContext: blobs, trees, the config, the cache directory), None outside an update."""
    from patina import lazy

    return [cls(ctx) if getattr(cls, "uses_context", False) else cls()
            for cls in map(lazy.load, MATERIALIZERS) if cls is not None]


def rollback(conn: sqlite3.Connection, keep_through: int) -> None:
    """Undo, in every materializer, the events after ``keep_through``, which the pipeline is
    about to cut (they are still in the log). A materializer without ``truncate`` and every
    batch one is reset and marked stale: rebuilt by the next absorb (incremental) or
    :func:`materialize` (batch). A *lazy* one (``lazy = True``: embeddings, which need a model
    no hook loads) is rolled back here but absorbed only by its own command."""
    from patina import store

    for mat in load_all():
        seen, _ = store.progress(conn, mat.name)
        if seen <= keep_through:
            continue
        undo = getattr(mat, "truncate", None)
        if undo is not None and mat.incremental:  # lazy ones included
            undo(conn, keep_through)
            seen, ts = keep_through, _timestamp(conn, keep_through)
        else:
            mat.reset(conn)
            seen, ts = 0, None
        store.set_progress(conn, mat.name, seen, ts)


def _timestamp(conn: sqlite3.Connection, seq: int) -> str | None:
    from patina import store

    row = next(iter(store.events(conn, seq - 1, through=seq)), None) if seq > 0 else None
    return row[2] if row else None


def absorb_all(conn: sqlite3.Connection, ctx=None) -> None:
    """Bring every incremental materializer up to the log's last seq (one that is ahead of
    the log, which only a damaged bookkeeping could cause, is rebuilt). ``ctx``: see
    :func:`load_all`; the pipeline passes it at the end of an update, not after each batch."""
    from patina import store

    last_seq, last_ts = store.last_event(conn)
    for mat in load_all(ctx):
        if not mat.incremental or getattr(mat, "lazy", False):
            continue
        seen, _ = store.progress(conn, mat.name)
        if seen > last_seq:
            mat.reset(conn)
            seen = 0
        if seen < last_seq:
            mat.absorb(conn, seen)
        store.set_progress(conn, mat.name, last_seq, last_ts)
        finish = getattr(mat, "finish", None)
        if ctx is not None and finish is not None:
            finish(conn)  # work a long build does once, at its end


def rebuild_all(conn: sqlite3.Connection, only: list[str] | None = None, ctx=None) -> list[str]:
    """Reset and rebuild materializers (all eager ones, or those named). Returns the names rebuilt.
    A lazy one (it needs a model) is rebuilt only by its own command."""
    from patina import store

    last_seq, last_ts = store.last_event(conn)
    done = []
    for mat in load_all(ctx):
        if only and mat.name not in only:
            continue
        if getattr(mat, "lazy", False):
            continue
        mat.reset(conn)
        mat.absorb(conn, 0)
        store.set_progress(conn, mat.name, last_seq, last_ts)
        finish = getattr(mat, "finish", None)
        if ctx is not None and finish is not None:
            finish(conn)
        done.append(mat.name)
    return done


def stale(conn: sqlite3.Connection, *, lazy: bool = False) -> list[str]:
    """Names of materializers that have not absorbed the whole log: the eager ones (which
    every update keeps current), or with ``lazy`` the lazy ones (brought current by their own
    command, e.g. `patina oxidize`)."""
    from patina import store

    last_seq, _ = store.last_event(conn)
    return [m.name for m in load_all() if bool(getattr(m, "lazy", False)) == lazy
            and store.progress(conn, m.name)[0] != last_seq]


def materialize(repo, full: bool = False, waiting=None) -> list[str]:
    """``patina materialize``: under the update lock, in one transaction, rebuild every
    materializer (``full``) or bring the stale ones current. The names worked on.
    ``waiting(holder)`` is told once if the lock is busy."""
    from patina import store
    from patina.errors import DatabaseError
    from patina.lock import locked

    from patina.derived._common import team_config
    from patina.update import source_context

    store.require(repo.db_path)
    with locked(repo.db_path, what="patina materialize", waiting=waiting):
        conn = store.connect(repo.db_path)
        try:
            if store.health(conn, quick=True) != "ok":
                raise DatabaseError(f"{repo.db_path} is not a current Patina database: run `patina scrape`")
            with store.transaction(conn), source_context(conn, repo, team_config(conn), lambda _m: None) as ctx:
                if full:
                    return rebuild_all(conn, ctx=ctx)
                behind = stale(conn)
                if behind:
                    absorb_all(conn, ctx)  # incremental ones: absorb the tail (reset if ahead of the log)
                    still = stale(conn)  # batch ones
                    if still:
                        rebuild_all(conn, only=still, ctx=ctx)
                return behind
        finally:
            conn.close()
