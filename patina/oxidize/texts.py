"""What gets embedded: the knowledge documents of the search index, as one text each, and (when
the recipe asks) code definitions.

A document is a row of ``scry_docs`` (session items and goals, commit messages, persona notes):
its ``content`` and ``detail`` joined by a newline and cut at :data:`MAX_CHARS` characters
(a commit: subject, then body). Keyed by the seq of the event that recorded it, like the index.

A code definition is a ``code.function``/``code.struct``/... event: its kind, its qualified name
with the identifiers split into words (``add_patterns_to_content`` -> "add patterns to content"),
its parameters and return type, and its file (:func:`code_text`). Every event of a definition
gets a vector (a fact that changed is a new event); search keeps only the current ones.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Iterator, NamedTuple, Sequence

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
                   include_removed: bool = False, max_chars: int = MAX_CHARS, limit: int | None = None) -> list[Doc]:
    """The documents of ``scry_docs`` after ``after_seq``, by seq (removed items too, when asked:
    an embedding, like the index, is a function of the event, and removal is a filter at query time)."""
    where, args = ["seq > ?"], [after_seq]
    if not include_removed:
        where.append("removed_seq IS NULL")
    if types is not None:
        where.append(f"type IN ({','.join('?' * len(types))})")
        args += list(types)
    rows = conn.execute(
        f"SELECT seq, type, origin, timestamp, content, detail FROM scry_docs WHERE {' AND '.join(where)} ORDER BY seq"
        + (" LIMIT ?" if limit is not None else ""), args + ([limit] if limit is not None else [])).fetchall()
    return [Doc(seq, typ, origin, ts, doc_text(content, detail, max_chars)) for seq, typ, origin, ts, content, detail
            in rows]


# Code facts that are definitions (what `patina scry --code` finds): embedded with code_symbols.
CODE_TYPES = ("code.function", "code.struct", "code.enum", "code.trait", "code.class", "code.interface",
              "code.type", "code.constant")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def split_identifier(name: str) -> str:
    """``ClaudeAdapter::add_patterns_to_content`` -> "Claude Adapter add patterns to content"."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return " ".join(w for p in parts if p for w in _CAMEL.split(p) if w)


def code_text(event_type: str, data: dict, file: str | None = None, max_chars: int = MAX_CHARS) -> str | None:
    """The text of a code definition event (in ``file``, its source_file), or None when it names nothing."""
    name = data.get("qualified_name") or data.get("name")
    if not isinstance(name, str) or not name:
        return None
    kind = data.get("kind") if isinstance(data.get("kind"), str) else event_type.partition(".")[2]
    text = f"{kind} {name}: {split_identifier(name)}"
    params = data.get("parameters")
    if isinstance(params, list) and params:
        text += "(" + ", ".join(str(p) for p in params) + ")"
    if isinstance(data.get("return_type"), str):
        text += f" -> {data['return_type']}"
    if file:
        text += f"\nin {file}"
    return text[:max_chars]


def code_docs(conn: sqlite3.Connection, *, after_seq: int = 0, through: int | None = None,
              max_chars: int = MAX_CHARS) -> Iterator[Doc]:
    """Code definition events after ``after_seq`` (through ``through``), by seq, as documents."""
    from patina import store

    for seq, event_type, ts, source_id, file, raw in store.events(conn, after_seq, CODE_TYPES, through=through,
                                                                 by_type=True):
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        text = code_text(event_type, data, file, max_chars) if isinstance(data, dict) else None
        if text:
            yield Doc(seq, "code", source_id, ts, text)


def embeddable(conn: sqlite3.Connection, *, after_seq: int = 0, types: Sequence[str], code_symbols: bool = False,
               max_chars: int = MAX_CHARS, limit: int | None = None) -> list[Doc]:
    """What oxidize embeds after ``after_seq``, by seq: the knowledge documents of ``types``
    (removed ones too: removal is a filter at query time) and, with ``code_symbols``, code
    definitions. At most ``limit`` documents (the first ones)."""
    knowledge = knowledge_docs(conn, after_seq=after_seq, types=types, include_removed=True, max_chars=max_chars,
                               limit=limit)
    if not code_symbols:
        return knowledge
    through = knowledge[-1].seq if limit is not None and len(knowledge) == limit else None
    code = []
    for doc in code_docs(conn, after_seq=after_seq, through=through, max_chars=max_chars):
        code.append(doc)
        if limit is not None and len(code) >= limit:
            break
    merged = sorted(knowledge + code, key=lambda d: d.seq)
    return merged[:limit] if limit is not None else merged
