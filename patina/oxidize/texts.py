"""What gets embedded: the knowledge documents of the search index, as one text each.

A document is a row of ``scry_docs`` (session items and goals, commit messages, persona notes):
its ``content`` and ``detail`` joined by a newline and cut at :data:`MAX_CHARS` characters
(a commit: subject, then body). Keyed by the seq of the event that recorded it, like the index.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple, Sequence

MAX_CHARS = 1000


class Doc(NamedTuple):
    seq: int
    type: str  # decision|pattern|work|context|observation|goal|commit|note
    origin: str  # session id, commit sha, note id
    timestamp: str
    text: str


def doc_text(content: str, detail: str = "", max_chars: int = MAX_CHARS) -> str:
    text = content.strip()
    if detail and detail.strip():
        text = f"{text}\n{detail.strip()}"
    return text[:max_chars]


def knowledge_docs(conn: sqlite3.Connection, *, after_seq: int = 0, types: Sequence[str] | None = None,
                   include_removed: bool = False, max_chars: int = MAX_CHARS) -> list[Doc]:
    """The documents of ``scry_docs`` after ``after_seq``, by seq (removed items too, when asked:
    an embedding, like the index, is a function of the event, and removal is a filter at query time)."""
    where, args = ["seq > ?"], [after_seq]
    if not include_removed:
        where.append("removed_seq IS NULL")
    if types is not None:
        where.append(f"type IN ({','.join('?' * len(types))})")
        args += list(types)
    rows = conn.execute(
        f"SELECT seq, type, origin, timestamp, content, detail FROM scry_docs WHERE {' AND '.join(where)} ORDER BY seq",
        args).fetchall()
    return [Doc(seq, typ, origin, ts, doc_text(content, detail, max_chars)) for seq, typ, origin, ts, content, detail
            in rows]
