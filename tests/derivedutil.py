"""Shared by the derived-state and projection tests: a crafted history, session events.

Session events made here have the shapes the sessions source emits (source_id = the session
id), so the real views of patina/schema/20_sessions.sql read them.
"""

from __future__ import annotations

import calendar
import sqlite3
import time
from typing import Any

from patina import store
from patina.events import Event


def epoch(stamp: str) -> int:
    """'2025-11-21T10:00:00Z' as epoch seconds."""
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def decision(session_id: str, stamp: str, content: str, commit: str | None = None,
             kind: str = "decision", key: str | None = None) -> Event:
    data: dict[str, Any] = {"session_id": session_id, "content": content, "type": kind, "section": "Decisions",
                            "detail": None, "activity": None, "commit": commit}
    if key is not None:
        data["key"] = key
    return Event(f"session.{kind}", stamp, session_id, f"layer/sessions/{session_id}.md", data)


def revision(session_id: str, stamp: str, keys: list[str]) -> Event:
    """A ``session.revised`` dropping the items of these keys (as the sessions source writes it)."""
    removed = [{"key": k, "type": "decision", "content": f"item {k}"} for k in keys]
    return Event("session.revised", stamp, session_id, f"layer/sessions/{session_id}.md",
                 {"session_id": session_id, "removed": removed, "deleted_file": False, "session_removed": False})


def session_start(session_id: str, stamp: str, title: str) -> Event:
    return Event("session.started", stamp, session_id, f"layer/sessions/{session_id}.md",
                 {"session_id": session_id, "title": title})


def add_session_events(db_path: str, events: list[Event]) -> None:
    """Append session events after the log (for exact times without a session file)."""
    conn = store.connect(db_path)
    try:
        conn.execute("BEGIN")
        store.append(conn, events, store.last_seq(conn))
        conn.execute("COMMIT")
    finally:
        conn.close()


def seq_of(conn: sqlite3.Connection) -> dict[str, int]:
    """sha -> seq of its git.commit event."""
    return {sha: seq for seq, sha in conn.execute("SELECT seq, sha FROM commits")}


def table(conn: sqlite3.Connection, name: str) -> list[tuple]:
    order = {"co_changes": "file_a, file_b", "author_expertise": "author, file_path",
             "term_stats": "term", "term_corpus": "kind", "term_items": "seq", "file_history": "seq, path"}[name]
    return conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()  # noqa: S608


def commit_event(seq_sha: str, stamp: str, author: str, paths: list[str], *, merge: bool = False,
                 message: str = "change", renames: list[tuple[str, str]] = ()) -> Event:
    """A synthetic git.commit event (for property tests and the bench, which skip git);
    ``renames``: (old, new) pairs reported besides ``paths``."""
    files = [{"path": p, "status": "M", "lines_added": 1, "lines_removed": 0, "binary": False} for p in paths]
    files += [{"path": new, "old_path": old, "status": "R", "lines_added": 0, "lines_removed": 0, "binary": False}
              for old, new in renames]
    data = {"sha": seq_sha, "message": message, "author": author, "email": f"{author}@example.com",
            "parents": ["p1", "p2"] if merge else ["p1"], "is_merge": merge, "first_parent": True,
            "files": files}
    return Event("git.commit", stamp, seq_sha, None, data)
