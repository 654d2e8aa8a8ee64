"""What the code source computed, kept by content so it is valid across rebuilds, rebases and clones.

One SQLite file, ``<cache_dir>/code-history.db``:

- ``deltas``: the change of a file's facts from one blob to another, keyed by (old blob, new
  blob, language, extractor version); ``0*40`` stands for "no file". A delta is what the log
  records for that change (path-free), so a warm build turns a file change into its events
  without reading or parsing anything, and the cache grows with the log's code events, not
  with the size of every version of every file.
- ``positions``: the line span of every fact of a blob (``code_positions`` for HEAD's files).

The version hashes the extractor, the language's query and hooks and the grammar (see
languages.extractor_version), so an edited query never serves stale results. Values are
zlib-compressed marshal (Python's own format: the Python version is part of every key).

The cache only ever saves time: any failure (read-only disk, corrupt file, lock contention)
turns it off for the run and the work is done again.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import sys
import zlib
from typing import Any, Iterable

# d2: deltas hold their payloads encoded (facts.Delta)
FORMAT = f"z{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}-d2"
# Rows go in rowid order (full pages, no overflow waste of a WITHOUT ROWID b-tree of large rows);
# the key is the binary object ids + language and version, unique-indexed.
LAYOUT = 2  # PRAGMA user_version: a file of another layout is emptied and made again
SCHEMA = """
CREATE TABLE IF NOT EXISTS deltas (key BLOB NOT NULL UNIQUE, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS positions (key BLOB NOT NULL UNIQUE, value BLOB NOT NULL);
"""
OLD_FILES = ("code-facts.db", "code-facts.db-wal", "code-facts.db-shm")  # an earlier layout: removed

DeltaKey = tuple[str, str, str]  # (old oid, new oid, lang)


def pack(value: Any) -> bytes:
    return zlib.compress(marshal.dumps(value), 6)


def unpack(raw: bytes) -> Any:
    return marshal.loads(zlib.decompress(raw))


class Cache:
    def __init__(self, cache_dir: str | None, versions: Any) -> None:
        """``versions(lang)``: the extractor version of a language (part of every key)."""
        self.path = os.path.join(cache_dir, "code-history.db") if cache_dir else None
        self.versions = versions
        self._conn: sqlite3.Connection | None = None
        self.disabled = self.path is None

    def _connect(self) -> sqlite3.Connection | None:
        if self.disabled:
            return None
        if self._conn is None:
            try:
                folder = os.path.dirname(self.path)  # type: ignore[arg-type]
                os.makedirs(folder, exist_ok=True)
                for name in OLD_FILES:
                    if os.path.exists(os.path.join(folder, name)):
                        os.remove(os.path.join(folder, name))
                conn = sqlite3.connect(self.path, timeout=2, isolation_level=None)  # type: ignore[arg-type]
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] != LAYOUT:
                    conn.executescript("DROP TABLE IF EXISTS deltas; DROP TABLE IF EXISTS positions; VACUUM;")
                    conn.executescript(SCHEMA + f"PRAGMA user_version = {LAYOUT};")
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.disabled = True
                return None
        return self._conn

    def _key(self, oids: tuple[str, ...], lang: str) -> bytes:
        """The binary object ids, then language and extractor version (a row's unique key)."""
        return b"".join(bytes.fromhex(o) for o in oids) + f"{lang}:{self.versions(lang)}:{FORMAT}".encode()

    def _get(self, table: str, key: bytes) -> Any | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
            return unpack(row[0]) if row else None
        except (sqlite3.Error, ValueError, EOFError, TypeError, zlib.error):
            self.disabled = True
            return None

    def deltas(self, keys: Iterable[DeltaKey]) -> dict[DeltaKey, Any]:
        """The cached deltas among ``keys``."""
        out: dict[DeltaKey, Any] = {}
        for old, new, lang in keys:
            if self.disabled:
                break
            value = self._get("deltas", self._key((old, new), lang))
            if value is not None:
                out[(old, new, lang)] = value
        return out

    def put_deltas(self, items: Iterable[tuple[DeltaKey, Any]]) -> None:
        self._put("deltas", [(self._key((o, n), lang), pack(v)) for (o, n, lang), v in items])

    def positions(self, oid: str, lang: str) -> Any | None:
        return self._get("positions", self._key((oid,), lang))

    def put_positions(self, items: Iterable[tuple[str, str, Any]]) -> None:
        self._put("positions", [(self._key((oid,), lang), pack(v)) for oid, lang, v in items])

    def _put(self, table: str, rows: list[tuple[bytes, bytes]]) -> None:
        conn = self._connect()
        if conn is None or not rows:
            return
        try:
            conn.execute("BEGIN")
            conn.executemany(f"INSERT OR IGNORE INTO {table}(key, value) VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
