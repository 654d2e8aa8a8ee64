"""Facts cached by blob id: content-addressed, so valid across rebuilds, rebases and clones.

One SQLite file, ``<cache_dir>/code-facts.db``. Key: (blob oid, language, extractor version);
the version hashes the framework, the language's query and hook module (see
languages.extractor_version), so an edited query never serves stale facts. The blob size is
stored with the facts so the ``max_bytes`` rule is applied without reading the blob.

The cache only ever saves time: any failure (read-only disk, corrupt file, lock contention)
turns it off for the run and the facts are computed again.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import sys
from typing import Iterable

from patina.sources.code.facts import FileFacts

# Facts are stored as marshal bytes: several times faster to write and read than JSON, and
# what the parse worker sends back anyway. marshal's format is Python's own, so the Python
# version is part of every row's version.
FORMAT = f"marshal{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
SCHEMA = """
CREATE TABLE IF NOT EXISTS facts_m (
    oid TEXT NOT NULL,
    lang TEXT NOT NULL,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    facts BLOB NOT NULL,
    PRIMARY KEY (oid, lang, version)
) WITHOUT ROWID;
"""

Key = tuple[str, str]  # (oid, lang)


class FactCache:
    def __init__(self, cache_dir: str | None) -> None:
        self.path = os.path.join(cache_dir, "code-facts.db") if cache_dir else None
        self._conn: sqlite3.Connection | None = None
        self.disabled = self.path is None

    def _connect(self) -> sqlite3.Connection | None:
        if self.disabled:
            return None
        if self._conn is None:
            try:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)  # type: ignore[arg-type]
                conn = sqlite3.connect(self.path, timeout=2, isolation_level=None)  # type: ignore[arg-type]
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(SCHEMA)
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.disabled = True
                return None
        return self._conn

    def get_many(self, keys: Iterable[Key], versions: dict[str, str]) -> dict[Key, tuple[int, FileFacts]]:
        conn = self._connect()
        out: dict[Key, tuple[int, FileFacts]] = {}
        if conn is None:
            return out
        try:
            for oid, lang in keys:
                row = conn.execute("SELECT size, facts FROM facts_m WHERE oid = ? AND lang = ? AND version = ?",
                                   (oid, lang, f"{versions[lang]}:{FORMAT}")).fetchone()
                if row is not None:
                    facts = marshal.loads(row[1])
                    if not isinstance(facts, dict):
                        raise ValueError("not a facts record")
                    out[(oid, lang)] = (row[0], facts)
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            self.disabled = True
        return out

    def put_many(self, items: Iterable[tuple[Key, int, FileFacts, bytes | None]], versions: dict[str, str]) -> None:
        """Store (key, blob size, facts, facts already as marshal bytes or None) rows in one
        transaction."""
        conn = self._connect()
        if conn is None:
            return
        rows = [(oid, lang, f"{versions[lang]}:{FORMAT}", size, raw if raw is not None else marshal.dumps(ff))
                for (oid, lang), size, ff, raw in items]
        if not rows:
            return
        try:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO facts_m(oid, lang, version, size, facts) VALUES (?, ?, ?, ?, ?)",
                             rows)
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
