"""The protocol every materializer follows, and its bookkeeping in scrape_meta."""

from __future__ import annotations

import sqlite3
from typing import Protocol


class Materializer(Protocol):
    name: str  # e.g. "co_changes"
    incremental: bool  # False: batch, rebuilt by `patina materialize`
    tables: tuple[str, ...]  # what it writes (verify skips a stale batch materializer's tables)

    def reset(self, conn: sqlite3.Connection) -> None:
        """Empty the derived tables (they exist: created by patina/schema/*.sql)."""

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        """Fold every event with seq > after_seq into the tables. Deterministic; no wall clock."""

    # Optional: ``truncate(conn, keep_through)`` undoes every event after keep_through.
    # When present, a truncated log rolls the materializer back instead of rebuilding it;
    # the result must equal a rebuild of the kept prefix (verify checks it).


def meta_key(name: str) -> str:
    return f"materializer:{name}"


def get_meta(conn: sqlite3.Connection, name: str) -> tuple[int, str | None]:
    row = conn.execute(
        "SELECT last_seq, last_timestamp FROM scrape_meta WHERE key = ?", (meta_key(name),)
    ).fetchone()
    return (row[0] or 0, row[1]) if row else (0, None)


def set_meta(conn: sqlite3.Connection, name: str, last_seq: int, last_timestamp: str | None) -> None:
    conn.execute(
        "INSERT INTO scrape_meta(key, value, last_seq, last_timestamp) VALUES (?, NULL, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET last_seq = excluded.last_seq, last_timestamp = excluded.last_timestamp",
        (meta_key(name), last_seq, last_timestamp),
    )


def last_event(conn: sqlite3.Connection) -> tuple[int, str | None]:
    row = conn.execute("SELECT seq, timestamp FROM eventlog ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, None)
