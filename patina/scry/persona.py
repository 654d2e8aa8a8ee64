"""The persona: a personal knowledge store outside every project (``$PATINA_HOME/persona.db``).

It is an event log with the project schema (patina.store.create_schema), holding
``persona.note`` events {content, tags}, indexed by the same :class:`SearchIndex`.

It differs from a project log on purpose: it is not derived from git, so it is the only
copy of what it holds. Hence
- note ids are the note event's seq and are never reused (SQLite AUTOINCREMENT);
- timestamps are the wall clock (UTC) at ``note`` time: law 1 (no wall clock) is about
  project databases, which must be rebuildable from HEAD; this one cannot be rebuilt;
- ``forget`` really deletes (event and index rows, with secure_delete): it is personal data;
- a database of an older Patina schema is migrated (its notes copied), never rebuilt empty.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from dataclasses import dataclass
from typing import Sequence

from patina import store
from patina.errors import DatabaseError, UsageError
from patina.events import Event
from patina.scry.index import SearchIndex

PERSONA_DB = "persona.db"
MAX_NOTE_CHARS = 20_000


def home() -> str:
    """Patina's per-user directory: ``$PATINA_HOME``, else ``~/.patina``."""
    env = os.environ.get("PATINA_HOME")
    return os.path.abspath(env) if env else os.path.join(os.path.expanduser("~"), ".patina")


def db_path(home_dir: str | None = None) -> str:
    return os.path.join(home_dir or home(), PERSONA_DB)


@dataclass(frozen=True)
class Note:
    id: int
    timestamp: str
    content: str
    tags: list[str]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean_tags(tags: Sequence[str]) -> list[str]:
    out = sorted({t.strip() for t in tags if t and t.strip()})
    for tag in out:
        if len(tag) > 64 or any(c.isspace() for c in tag):
            raise UsageError(f"bad tag {tag!r}: one word of at most 64 characters")
    return out


def _absorb(conn: sqlite3.Connection) -> None:
    """Bring the persona's index up to its log (the same bookkeeping as project materializers)."""
    index = SearchIndex()
    seen, _ = store.progress(conn, index.name)
    last_seq, last_ts = store.last_event(conn)
    if seen > last_seq:
        index.reset(conn)
        seen = 0
    if seen < last_seq:
        index.absorb(conn, seen)
    store.set_progress(conn, index.name, last_seq, last_ts)


def _create(path: str) -> None:
    """A new, empty persona database at ``path`` (written beside it, then renamed in)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    conn = store.connect(tmp)
    try:
        store.create_schema(conn)
    finally:
        conn.close()
    os.replace(tmp, path)


def _migrate(path: str) -> None:
    """Copy the notes of a persona database of another schema into a new one, same ids."""
    old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    conn = store.connect(tmp)
    try:
        store.create_schema(conn)
        with store.transaction(conn):
            try:
                store.copy_events(old, conn, "persona.note")
            except sqlite3.DatabaseError as exc:
                raise DatabaseError(f"persona database {path} is unreadable ({exc}); "
                                    "move it aside to start anew") from None
            _absorb(conn)
    except BaseException:
        conn.close()
        os.remove(tmp)
        raise
    finally:
        old.close()
    conn.close()
    os.replace(tmp, path)


def open_db(home_dir: str | None = None, *, create: bool) -> sqlite3.Connection | None:
    """A connection to the persona database; None when it does not exist and ``create`` is False."""
    path = db_path(home_dir)
    if not os.path.exists(path):
        if not create:
            return None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _create(path)
    conn = store.connect(path)
    state = store.health(conn, quick=True)
    if state == "old-schema":
        conn.close()
        _migrate(path)
        conn = store.connect(path)
        state = store.health(conn, quick=True)
    if state != "ok":
        conn.close()
        raise DatabaseError(f"persona database {path} is {state}; move it aside to start anew")
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def add_note(text: str, tags: Sequence[str] = (), home_dir: str | None = None) -> Note:
    content = text.strip()
    if not content:
        raise UsageError("nothing to note: give the note's text")
    if len(content) > MAX_NOTE_CHARS:
        raise UsageError(f"note too long ({len(content)} characters, at most {MAX_NOTE_CHARS})")
    clean = _clean_tags(tags)
    conn = open_db(home_dir, create=True)
    assert conn is not None
    try:
        with store.transaction(conn):
            after = store.high_water(conn)
            event = Event("persona.note", _now(), "persona", None, {"content": content, "tags": clean})
            seq = store.append(conn, [event], after)
            _absorb(conn)
    finally:
        conn.close()
    return Note(seq, event.timestamp, content, clean)


def list_notes(home_dir: str | None = None, tag: str | None = None) -> list[Note]:
    conn = open_db(home_dir, create=False)
    if conn is None:
        return []
    try:
        rows = list(store.events(conn, types=("persona.note",)))
    finally:
        conn.close()
    notes = []
    for seq, _, ts, _, _, raw in rows:
        data = json.loads(raw)
        note = Note(seq, ts, str(data.get("content", "")), [str(t) for t in data.get("tags") or []])
        if tag is None or tag in note.tags:
            notes.append(note)
    return notes


def forget(note_id: int, home_dir: str | None = None) -> bool:
    """Delete a note for good. Returns whether there was one with that id."""
    conn = open_db(home_dir, create=False)
    if conn is None:
        return False
    try:
        with store.transaction(conn):
            gone = store.remove_event(conn, note_id, "persona.note")
            if gone:
                SearchIndex().forget(conn, note_id)
                last_seq, last_ts = store.last_event(conn)
                store.set_progress(conn, SearchIndex.name, last_seq, last_ts)
    finally:
        conn.close()
    return gone
