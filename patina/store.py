"""The event store: the SQLite file, its schema, and every read and write of the log's tables.

This is the one module that runs SQL against ``eventlog`` and its bookkeeping (``scrape_meta``,
``fp_chain``, ``incomplete_commits``). Sources never touch the database: the pipeline reads
for them (see :class:`patina.sources.base.Reader`). Derived tables read the log through
:func:`events` and write only their own tables.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from typing import Iterable, Iterator

from patina import __version__
from patina.errors import DatabaseError
from patina.events import Event, canonical_json

# Bump when the meaning of stored rows changes; a database of another version is rebuilt.
SCHEMA_VERSION = 2


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
    import zlib  # not hashlib (OpenSSL): this runs on every hook; a checksum is enough here

    text = f"{SCHEMA_VERSION}\0{__version__}\0{schema_sql()}".encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


def require(path: str) -> None:
    """The one "no database" check: DatabaseError (exit 4) unless ``path`` exists."""
    if not os.path.exists(path):
        raise DatabaseError(f"no database at {path}: run `patina scrape` first")


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the database at ``path``: read-only (DatabaseError, exit 4, if it is
    missing or not a database) or read-write (created if absent)."""
    if readonly:
        require(path)
        conn = _open_readonly(path)
        if os.path.exists(path + "-journal"):
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # A writer was killed mid-transaction: its hot journal must be rolled back, which
                # a read-only connection cannot do. A read-write one does it on first read (SQLite
                # treats the journal as hot only when no live writer holds a lock).
                conn.close()
                _roll_back_hot_journal(path)
                conn = _open_readonly(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseError(f"{path} is not a readable database ({exc}): "
                                "run `patina scrape --full` to rebuild it") from None
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            # Rollback journal (not WAL): a rebuilt file can be renamed over the live one safely.
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseError(f"{path} is not a readable database ({exc}): "
                                "run `patina scrape --full` to rebuild it") from None
        _functions(conn)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _open_readonly(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    _functions(conn)
    return conn


def _functions(conn: sqlite3.Connection) -> None:
    """SQL functions the views use that an SQLite built without its math functions lacks."""
    try:
        conn.execute("SELECT ln(1.0)")
    except sqlite3.OperationalError:
        import math

        conn.create_function("ln", 1, lambda x: math.log(x) if x is not None and x > 0 else None,
                             deterministic=True)


def _roll_back_hot_journal(path: str) -> None:
    try:
        rw = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            rw.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            rw.close()
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"{path} needs recovery after an interrupted update, and this user cannot "
                            f"write it ({exc})") from None


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


def known_config(path: str):
    """The team config the log at ``path`` was last built with (a ``config.Known``), or None
    when there is no readable log: lets the hook path skip parsing an unchanged config."""
    from patina.config import Known

    if not os.path.exists(path):
        return None
    try:
        conn = connect(path, readonly=True)
    except DatabaseError:
        return None
    try:
        rows = dict(conn.execute("SELECT key, value FROM scrape_meta "
                                 "WHERE key IN ('config_source', 'config', 'config_json')").fetchall())
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return Known(rows.get("config_source"), rows.get("config"), rows.get("config_json"))


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    conn.execute(
        "INSERT INTO scrape_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM eventlog").fetchone()[0]


def last_event(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """(seq, timestamp) of the last event; (0, None) for an empty log."""
    row = conn.execute("SELECT seq, timestamp FROM eventlog ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, None)


# --- reading events -----------------------------------------------------------------------------

EventRow = tuple  # (seq, event_type, timestamp, source_id, source_file, data as JSON text)


def events(conn: sqlite3.Connection, after_seq: int = 0, types: Iterable[str] | None = None,
           through: int | None = None, by_type: bool = False) -> Iterator[EventRow]:
    """Events with ``after_seq < seq <= through``, in seq order, optionally of some types only.

    By default the type filter is applied to the primary-key range scan (``+event_type``), so
    reading the tail of a long log (the hook path) never touches the event-type index;
    ``by_type`` lets SQLite use that index instead (a few rare types over a whole log).
    """
    sql = "SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog WHERE seq > ?"
    args: list = [after_seq]
    if through is not None:
        sql += " AND seq <= ?"
        args.append(through)
    wanted = tuple(types) if types is not None else None
    if wanted is not None:
        sql += f" AND {'' if by_type else '+'}event_type IN ({','.join('?' * len(wanted))})"
        args.extend(wanted)
    return conn.execute(sql + " ORDER BY seq", args)


def event_fields(conn: sqlite3.Connection, after_seq: int, types: Iterable[str], paths: Iterable[str],
                 through: int | None = None) -> list[tuple]:
    """(seq, event_type, timestamp, source_id, source_file, *values) of the events of some types with
    ``after_seq < seq <= through``, in seq order; ``values``: the payload fields at the JSON
    ``paths`` (``$.name``...), read by SQLite (cheaper than decoding whole payloads in Python).
    Through the event-type index (a few types over a long range)."""
    wanted, fields = tuple(types), tuple(paths)
    cols = "".join(", data ->> ?" for _ in fields)
    sql = (f"SELECT seq, event_type, timestamp, source_id, source_file{cols} FROM eventlog WHERE seq > ?"
           + (" AND seq <= ?" if through is not None else "")
           + f" AND event_type IN ({','.join('?' * len(wanted))}) ORDER BY seq")
    args = [*fields, after_seq, *([through] if through is not None else []), *wanted]
    return conn.execute(sql, args).fetchall()


def field(conn: sqlite3.Connection, event_type: str, path: str) -> Iterator[tuple]:
    """One payload field (a JSON path such as ``$.message``) of every event of a type, in seq order."""
    return conn.execute("SELECT data ->> ? FROM eventlog WHERE event_type = ? ORDER BY seq", (path, event_type))


def history_of(conn: sqlite3.Connection, source_id: str, types: Iterable[str], through: int) -> Iterator[EventRow]:
    """The events about one thing (``source_id``) of some types with seq <= ``through``, newest first."""
    wanted = tuple(types)
    return conn.execute(
        "SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog "
        f"WHERE source_id = ? AND seq <= ? AND event_type IN ({','.join('?' * len(wanted))}) ORDER BY seq DESC",
        (source_id, through, *wanted))


def has_event_prefix(conn: sqlite3.Connection, prefix: str) -> bool:
    """Whether the log holds any event whose type starts with ``prefix`` (e.g. "session.")."""
    return conn.execute("SELECT 1 FROM eventlog WHERE event_type >= ? AND event_type < ? LIMIT 1",
                        (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))).fetchone() is not None


def has_event(conn: sqlite3.Connection, event_type: str) -> bool:
    return conn.execute("SELECT 1 FROM eventlog WHERE event_type = ? LIMIT 1", (event_type,)).fetchone() is not None


def fold_facts(conn: sqlite3.Connection, path: str, prefix: str) -> dict[tuple[str, str], dict]:
    """A file's current facts of one source, folded from the log: (event_type, key) -> data.

    Facts are events ``<prefix>.<kind>`` with source_id ``path`` (key "") or ``path::key``;
    ``<prefix>.removed`` {kind, name} removes one. ``file`` and ``previous`` (a change's old
    values) are left out of the data.
    """
    import json

    # The source_id index's two ranges (a source_file condition in SQL would turn the plan to the
    # event-type index: every fact of the source); another file whose name starts with this
    # path and "::" is told apart by source_file.
    rows = conn.execute(
        "SELECT event_type, source_id, source_file, data FROM eventlog WHERE (source_id = ? OR "
        "(source_id >= ? AND source_id < ?)) AND event_type >= ? AND event_type < ? ORDER BY seq",
        (path, path + "::", path + ":;", prefix + ".", prefix + "/"))
    removed = f"{prefix}.removed"
    facts: dict[tuple[str, str], dict] = {}
    for event, sid, file, data in rows:
        if file != path:
            continue
        key = "" if sid == path else sid[len(path) + 2:]
        payload = json.loads(data)
        if event == removed:
            facts.pop((f"{prefix}.{payload.get('kind')}", key), None)
        else:
            payload.pop("file", None)
            payload.pop("previous", None)  # what a change replaced: not part of the fact
            facts[(event, key)] = payload
    return facts


def session_files(conn: sqlite3.Connection, session_id: str) -> list[str]:
    """The files that hold a session id in the log's current state (the ``sessions`` view)."""
    return sorted(r[0] for r in conn.execute(
        "SELECT DISTINCT source_file FROM sessions WHERE session_id = ?", (session_id,)) if r[0])


def commit_seq_at(conn: sqlite3.Connection, until: str) -> int | None:
    """The last seq of the log prefix known at ``until`` (a UTC timestamp): the events up to the
    newest first-parent commit committed at or before it (what ``scrape --until`` builds).
    Logs without a chain (the persona's): the events before the first one stamped after it
    (None: all of them)."""
    if conn.execute("SELECT 1 FROM fp_chain LIMIT 1").fetchone() is not None:
        row = conn.execute(
            "SELECT f.last_seq FROM fp_chain f JOIN eventlog e "
            "ON e.source_id = f.sha AND e.event_type = 'git.commit' "
            "WHERE coalesce(e.data ->> '$.committer_time', e.timestamp) <= ? ORDER BY f.pos DESC LIMIT 1",
            (until,),
        ).fetchone()
        return row[0] if row else 0
    row = conn.execute("SELECT min(seq) FROM eventlog WHERE timestamp > ?", (until,)).fetchone()
    return None if row[0] is None else row[0] - 1


def event_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT event_type, count(*) FROM eventlog GROUP BY event_type ORDER BY event_type"))


# --- the first-parent chain ---------------------------------------------------------------------

def chain_step(conn: sqlite3.Connection, sha: str) -> tuple[int, str, int] | None:
    """(pos, sha, last seq of its step) if ``sha`` is on the chain the log was built along."""
    row = conn.execute("SELECT pos, sha, last_seq FROM fp_chain WHERE sha = ?", (sha,)).fetchone()
    return (row[0], row[1], row[2]) if row else None


def chain_length(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(pos), 0) FROM fp_chain").fetchone()[0]


def chain_append(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, int]]) -> None:
    conn.executemany("INSERT INTO fp_chain(pos, sha, last_seq) VALUES (?, ?, ?)", rows)


