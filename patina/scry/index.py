"""The search index: a materializer that folds knowledge events into ``scry_items``/``scry_fts``.

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
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, NamedTuple

SESSION_ITEM_TYPES = ("decision", "pattern", "work", "context", "observation")
# Event types the index reads, in no particular order (absorb walks them by seq).
INDEXED_EVENTS = tuple(f"session.{t}" for t in SESSION_ITEM_TYPES) + (
    "session.goal", "session.revised", "git.commit", "persona.note",
)
# The FTS columns and their BM25 weights: the item itself counts most.
FTS_COLUMNS = ("content", "detail", "context")
FTS_WEIGHTS = (1.0, 0.5, 0.2)
# scry_fts's tokenizer (patina/schema/50_scry.sql): words are tokenized the same way here.
TOKENIZE = "porter unicode61 remove_diacritics 2"
# A word in at least this many documents is common: scry_postings holds its postings.
HOT_DF = 4000
# Documents indexed at once by absorb (bounds its memory; larger batches share per-word work).
TEXT_BATCH = 5000


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
    # A commit's (content start, content length, detail start, detail length) in its message,
    # 1-based as SQL's substr counts: the row stores these instead of the text (None: the text).
    span: tuple[int, int, int, int] | None = None


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
        raw = data.get("message")
        message = _text(raw)
        subject, _, body = message.partition("\n")
        content, detail = subject.strip(), body.strip()
        if not content:
            return None
        span = _span(raw, content, detail) if isinstance(raw, str) else None
        return Doc(seq, "commit", source_id, timestamp, None, content, detail, "", None, span)
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


def _span(message: str, content: str, detail: str) -> tuple[int, int, int, int] | None:
    """Where ``content`` (the stripped first line of the stripped message) and ``detail`` (the
    stripped rest) are in ``message``, as SQL's substr() takes them; None when SQL could not cut
    them out alike (a NUL ends SQLite's text functions; lone surrogates are not UTF-8)."""
    if "\x00" in message or not (message.isascii() or _is_utf8(message)):
        return None
    start = len(message) - len(message.lstrip())
    at = message.find(content, start)
    after = at + len(content)
    detail_at = message.find(detail, after) if detail else after
    if at < 0 or detail_at < 0:
        return None
    return at + 1, len(content), detail_at + 1, len(detail)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


_local = threading.local()


def _tokenizer() -> sqlite3.Connection:
    """A private in-memory FTS5 table with the index's tokenizer (one per thread): the only
    exact way to know which words FTS5 makes of a text."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(FTS_COLUMNS)}, tokenize = '{TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        conn.execute("CREATE VIRTUAL TABLE r USING fts5vocab(t, 'row')")
        _local.conn = conn
    return conn


class Tokenized:
    """Documents as the index sees them, while the block that tokenized them runs (see
    :func:`tokenized`): the words they hold, and each word's occurrences per document."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def word_docs(self) -> list[tuple[str, int]]:
        """(word, documents holding it), by word."""
        return self._conn.execute("SELECT term, doc FROM r ORDER BY term").fetchall()

    def postings(self, words: Iterable[str]) -> Iterator[tuple[str, float, int, int]]:
        """(word, twice the weighted frequency, document length, seq) for ``words``, by word and seq."""
        return read_postings(self._conn, "v", "t_docsize", words)


def read_postings(conn: sqlite3.Connection, vocab: str, docsize: str,
                  words: Iterable[str]) -> Iterator[tuple[str, float, int, int]]:
    """(word, twice the weighted frequency, document length, seq) rows of ``words``, by word and
    seq (scry_postings' columns: doubling a float is exact), from
    an FTS5 table's instance vocabulary and docsize records (FTS5's own document lengths)."""
    counts = ", ".join(f"sum(v.col = '{c}')" for c in FTS_COLUMNS)
    freqs: dict[tuple[int, ...], float] = {}
    lengths: dict[bytes, int] = {}  # docsize record -> tokens (records repeat: decode each once)
    for word in sorted(words):
        for doc, *key, size in conn.execute(
                f"SELECT v.doc, {counts}, s.sz FROM {vocab} v JOIN {docsize} s ON s.id = v.doc "
                "WHERE v.term = ? GROUP BY v.doc ORDER BY v.doc", (word,)):
            key = tuple(key)
            freq = freqs.get(key)
            if freq is None:
                freq = freqs[key] = weighted_freq(key) * 2
            length = lengths.get(size)
            if length is None:
                length = lengths[size] = sum(_varints(size))
            yield word, freq, length, doc


@contextmanager
def tokenized(rows: Iterable[tuple[int, str, str, str]]) -> Iterator[Tokenized]:
    """What FTS5 makes of (seq, content, detail, context) rows, for the length of the block."""
    conn = _tokenizer()
    conn.execute("BEGIN")
    try:
        conn.executemany(f"INSERT INTO t(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?)", rows)
        yield Tokenized(conn)
    finally:
        conn.execute("ROLLBACK")


def query_tokens(word: str) -> list[str]:
    """The indexed words FTS5 makes of one query word (usually one: its stem)."""
    with tokenized([(1, word, "", "")]) as tok:
        return [w for w, _ in tok.word_docs()]


def weighted_freq(counts: Iterable[int]) -> float:
    """bm25()'s frequency of a word in a document: each occurrence adds its column's weight,
    in column order, so the float is the very one FTS5 computes."""
    freq = 0.0
    for n, weight in zip(counts, FTS_WEIGHTS):
        for _ in range(n):
            freq += weight
    return freq


def _varints(blob: bytes) -> list[int]:
    """SQLite varints (as FTS5 writes its averages and docsize records)."""
    if max(blob, default=0) < 0x80:
        return list(blob)  # every value below 128: one byte each
    out, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(documents, tokens) of scry_fts, read from FTS5's own averages record: bm25's N and
    the numerator of its average document length."""
    row = conn.execute("SELECT block FROM scry_fts_data WHERE id = 1").fetchone()
    values = _varints(row[0]) if row and row[0] else []
    return (values[0], sum(values[1:])) if values else (0, 0)


def doc_frequency(conn: sqlite3.Connection, term: str) -> int:
    """How many documents hold the indexed word ``term``."""
    row = conn.execute("SELECT docs FROM scry_words WHERE term = ?", (term,)).fetchone()
    return row[0] if row else 0


class SearchIndex:
    """Materializer for ``scry_items`` (read through the view ``scry_docs``) + ``scry_fts`` +
    ``scry_postings`` (see patina/schema/50_scry.sql)."""

    name = "scry"
    tables = ("scry_items", "scry_fts", "scry_words", "scry_postings")
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO scry_fts(scry_fts) VALUES ('delete-all')")
        conn.execute("DELETE FROM scry_items")
        conn.execute("DELETE FROM scry_words")
        conn.execute("DELETE FROM scry_postings")

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Undo every event after ``keep_through`` (cheaper than reset + absorb from 0): the
        pipeline calls it when the log is truncated for a replay, before the cut (a commit's
        text, which FTS5 needs to delete it, is read from its event)."""
        self._delete(conn, conn.execute(f"SELECT seq, {', '.join(FTS_COLUMNS)} FROM scry_docs WHERE seq > ?",
                                        (keep_through,)).fetchall())
        conn.execute("UPDATE scry_items SET removed_seq = NULL WHERE removed_seq > ?", (keep_through,))

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        from patina import store

        rows = store.events(conn, after_seq, INDEXED_EVENTS, by_type=True).fetchall()
        batch: list[Doc] = []  # documents not yet in scry_items (a revision needs them there)
        text: list[tuple[int, str, str, str]] = []  # ... and not yet in scry_fts / scry_postings
        for seq, event_type, timestamp, source_id, source_file, raw in rows:
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
                text.append((doc.seq, doc.content, doc.detail, doc.context))
                if len(text) >= TEXT_BATCH:
                    self._insert(conn, batch)
                    self._index(conn, text)
                    batch, text = [], []
        self._insert(conn, batch)
        self._index(conn, text)

    @staticmethod
    def _insert(conn: sqlite3.Connection, docs: list[Doc]) -> None:
        conn.executemany(
            "INSERT INTO scry_items(seq, type, origin, timestamp, source_file, content, detail, context, item_key, "
            "content_at, content_len, detail_at, detail_len) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*d[:5], d.content, d.detail, d.context, d.item_key, None, None, None, None) if d.span is None else
             (*d[:5], None, None, d.context, d.item_key, *d.span) for d in docs])

    @staticmethod
    def _index(conn: sqlite3.Connection, rows: list[tuple[int, str, str, str]]) -> None:
        """Add (seq, content, detail, context) rows to scry_fts and the word tables, in one go
        (the word tables' work is per distinct word: larger batches share it)."""
        if not rows:
            return
        conn.executemany("INSERT INTO scry_fts(rowid, content, detail, context) VALUES (?, ?, ?, ?)", rows)
        with tokenized(rows) as tok:
            _update_postings(conn, tok, added=True)

    @staticmethod
    def _delete(conn: sqlite3.Connection, rows: list[tuple]) -> None:
        """Drop documents, given as (seq, content, detail, context) rows, from the whole index."""
        if not rows:
            return
        conn.executemany("INSERT INTO scry_fts(scry_fts, rowid, content, detail, context) "
                         "VALUES ('delete', ?, ?, ?, ?)", rows)
        conn.executemany("DELETE FROM scry_items WHERE seq = ?", [(r[0],) for r in rows])
        with tokenized(rows) as tok:
            _update_postings(conn, tok, added=False)

    @staticmethod
    def _mark_removed(conn: sqlite3.Connection, seq: int, session_id: str, source_file: str | None,
                      removals: list[Removal]) -> None:
        """Mark the current items of session (``session_id``, ``source_file``) that the revision
        at ``seq`` names as removed by it: the same rule as the ``observations``/``goals`` views."""
        for r in removals:
            if r.key is not None:
                conn.execute(
                    "UPDATE scry_items SET removed_seq = ? WHERE origin = ? AND item_key = ? "
                    "AND source_file IS ? AND removed_seq IS NULL AND seq < ?",
                    (seq, session_id, r.key, source_file, seq))
            else:
                conn.execute(
                    "UPDATE scry_items SET removed_seq = ? WHERE origin = ? AND type = ? AND content = ? "
                    "AND source_file IS ? AND removed_seq IS NULL AND seq < ?",
                    (seq, session_id, r.type, r.content, source_file, seq))

    def forget(self, conn: sqlite3.Connection, seq: int) -> bool:
        """Drop one document for good (persona ``forget``). Returns whether it existed."""
        row = conn.execute(f"SELECT seq, {', '.join(FTS_COLUMNS)} FROM scry_docs WHERE seq = ?",
                           (seq,)).fetchone()
        if row is None:
            return False
        self._delete(conn, [row])
        # FTS5 keeps a deleted doc's terms in old segments until they merge: merge now.
        conn.execute("INSERT INTO scry_fts(scry_fts) VALUES ('optimize')")
        return True


