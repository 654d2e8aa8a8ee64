"""The search index: a materializer that folds knowledge events into ``scry_docs``/``scry_fts``.

Indexed: session items (decision, pattern, work, context, observation), session goals,
commit messages, and persona notes (in the persona database, which has the same schema).
Each document is keyed by the seq of the event that recorded it, so absorbing is a pure
append by seq. An item a later ``session.revised`` event removes is not deleted: it is
marked with that event's seq (``removed_seq``), which keeps ``scry --until`` honest (the
item was known before the removal) and keeps every row a function of the log alone.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, NamedTuple

SESSION_ITEM_TYPES = ("decision", "pattern", "work", "context", "observation")
# Event types the index reads, in no particular order (absorb walks them by seq).
INDEXED_EVENTS = tuple(f"session.{t}" for t in SESSION_ITEM_TYPES) + (
    "session.goal", "session.revised", "git.commit", "persona.note",
)
# The FTS columns and their BM25 weights: the item itself counts most.
FTS_COLUMNS = ("content", "detail", "context")
FTS_WEIGHTS = (1.0, 0.5, 0.2)


class Doc(NamedTuple):
    seq: int
    type: str
    origin: str
    timestamp: str
    source_file: str | None
    content: str
    detail: str
    context: str
    item_key: str | None = None


def _text(value: Any) -> str:
    """A payload field as text ('' for missing or non-text values: bad input never raises)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, tuple)):
        return " ".join(_text(v) for v in value if _text(v))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def doc_for(seq: int, event_type: str, timestamp: str, source_id: str, source_file: str | None,
            data: dict[str, Any]) -> Doc | None:
    """The document an event contributes, or None (nothing to search in it)."""
    if event_type == "git.commit":
        message = _text(data.get("message"))
        subject, _, body = message.partition("\n")
        if not subject.strip():
            return None
        return Doc(seq, "commit", source_id, timestamp, None, subject.strip(), body.strip(), "")
    if event_type == "persona.note":
        content = _text(data.get("content"))
        if not content:
            return None
        return Doc(seq, "note", str(seq), timestamp, None, content, "", _text(data.get("tags")))
    if event_type == "session.goal":
        content = _text(data.get("content"))
        if not content:
            return None
        return Doc(seq, "goal", source_id, timestamp, source_file, content, "", "", _text(data.get("key")) or None)
    kind = event_type.partition(".")[2]
    if kind in SESSION_ITEM_TYPES:
        content = _text(data.get("content"))
        if not content:
            return None
        item_type = _text(data.get("type")) or kind
        if item_type not in SESSION_ITEM_TYPES:
            item_type = kind
        context = _join(_text(data.get("section")), _text(data.get("activity")))
        return Doc(seq, item_type, source_id, timestamp, source_file, content, _text(data.get("detail")), context,
                   _text(data.get("key")) or None)
    return None


class Removal(NamedTuple):
    """An item a ``session.revised`` event names: by key, or (older payloads) by type and content."""

    key: str | None
    type: str
    content: str


def _removals(data: dict[str, Any]) -> list[Removal]:
    out = []
    removed = data.get("removed")
    for item in removed if isinstance(removed, list) else []:
        if isinstance(item, dict):
            key = _text(item.get("key")) or None
            item_type, content = _text(item.get("type")), _text(item.get("content"))
            if key or (item_type and content):
                out.append(Removal(key, item_type, content))
    return out


