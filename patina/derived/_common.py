"""Helpers shared by the derived-state materializers: commits by seq range, the team config."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterator, NamedTuple

from patina import store


class CommitChange(NamedTuple):
    """What the git-derived tables need from one non-merge ``git.commit`` event."""

    seq: int
    timestamp: str
    author: str
    paths: tuple[str, ...]  # distinct changed paths (new path for renames; deletions included), sorted


def non_merge_commits(conn: sqlite3.Connection, after_seq: int) -> Iterator[CommitChange]:
    """Non-merge ``git.commit`` events with seq > after_seq, in seq order (a range scan: on the
    hook path only the last few events are read)."""
    for seq, _, timestamp, _, _, raw in store.events(conn, after_seq, ("git.commit",)):
        data = json.loads(raw)
        if data.get("is_merge"):
            continue
        paths = sorted({f["path"] for f in data.get("files") or () if isinstance(f, dict) and f.get("path")})
        yield CommitChange(seq, timestamp, str(data.get("author") or ""), tuple(paths))


def team_config(conn: sqlite3.Connection):
    """The effective team config the pipeline stored with the log (``scrape_meta`` 'config_json')."""
    from patina import config

    raw = store.get_meta(conn, "config_json")
    try:
        return config.from_dict(json.loads(raw) if raw else None)
    except ValueError:
        return config.Config()
