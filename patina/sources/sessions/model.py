"""The parsed form of one session file: plain data, JSON round-trippable.

Kept apart from :mod:`.parse` (which imports mistune) so that a parse cached on disk can be
read back without importing the Markdown parser at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """An activity-log entry (``### HH:MM - title [branch@sha]``)."""

    heading: str  # the heading's full text: part of an item's identity
    title: str
    minute: int | None  # local minutes since 00:00 of the session's first local day (rollover applied)
    branch: str | None
    commit: str | None


@dataclass(frozen=True)
class Item:
    """A decision, pattern, work item, context or observation, in document order."""

    type: str
    content: str
    section: str | None  # the bold label or heading it sits under
    detail: str | None  # its nested bullets, one per line, indented two spaces per level
    entry: int | None  # index into SessionDoc.entries


@dataclass(frozen=True)
class Goal:
    content: str
    completed: bool


@dataclass
class SessionDoc:
    fields: dict[str, str] = field(default_factory=dict)  # header/front matter, see rules.HEADER_FIELDS
    title: str | None = None
    goals: list[Goal] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # classification, files_changed, commits_made
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "SessionDoc":
        """The inverse of :meth:`to_json`; raises (KeyError, TypeError...) on a malformed value."""
        return cls(
            fields={str(k): str(v) for k, v in raw["fields"].items()},
            title=raw["title"],
            goals=[Goal(**g) for g in raw["goals"]],
            items=[Item(**i) for i in raw["items"]],
            entries=[Entry(**e) for e in raw["entries"]],
            stats=dict(raw["stats"]),
            problems=[str(p) for p in raw["problems"]],
        )
