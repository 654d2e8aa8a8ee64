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


class TreeEntry(NamedTuple):
    """One file of a commit's tree."""

    path: str  # as the git source spells paths (invalid UTF-8 as \\xNN)
    oid: str
    mode: str  # "100644", "100755", "120000", ...


class Reader(Protocol):
    """What a source may read besides the commit it is given, implemented by the pipeline.

    Everything comes from git objects or from the log as built so far (every event of the
    steps before this one): never from the working tree, a clock or the network.
    """

    def blob(self, oid: str) -> bytes | None:
        """A blob's bytes; None when the object is missing (partial or damaged clones)."""

    def tree(self, commit: str) -> list[TreeEntry]:
        """Every file of ``commit``'s tree, sorted by path."""

    def prior_facts(self, path: str, source: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The facts ``source`` recorded for ``path`` so far, folded from the log:
        (event type, key) -> payload (see patina.store.fold_facts)."""

    def session_files(self, session_id: str) -> list[str]:
        """The files holding a session id in the log's current state."""

    def has_events(self, event_type: str) -> bool:
        """Whether the log holds any event of this type yet."""

    def open_blobs(self) -> Callable[[str], bytes | None]:
        """A blob reader of its own (with ``close()``), for a forked worker process."""


class SourceContext(NamedTuple):
    """What a source is handed besides the commit.

    - ``read``: the :class:`Reader` (blobs, trees, the log's prior state).
    - ``config``: the team config committed at the HEAD being built (a valid patina.config.Config).
    - ``warn(msg)`` reports a problem once (stderr + log); never raise for bad input.
    - ``cache_dir``: a directory for content-addressed caches (keyed by blob id), safe to delete.
    """

    read: Reader
    config: Any  # patina.config.Config (not imported here: the hook path stays light)
    warn: Callable[[str], None]
    cache_dir: str | None = None


class DiffSource(Protocol):
    """A source whose events follow from a first-parent commit's diff."""

    name: str

    def wants(self, change: FileChange) -> bool:
        """Cheap filter on a changed path; the source is imported/run only if some change matches."""

    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> Iterable[Event]:
        """Events for this commit's wanted changes, in a deterministic order."""

    # Optional: ``prefetch(ctx, [(commit, changes), ...])`` before a batch's events (work
    # that gains from seeing many commits at once); ``close()`` when the build ends.