def _update_postings(conn: sqlite3.Connection, docs: Tokenized, *, added: bool) -> None:
    """Keep scry_words (documents per word) and scry_postings (the postings of every word in at
    least HOT_DF documents) after ``docs`` were added to (or deleted from) scry_fts. A word that
    just became common gets all its postings, read back from the FTS index; one that no longer
    is loses them."""
    sign = 1 if added else -1
    counts = docs.word_docs()
    conn.executemany("INSERT INTO scry_words(term, docs) VALUES (?, ?) "
                     "ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs",
                     [(word, sign * n) for word, n in counts])
    if not added:
        conn.execute("DELETE FROM scry_words WHERE docs <= 0")
    now = dict(conn.execute("SELECT w.term, w.docs FROM json_each(?) j CROSS JOIN scry_words w "
                            "ON w.term = j.value", (json.dumps([w for w, _ in counts]),)))
    changed = []  # common words that were already common: postings to add or drop one by one
    for word, n in counts:
        before, after = now.get(word, 0) - sign * n, now.get(word, 0)
        if after < HOT_DF <= before:
            conn.execute("DELETE FROM scry_postings WHERE term = ?", (word,))
        elif before < HOT_DF <= after:
            _backfill(conn, word)
        elif after >= HOT_DF:
            changed.append(word)
    if not changed:
        return
    rows = list(docs.postings(changed))
    if added:
        conn.executemany("INSERT INTO scry_postings(term, freq2, length, seq) VALUES (?, ?, ?, ?)", rows)
    else:
        conn.executemany("DELETE FROM scry_postings WHERE term = ? AND freq2 = ? AND length = ? AND seq = ?", rows)


def _backfill(conn: sqlite3.Connection, word: str) -> None:
    """All postings of ``word``, read back from the FTS index itself."""
    conn.executemany("INSERT INTO scry_postings(term, freq2, length, seq) VALUES (?, ?, ?, ?)",
                     sorted(read_postings(conn, "scry_vocab", "scry_fts_docsize", [word])))


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
                "SELECT term, doc, col, offset FROM scry_vocab ORDER BY term, doc, col, offset",
                "SELECT * FROM scry_postings ORDER BY term, freq2, length, seq"):
        for row in conn.execute(sql):
            h.update(canonical_json(list(row)).encode())
            h.update(b"\n")
        h.update(b"--\n")
    return h.hexdigest()
