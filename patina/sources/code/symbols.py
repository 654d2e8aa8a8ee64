"""``code_symbols_fts``: an FTS5 index over the current code definitions, for symbol search.

Incremental by seq: each definition event replaces its fact's row (found through
``code_symbols_keys``), each ``code.removed`` of a definition deletes it. The index therefore
always equals the ``code_symbols`` view, without rescanning the log.

Search example::

    SELECT qualified_name, file FROM code_symbols_fts
    WHERE code_symbols_fts MATCH 'open*' ORDER BY rank LIMIT 20;
"""

from __future__ import annotations

import json
import re
import sqlite3

DEFINITION_EVENTS = ("code.function", "code.struct", "code.enum", "code.trait", "code.class",
                     "code.interface", "code.type", "code.member", "code.constant")
_CATEGORIES = {e[5:] for e in DEFINITION_EVENTS}
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


def name_words(qualified_name: str) -> str:
    """``Store::openFile`` / ``open_file`` / ``HTTPServer`` -> "store open file" / ... / "http server"."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", qualified_name):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return " ".join(words)


_FIELDS = ("$.kind", "$.name", "$.qualified_name")  # what a row of the index needs from a payload


def _definitions(rows) -> list[tuple[int, str, str, str | None, dict]]:
    """(seq, event type, source id, file, fields + its ``_category``) of the definition events
    and the removals of definitions among rows of :func:`patina.store.event_fields` (_FIELDS)."""
    out = []
    for seq, event_type, _, source_id, source_file, kind, name, qualified_name in rows:
        category = kind if event_type == "code.removed" else event_type[5:]
        if category in _CATEGORIES:
            data = {"kind": kind, "name": name, "qualified_name": qualified_name, "_category": category}
            out.append((seq, event_type, source_id, source_file, data))
    return out


def _with_fields(rows):
    """Whole log rows as :func:`patina.store.event_fields` rows (_FIELDS)."""
    for seq, event_type, timestamp, source_id, source_file, raw in rows:
        data = json.loads(raw)
        yield (seq, event_type, timestamp, source_id, source_file, *(data.get(f[2:]) for f in _FIELDS))


class CodeSymbolIndex:
    name = "code_symbols_fts"
    tables = ("code_symbols_fts", "code_symbols_keys")
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM code_symbols_fts")
        conn.execute("DELETE FROM code_symbols_keys")

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        from patina import store

        rows = store.event_fields(conn, after_seq, (*DEFINITION_EVENTS, "code.removed"), _FIELDS)
        # Only a definition's last event in the batch decides its row (rowid = that event's seq,
        # so the rows are the same as absorbing event by event).
        last = sorted({(row[2], row[4]["_category"]): row for row in _definitions(rows)}.values(),
                      key=lambda r: r[0])
        # Each key once: delete every old row, then insert every new one (statements in bulk).
        self._delete(conn, [(source_id, data["_category"]) for _, _, source_id, _, data in last])
        self._insert(conn, [(seq, source_id, data["_category"], source_file, data)
                            for seq, event_type, source_id, source_file, data in last if event_type != "code.removed"])

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Undo the events after ``keep_through`` (still in the log): each definition they touched
        gets back the row of its last event at or before the cut, if that is not a removal."""
        from patina import store

        cut = store.event_fields(conn, keep_through, (*DEFINITION_EVENTS, "code.removed"), _FIELDS)
        for source_id, category in sorted({(sid, d["_category"]) for _, _, sid, _, d in _definitions(cut)}):
            self._delete(conn, [(source_id, category)])
            types = (f"code.{category}", "code.removed")
            for seq, event_type, source_id, source_file, data in _definitions(
                    _with_fields(store.history_of(conn, source_id, types, keep_through))):
                if data["_category"] == category:
                    if event_type != "code.removed":
                        self._insert(conn, [(seq, source_id, category, source_file, data)])
                    break

    @staticmethod
    def _delete(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> None:
        """Remove the rows of these (source id, category) keys, where they have one."""
        conn.executemany("DELETE FROM code_symbols_fts WHERE rowid = (SELECT fts_rowid FROM code_symbols_keys "
                         "WHERE source_id = ? AND category = ?)", keys)
        conn.executemany("DELETE FROM code_symbols_keys WHERE source_id = ? AND category = ?", keys)

    @staticmethod
    def _insert(conn: sqlite3.Connection, rows: list[tuple[int, str, str, str | None, dict]]) -> None:
        """(seq, source id, category, file, data) each: rowid = the event's seq, the same rows
        whether built incrementally or from scratch."""
        fts, keys = [], []
        for seq, source_id, category, file, data in rows:
            qualified = str(data.get("qualified_name") or data.get("name") or "")
            fts.append((seq, data.get("name"), qualified, name_words(qualified), file, source_id, category,
                        data.get("kind")))
            keys.append((source_id, category, seq))
        conn.executemany(
            "INSERT INTO code_symbols_fts(rowid, name, qualified_name, words, file, source_id, category, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fts)
        conn.executemany("INSERT INTO code_symbols_keys(source_id, category, fts_rowid) VALUES (?, ?, ?)", keys)
