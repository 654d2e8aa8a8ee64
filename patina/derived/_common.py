"""Helpers shared by the derived-state materializers: reading commits by seq range, team config."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterator, NamedTuple

DEFAULT_MAX_FILES = 30  # code-maat's default for "commits too large to mean coupling"


class CommitChange(NamedTuple):
    """What the git-derived tables need from one non-merge ``git.commit`` event."""

    seq: int
    timestamp: str
    author: str
    paths: tuple[str, ...]  # distinct changed paths (new path for renames; deletions included), sorted


def non_merge_commits(conn: sqlite3.Connection, after_seq: int) -> Iterator[CommitChange]:
    """Non-merge ``git.commit`` events with seq > after_seq, in seq order.

    ``+event_type`` keeps SQLite off the event-type index so the query is a range scan of
    the primary key: on the hook path only the last few events are read.
    """
    cur = conn.execute(
        "SELECT seq, timestamp, data FROM eventlog WHERE seq > ? AND +event_type = 'git.commit' ORDER BY seq",
        (after_seq,),
    )
    for seq, timestamp, raw in cur:
        data = json.loads(raw)
        if data.get("is_merge"):
            continue
        paths = sorted({f["path"] for f in data.get("files") or () if isinstance(f, dict) and f.get("path")})
        yield CommitChange(seq, timestamp, str(data.get("author") or ""), tuple(paths))


def team_config(conn: sqlite3.Connection) -> dict[str, Any]:
    """The effective team config the pipeline stored (scrape_meta 'config_json'); {} if absent or bad."""
    row = conn.execute("SELECT value FROM scrape_meta WHERE key = 'config_json'").fetchone()
    if not row or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cochange_max_files(conn: sqlite3.Connection) -> int:
    """``cochange.max_files`` from the team config, DEFAULT_MAX_FILES when absent or not a positive int."""
    section = team_config(conn).get("cochange")
    value = section.get("max_files") if isinstance(section, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return DEFAULT_MAX_FILES
    return value
