"""The protocol every materializer follows (its progress is kept by patina.store)."""

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