def cut(conn: sqlite3.Connection, pos: int, keep_through: int) -> None:
    """Truncate the log after chain position ``pos`` (whose step ends at ``keep_through``): the
    events, the chain and the incomplete-commit marks of the commits cut."""
    truncate(conn, keep_through)
    conn.execute("DELETE FROM fp_chain WHERE pos > ?", (pos,))
    conn.execute("DELETE FROM incomplete_commits WHERE sha NOT IN "
                 "(SELECT source_id FROM eventlog WHERE event_type = 'git.commit')")


def mark_incomplete(conn: sqlite3.Connection, shas: Iterable[str], reason: str) -> None:
    conn.executemany("INSERT OR REPLACE INTO incomplete_commits(sha, reason) VALUES (?, ?)",
                     ((sha, reason) for sha in shas))


def incomplete_commits(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT sha FROM incomplete_commits ORDER BY sha")]


# --- derived-state progress ---------------------------------------------------------------------

def _progress_key(name: str) -> str:
    return f"materializer:{name}"


def progress(conn: sqlite3.Connection, name: str) -> tuple[int, str | None]:
    """(last seq absorbed, its timestamp) of a materializer; (0, None) before its first absorb."""
    row = conn.execute("SELECT last_seq, last_timestamp FROM scrape_meta WHERE key = ?",
                       (_progress_key(name),)).fetchone()
    return (row[0] or 0, row[1]) if row else (0, None)


def set_progress(conn: sqlite3.Connection, name: str, last_seq: int, last_timestamp: str | None) -> None:
    conn.execute(
        "INSERT INTO scrape_meta(key, value, last_seq, last_timestamp) VALUES (?, NULL, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET last_seq = excluded.last_seq, last_timestamp = excluded.last_timestamp",
        (_progress_key(name), last_seq, last_timestamp),
    )


def meta_rows_except(conn: sqlite3.Connection, names: Iterable[str]) -> Iterator[tuple]:
    """``scrape_meta`` rows in key order, leaving out the progress of the named materializers."""
    keys = [_progress_key(n) for n in names]
    marks = ",".join("?" * len(keys)) or "''"
    return conn.execute(f"SELECT * FROM scrape_meta WHERE key NOT IN ({marks}) ORDER BY key", keys)  # noqa: S608


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


def high_water(conn: sqlite3.Connection) -> int:
    """The highest seq ever given (deleted events included): a personal log never reuses an id."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'eventlog'").fetchone()
    return max(row[0] if row else 0, last_seq(conn))


def remove_event(conn: sqlite3.Connection, seq: int, event_type: str) -> bool:
    """Delete one event of a personal log (never of a project log: that is a function of HEAD)."""
    return conn.execute("DELETE FROM eventlog WHERE seq = ? AND event_type = ?", (seq, event_type)).rowcount > 0


def copy_events(src: sqlite3.Connection, dest: sqlite3.Connection, event_type: str) -> None:
    """Copy the events of one type, same seqs, and the id high-water mark, into a new log.
    Raises sqlite3.DatabaseError when ``src`` cannot be read."""
    rows = src.execute("SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog "
                       "WHERE event_type = ? ORDER BY seq", (event_type,)).fetchall()
    top = high_water(src)
    dest.executemany("INSERT INTO eventlog(seq, event_type, timestamp, source_id, source_file, data) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
    if top:
        dest.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'eventlog'", (top,))


def truncate(conn: sqlite3.Connection, keep_through: int) -> None:
    """Delete every event after ``keep_through`` so the next seq is keep_through + 1."""
    conn.execute("DELETE FROM eventlog WHERE seq > ?", (keep_through,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'eventlog'", (keep_through,))


def digest_rows(rows: Iterable[tuple]) -> tuple[int, str]:
    """(row count, sha256 over the rows' canonical JSON, in order): what `verify` and the tests compare."""
    import hashlib

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
