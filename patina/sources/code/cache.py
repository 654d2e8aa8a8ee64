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

FORMAT = f"z{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
SCHEMA = """
CREATE TABLE IF NOT EXISTS deltas (
    old TEXT NOT NULL, new TEXT NOT NULL, lang TEXT NOT NULL, version TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (old, new, lang, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS positions (
    oid TEXT NOT NULL, lang TEXT NOT NULL, version TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (oid, lang, version)
) WITHOUT ROWID;
"""
OLD_FILES = ("code-facts.db", "code-facts.db-wal", "code-facts.db-shm")  # an earlier layout: removed

DeltaKey = tuple[str, str, str]  # (old oid, new oid, lang)


def pack(value: Any) -> bytes:
    return zlib.compress(marshal.dumps(value), 1)


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
                conn.executescript(SCHEMA)
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.disabled = True
                return None
        return self._conn

    def _version(self, lang: str) -> str:
        return f"{self.versions(lang)}:{FORMAT}"

    def deltas(self, keys: Iterable[DeltaKey]) -> dict[DeltaKey, Any]:
        """The cached deltas among ``keys``."""
        conn = self._connect()
        out: dict[DeltaKey, Any] = {}
        if conn is None:
            return out
        try:
            for old, new, lang in keys:
                row = conn.execute("SELECT value FROM deltas WHERE old = ? AND new = ? AND lang = ? AND version = ?",
                                   (old, new, lang, self._version(lang))).fetchone()
                if row is not None:
                    out[(old, new, lang)] = unpack(row[0])
        except (sqlite3.Error, ValueError, EOFError, TypeError, zlib.error):
            self.disabled = True
        return out

    def put_deltas(self, items: Iterable[tuple[DeltaKey, Any]]) -> None:
        self._put("INSERT OR IGNORE INTO deltas(old, new, lang, version, value) VALUES (?, ?, ?, ?, ?)",
                  [(o, n, lang, self._version(lang), pack(v)) for (o, n, lang), v in items])

    def positions(self, oid: str, lang: str) -> Any | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value FROM positions WHERE oid = ? AND lang = ? AND version = ?",
                               (oid, lang, self._version(lang))).fetchone()
            return unpack(row[0]) if row else None
        except (sqlite3.Error, ValueError, EOFError, TypeError, zlib.error):
            self.disabled = True
            return None

    def put_positions(self, items: Iterable[tuple[str, str, Any]]) -> None:
        self._put("INSERT OR IGNORE INTO positions(oid, lang, version, value) VALUES (?, ?, ?, ?)",
                  [(oid, lang, self._version(lang), pack(v)) for oid, lang, v in items])

    def _put(self, sql: str, rows: list[tuple]) -> None:
        conn = self._connect()
        if conn is None or not rows:
            return
        try:
            conn.execute("BEGIN")
            conn.executemany(sql, rows)
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
