"""Derived state: tables computed from the event log, kept current by seq.

Each materializer records in ``scrape_meta`` (name = ``materializer:<name>``) the last
seq it has absorbed and that event's timestamp. The pipeline calls :func:`absorb_all`
after every append; when the log was truncated below a materializer's seq it is reset
and rebuilt from the log. Batch materializers are only marked stale by the pipeline and
rebuilt by ``patina materialize``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patina.derived.base import Materializer

# "module:ClassName", in absorb order.
MATERIALIZERS: list[str] = [
    "patina.derived.cochange:CoChanges",
    "patina.derived.expertise:AuthorExpertise",
    "patina.derived.terms:TermStats",
    "patina.sources.code.symbols:CodeSymbolIndex",  # FTS5 over code definitions (code source)
    "patina.scry.index:SearchIndex",  # FTS5 over knowledge for `patina scry`
]


def load_all() -> list["Materializer"]:
    from patina import lazy

    return [cls() for cls in map(lazy.load, MATERIALIZERS) if cls is not None]


def absorb_all(conn: sqlite3.Connection, truncated_to: int | None) -> None:
    """Bring every incremental materializer up to the log's last seq.

    ``truncated_to``: the seq the log was cut back to in this update (None if only appended).
    """
    from patina import store

    last_seq, last_ts = store.last_event(conn)
    for mat in load_all():
        seen, _ = store.progress(conn, mat.name)
        if truncated_to is not None and seen > truncated_to:
            undo = getattr(mat, "truncate", None)
            if undo is not None and mat.incremental:  # can undo events itself: cheaper than a rebuild
                undo(conn, truncated_to)
                seen = truncated_to
            else:
                mat.reset(conn)
                seen = 0
        if seen > last_seq:  # log shorter than what we absorbed: rebuild
            mat.reset(conn)
            seen = 0
        if not mat.incremental:  # batch: left stale until `patina materialize`
            continue
        if seen < last_seq:
            mat.absorb(conn, seen)
        store.set_progress(conn, mat.name, last_seq, last_ts)


def rebuild_all(conn: sqlite3.Connection, only: list[str] | None = None) -> list[str]:
    """Reset and rebuild materializers (all, or those named). Returns the names rebuilt."""
    from patina import store

    last_seq, last_ts = store.last_event(conn)
    done = []
    for mat in load_all():
        if only and mat.name not in only:
            continue
        mat.reset(conn)
        mat.absorb(conn, 0)
        store.set_progress(conn, mat.name, last_seq, last_ts)
        done.append(mat.name)
    return done


def stale(conn: sqlite3.Connection) -> list[str]:
    """Names of materializers that have not absorbed the whole log."""
    from patina import store

    last_seq, _ = store.last_event(conn)
    return [m.name for m in load_all() if store.progress(conn, m.name)[0] != last_seq]


def materialize(repo, full: bool = False) -> list[str]:
    """``patina materialize``: under the update lock, in one transaction, rebuild every
    materializer (``full``) or bring the stale ones current. The names worked on."""
    from patina import store
    from patina.errors import DatabaseError
    from patina.lock import locked

    store.require(repo.db_path)
    with locked(repo.db_path):
        conn = store.connect(repo.db_path)
        try:
            if store.health(conn, quick=True) != "ok":
                raise DatabaseError(f"{repo.db_path} is not a current Patina database: run `patina scrape`")
            with store.transaction(conn):
                if full:
                    return rebuild_all(conn)
                behind = stale(conn)
                if behind:
                    absorb_all(conn, None)  # incremental ones: absorb the tail (reset if ahead of the log)
                    still = stale(conn)  # batch ones
                    if still:
                        rebuild_all(conn, only=still)
                return behind
        finally:
            conn.close()
