"""The parsed form of one session file: plain data, JSON round-trippable.

Kept apart from :mod:`.parse` (which imports mistune) so that a parse cached on disk can be
read back without importing the Markdown parser at all. NamedTuples and a plain class rather
than dataclasses: this module is on the hook path, and dataclass creation costs milliseconds.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Entry(NamedTuple):
    """An activity-log entry (``### HH:MM - title [branch@sha]``)."""

    heading: str  # the heading's full text: part of an item's identity
    title: str
    minute: int | None  # local minutes since 00:00 of the session's first local day (rollover applied)
    branch: str | None
    commit: str | None


class Item(NamedTuple):
    """A decision, pattern, work item, context or observation, in document order."""

    type: str
    content: str
    section: str | None  # the bold label or heading it sits under
    detail: str | None  # its nested bullets, one per line, indented two spaces per level
    entry: int | None  # index into SessionDoc.entries


class Goal(NamedTuple):
    content: str
    completed: bool


class SessionDoc:
    """Everything read from one version of a session file."""

    __slots__ = ("fields", "title", "goals", "items", "entries", "stats", "problems")

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}  # header/front matter, see rules.HEADER_FIELDS
        self.title: str | None = None
        self.goals: list[Goal] = []
        self.items: list[Item] = []
        self.entries: list[Entry] = []
        self.stats: dict[str, Any] = {}  # classification, files_changed, commits_made
        self.problems: list[str] = []

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields), "title": self.title, "goals": [g._asdict() for g in self.goals],
            "items": [i._asdict() for i in self.items], "entries": [e._asdict() for e in self.entries],
            "stats": dict(self.stats), "problems": list(self.problems),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "SessionDoc":
        """The inverse of :meth:`to_json`; raises (KeyError, TypeError...) on a malformed value."""
        doc = cls()
        doc.fields = {str(k): str(v) for k, v in raw["fields"].items()}
        doc.title = raw["title"]
        doc.goals = [Goal(**g) for g in raw["goals"]]
        doc.items = [Item(**i) for i in raw["items"]]
        doc.entries = [Entry(**e) for e in raw["entries"]]
        doc.stats = dict(raw["stats"])
        doc.problems = [str(p) for p in raw["problems"]]
        return doc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionDoc) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable
