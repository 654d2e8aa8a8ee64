"""``term_stats``: vocabulary, document frequency and IDF of the project's own words.

The corpus is every commit message and every session observation as it stands now (the
``observations`` view: decisions, patterns, work, context, observations; an item a later
version of its file dropped is left out). Words are :mod:`patina.text`'s (the tokenizer and
stopwords scry uses too).

Incremental like every derived table: counts are sums over documents, so an append adds the
new documents' words, a ``session.revised`` subtracts the items it drops, and a truncation
undoes exactly the cut events. ``term_items`` records which documents are counted (and which
revision dropped an item), so each of these costs time in proportion to the events, never to
the vocabulary. The IDF, which changes for every word with every document, is not stored: the
``term_stats`` view computes it from ``term_counts`` and ``term_corpus``.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from typing import Iterable

from patina import store
from patina.text import terms as tokens

ITEM_EVENTS = ("session.decision", "session.pattern", "session.work", "session.context", "session.observation")
EVENTS = ("git.commit", *ITEM_EVENTS, "session.revised")


def idf(documents: int, doc_freq: int) -> float:
    """BM25's IDF, positive even for a term in every document (what the view computes)."""
    return math.log(1.0 + (documents - doc_freq + 0.5) / (doc_freq + 0.5))


class _Delta:
    """Changes to the counts, applied at once."""

    def __init__(self) -> None:
        self.terms: dict[str, list[int]] = {}  # term -> [doc_freq, term_freq]
        self.corpus: dict[str, list[int]] = {}  # kind -> [documents, tokens]

    def add(self, kind: str, text: str, sign: int) -> None:
        counts = Counter(tokens(text))
        for key in (kind, "all"):
            slot = self.corpus.setdefault(key, [0, 0])
            slot[0] += sign
            slot[1] += sign * sum(counts.values())
        for term, n in counts.items():
            slot = self.terms.setdefault(term, [0, 0])
            slot[0] += sign
            slot[1] += sign * n

    def apply(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO term_counts(term, doc_freq, term_freq) VALUES (?, ?, ?) ON CONFLICT(term) DO UPDATE "
            "SET doc_freq = doc_freq + excluded.doc_freq, term_freq = term_freq + excluded.term_freq",
            ((t, d, f) for t, (d, f) in sorted(self.terms.items()) if d or f))
        conn.executemany(
            "INSERT INTO term_corpus(kind, documents, tokens) VALUES (?, ?, ?) ON CONFLICT(kind) DO UPDATE "
            "SET documents = documents + excluded.documents, tokens = tokens + excluded.tokens",
            ((k, d, n) for k, (d, n) in sorted(self.corpus.items())))
        conn.execute("DELETE FROM term_counts WHERE doc_freq <= 0")
        conn.execute("DELETE FROM term_corpus WHERE documents <= 0")
        self.__init__()  # type: ignore[misc]


def _text(event_type: str, raw: str) -> str:
    data = json.loads(raw)
    value = data.get("message" if event_type == "git.commit" else "content") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _texts(conn: sqlite3.Connection, seqs: Iterable[int]) -> Iterable[tuple[int, str, str]]:
    """(seq, kind, text) of counted documents, read back from the log."""
    for seq in sorted(seqs):
        for _, event_type, _, _, _, raw in store.events(conn, seq - 1, through=seq):
            yield seq, "commit" if event_type == "git.commit" else "session", _text(event_type, raw)


class TermStats:
    name = "term_stats"
    incremental = True
    tables = ("term_counts", "term_corpus", "term_items")

    def reset(self, conn: sqlite3.Connection) -> None:
        for table in self.tables:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        delta = _Delta()
        items = []
        # The fields a document needs, read by SQLite (not whole payloads decoded in Python).
        for seq, event_type, _, source_id, source_file, message, content, key in store.event_fields(
                conn, after_seq, EVENTS, ("$.message", "$.content", "$.key")):
            if event_type == "git.commit":
                delta.add("commit", message if isinstance(message, str) else "", 1)
                items.append((seq, "commit", None, None, None))
            elif event_type in ITEM_EVENTS:
                delta.add("session", content if isinstance(content, str) else "", 1)
                items.append((seq, "session", source_id, source_file, key))
            else:  # a revision drops items counted before it: write what came first
                self._insert(conn, items)
                items = []
                delta.apply(conn)
                raw = next(iter(store.events(conn, seq - 1, through=seq)))[5]
                self._drop(conn, seq, source_id, source_file, json.loads(raw), delta)
        self._insert(conn, items)
        delta.apply(conn)

    @staticmethod
    def _insert(conn: sqlite3.Connection, items: list[tuple]) -> None:
        conn.executemany("INSERT INTO term_items(seq, kind, session_id, source_file, item_key) "
                         "VALUES (?, ?, ?, ?, ?)", items)

    @staticmethod
    def _drop(conn: sqlite3.Connection, seq: int, session_id: str, source_file: str | None, data: dict,
              delta: _Delta) -> None:
        """The items of (session, file) a revision names by key: no longer counted (the
        ``observations`` view's rule)."""
        keys = [r.get("key") for r in data.get("removed") or () if isinstance(r, dict) and r.get("key")]
        if not keys:
            return
        dropped = [r[0] for r in conn.execute(
            "SELECT seq FROM term_items WHERE kind = 'session' AND session_id = ? AND source_file IS ? "
            "AND removed_seq IS NULL AND seq < ? AND item_key IN (SELECT value FROM json_each(?))",
            (session_id, source_file, seq, json.dumps(keys)))]
        for _, kind, text in _texts(conn, dropped):
            delta.add(kind, text, -1)
        conn.executemany("UPDATE term_items SET removed_seq = ? WHERE seq = ?", ((seq, s) for s in dropped))
        delta.apply(conn)

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Undo the events after ``keep_through`` (still in the log): items their revisions
        dropped count again; documents they added count no more."""
        delta = _Delta()
        back = [r[0] for r in conn.execute(
            "SELECT seq FROM term_items WHERE seq <= ? AND removed_seq > ?", (keep_through, keep_through))]
        for _, kind, text in _texts(conn, back):
            delta.add(kind, text, 1)
        conn.execute("UPDATE term_items SET removed_seq = NULL WHERE seq <= ? AND removed_seq > ?",
                     (keep_through, keep_through))
        gone = [r[0] for r in conn.execute(
            "SELECT seq FROM term_items WHERE seq > ? AND removed_seq IS NULL", (keep_through,))]
        for _, kind, text in _texts(conn, gone):
            delta.add(kind, text, -1)
        conn.execute("DELETE FROM term_items WHERE seq > ?", (keep_through,))
        delta.apply(conn)
