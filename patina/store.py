"""The event store: the SQLite file, its schema, appending and truncating events."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import contextmanager
from typing import Iterable, Iterator

from patina import __version__
from patina.errors import DatabaseError
from patina.events import Event, canonical_json

# Bump when the meaning of stored rows changes; a database of another version is rebuilt.
SCHEMA_VERSION = 1


SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "schema")


def schema_sql() -> str:
    """Every ``patina/schema/*.sql`` file, in name order (core first, then one per source)."""
    parts = []
    for name in sorted(n for n in os.listdir(SCHEMA_DIR) if n.endswith(".sql")):
        with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as fh:
            parts.append(fh.read())
    return "\n".join(parts)


def build_fingerprint() -> str:
    """Identifies the code that produced the rows: schema text and Patina's version.

    Stored in scrape_meta; a different one means the log must be rebuilt.
    """
    return hashlib.sha256(f"{SCHEMA_VERSION}\0{__version__}\0{schema_sql()}".encode()).hexdigest()[:16]


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        if not os.path.exists(path):
            raise DatabaseError(f"no database at {path}: run `patina scrape` first")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        # Rollback journal (not WAL): a rebuilt file can be renamed over the live one safely.
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """One transaction: committed when the block ends, rolled back on any exception
    (a killed process leaves SQLite's journal, which rolls back on the next open)."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(schema_sql())
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    set_meta(conn, "fingerprint", build_fingerprint())


def health(conn: sqlite3.Connection, *, quick: bool = False) -> str:
    """'ok', 'empty' (no schema yet), 'old-schema' or 'corrupt'.

    ``quick`` skips SQLite's page check (a full scan: not for the hook path).
    """
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return "empty"
        if version != SCHEMA_VERSION or "eventlog" not in tables or "scrape_meta" not in tables:
            return "old-schema"
        if get_meta(conn, "fingerprint") != build_fingerprint():
            return "old-schema"
        if not quick and conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            return "corrupt"
    except sqlite3.DatabaseError:
        return "corrupt"
    return "ok"


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM scrape_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    conn.execute(
        "INSERT INTO scrape_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM eventlog").fetchone()[0]


def append(conn: sqlite3.Connection, events: Iterable[Event], after_seq: int) -> int:
    """Append events with seq after_seq+1, after_seq+2, ...; returns the last seq written."""
    seq = after_seq

    def rows():
        nonlocal seq
        for ev in events:
            seq += 1
            yield (seq, ev.event_type, ev.timestamp, ev.source_id, ev.source_file, canonical_json(ev.data))

    conn.executemany(
        "INSERT INTO eventlog(seq, event_type, timestamp, source_id, source_file, data) VALUES (?, ?, ?, ?, ?, ?)",
        rows(),
    )
    return seq


def truncate(conn: sqlite3.Connection, keep_through: int) -> None:
    """Delete every event after ``keep_through`` so the next seq is keep_through + 1."""
    conn.execute("DELETE FROM eventlog WHERE seq > ?", (keep_through,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'eventlog'", (keep_through,))


def digest_rows(rows: Iterable[tuple]) -> tuple[int, str]:
    """(row count, sha256 over the rows' canonical JSON, in order): what `verify` and the tests compare."""
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(canonical_json(list(row)).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def dump_digest(conn: sqlite3.Connection, table: str = "eventlog", order: str = "seq") -> tuple[int, str]:
    """:func:`digest_rows` of a whole table in ``order``."""
    return digest_rows(conn.execute(f"SELECT * FROM {table} ORDER BY {order}"))  # noqa: S608 (internal names)