class SearchIndex:
    """Materializer for ``scry_docs`` + ``scry_fts`` (see patina/schema/50_scry.sql)."""

    name = "scry"
    tables = ("scry_docs", "scry_fts")
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO scry_fts(scry_fts) VALUES ('delete-all')")
        conn.execute("DELETE FROM scry_docs")

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Undo every event after ``keep_through`` (cheaper than reset + absorb from 0).

        Not part of the Materializer protocol yet: offered for the pipeline to call on replay.
        """
        for row in conn.execute(f"SELECT seq, {', '.join(FTS_COLUMNS)} FROM scry_docs WHERE seq > ?",
                                (keep_through,)).fetchall():
            self._fts_delete(conn, row)
        conn.execute("DELETE FROM scry_docs WHERE seq > ?", (keep_through,))
        conn.execute("UPDATE scry_docs SET removed_seq = NULL WHERE removed_seq > ?", (keep_through,))

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        marks = ",".join("?" * len(INDEXED_EVENTS))
        cursor = conn.execute(
            "SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog "
            f"WHERE seq > ? AND event_type IN ({marks}) ORDER BY seq",
            (after_seq, *INDEXED_EVENTS),
        )
        batch: list[Doc] = []
        for seq, event_type, timestamp, source_id, source_file, raw in cursor.fetchall():
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if event_type == "session.revised":
                self._insert(conn, batch)  # a removal may concern an item of this batch
                batch = []
                self._mark_removed(conn, seq, source_id, source_file, _removals(data))
                continue
            doc = doc_for(seq, event_type, timestamp, source_id, source_file, data)
            if doc is not None:
                batch.append(doc)
        self._insert(conn, batch)

    @staticmethod
    def _insert(conn: sqlite3.Connection, docs: Iterable[Doc]) -> None:
        docs = list(docs)
        if not docs:
            return
        conn.executemany(
            "INSERT INTO scry_docs(seq, type, origin, timestamp, source_file, content, detail, context, item_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
        conn.executemany(
            "INSERT INTO scry_fts(rowid, content, detail, context) VALUES (?, ?, ?, ?)",
            [(d.seq, d.content, d.detail, d.context) for d in docs])

    @staticmethod
    def _fts_delete(conn: sqlite3.Connection, row: tuple) -> None:
        conn.execute("INSERT INTO scry_fts(scry_fts, rowid, content, detail, context) "
                     "VALUES ('delete', ?, ?, ?, ?)", row)

    @staticmethod
    def _mark_removed(conn: sqlite3.Connection, seq: int, session_id: str, source_file: str | None,
                      removals: list[Removal]) -> None:
        """Mark the current items of session (``session_id``, ``source_file``) that the revision
        at ``seq`` names as removed by it: the same rule as the ``observations``/``goals`` views."""
        for r in removals:
            if r.key is not None:
                conn.execute(
                    "UPDATE scry_docs SET removed_seq = ? WHERE origin = ? AND item_key = ? "
                    "AND source_file IS ? AND removed_seq IS NULL AND seq < ?",
                    (seq, session_id, r.key, source_file, seq))
            else:
                conn.execute(
                    "UPDATE scry_docs SET removed_seq = ? WHERE origin = ? AND type = ? AND content = ? "
                    "AND source_file IS ? AND removed_seq IS NULL AND seq < ?",
                    (seq, session_id, r.type, r.content, source_file, seq))

    def forget(self, conn: sqlite3.Connection, seq: int) -> bool:
        """Drop one document for good (persona ``forget``). Returns whether it existed."""
        row = conn.execute(f"SELECT seq, {', '.join(FTS_COLUMNS)} FROM scry_docs WHERE seq = ?",
                           (seq,)).fetchone()
        if row is None:
            return False
        self._fts_delete(conn, row)
        conn.execute("DELETE FROM scry_docs WHERE seq = ?", (seq,))
        return True


def check(conn: sqlite3.Connection) -> str | None:
    """None when the FTS index agrees with ``scry_docs``, else a one-line reason (for verify)."""
    try:
        conn.execute("INSERT INTO scry_fts(scry_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        return f"scry index: {exc}"
    return None


def digest(conn: sqlite3.Connection) -> str:
    """A sha256 over the index's logical content (documents and term instances).

    Equal for an incrementally kept index and a rebuilt one, unlike the FTS5 page blobs.
    """
    import hashlib

    from patina.events import canonical_json

    h = hashlib.sha256()
    for sql in ("SELECT * FROM scry_docs ORDER BY seq",
                "SELECT term, doc, col, offset FROM scry_vocab ORDER BY term, doc, col, offset"):
        for row in conn.execute(sql):
            h.update(canonical_json(list(row)).encode())
            h.update(b"\n")
        h.update(b"--\n")
    return h.hexdigest()
