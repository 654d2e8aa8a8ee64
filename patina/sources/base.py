"""Plain data handed to sources, and the protocol a diff-driven source follows.

NamedTuples, not dataclasses: this module is on the hook path, and importing dataclasses
(which imports inspect) costs ~10 ms there.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple, Protocol

from patina.events import Event

ZERO_OID = "0" * 40


class FileChange(NamedTuple):
    """One row of ``git diff-tree --raw --numstat`` against the first parent."""

    path: str  # new path (the old one for a deletion)
    status: str  # A, M, D, R, T (C is reported as A with old_path)
    old_path: str | None  # for renames (and copies)
    old_oid: str  # blob id before ("0"*40 when added)
    new_oid: str  # blob id after ("0"*40 when deleted)
    old_mode: str  # "100644", "120000", "160000", "000000"...
    new_mode: str
    lines_added: int | None  # None when binary
    lines_removed: int | None
    binary: bool


class CommitRecord(NamedTuple):
    """A commit as the pipeline sees it."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    author_time: int  # epoch seconds
    author_offset: int  # minutes east of UTC
    committer: str
    committer_email: str
    commit_time: int
    commit_offset: int
    message: str
    files: tuple[FileChange, ...]
    incomplete: bool = False  # objects were missing: files may be partial

    @property
    def timestamp(self) -> str:
        from patina.events import utc_timestamp

        return utc_timestamp(self.author_time)

    @property
    def commit_timestamp(self) -> str:
        from patina.events import utc_timestamp

        return utc_timestamp(self.commit_time)


class SourceContext(NamedTuple):
    """What a source may use besides the commit: all of it derived from git objects.

    - ``read_blob(oid)`` returns the blob's bytes, or None when the object is missing.
    - ``config`` is the team config committed at the HEAD being built (a dict; see patina.config).
    - ``state`` is the source's own previous knowledge, read back from the event log through
      ``query`` (a read-only SQL callable on the live transaction), never from a side file.
    - ``cache_dir`` is a directory for content-addressed caches (keyed by blob id), safe to delete.
    - ``warn(msg)`` reports a problem once (stderr + log); never raise for bad input.
    """

    read_blob: Callable[[str], bytes | None]
    config: dict[str, Any]
    query: Callable[..., list[tuple]]
    warn: Callable[[str], None]
    cache_dir: str | None = None
    extra: dict[str, Any] = {}  # noqa: RUF012 - always passed by the pipeline


class DiffSource(Protocol):
    """A source whose events follow from a first-parent commit's diff."""

    name: str

    def wants(self, change: FileChange) -> bool:
        """Cheap filter on a changed path; the source is imported/run only if some change matches."""

    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> Iterable[Event]:
        """Events for this commit's wanted changes, in a deterministic order."""
