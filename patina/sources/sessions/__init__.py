"""The session-notes source: Markdown session files -> ``session.*`` events.

This module is imported on the hook path for every commit, so it stays light: it only
decides which changed paths are session files (``wants``) and finds uncommitted ones for
``patina status``. Parsing (mistune) lives in :mod:`.parse` and the diffing of a file's old
and new version in :mod:`.emit`; both are imported only when a commit touches a session file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from patina.globs import Matcher

if TYPE_CHECKING:
    from patina.config import Config
    from patina.events import Event
    from patina.sources.base import CommitRecord, FileChange, SourceContext

class SessionSource:
    """Diff source for session notes (see :mod:`patina.sources.sessions.emit` for the events)."""

    name = "sessions"

    def __init__(self, config: "Config") -> None:
        self.max_bytes = config.sessions.max_bytes
        self.matches = Matcher(config.sessions.globs)
        self.cache: dict = {}  # parsed documents by blob id (see emit.parse_blob)

    def wants(self, change: "FileChange") -> bool:
        """A change to (or a rename from) a path under the session globs."""
        return self.matches(change.path) or (change.old_path is not None and self.matches(change.old_path))

    def events(self, ctx: "SourceContext", commit: "CommitRecord",
               changes: list["FileChange"]) -> Iterable["Event"]:
        from patina.sources.sessions.emit import commit_events  # mistune is imported there

        return commit_events(self, ctx, commit, changes)


def pending_session_files(work_tree: str, config: "Config") -> list[str]:
    """Session files with uncommitted changes (untracked, modified, staged or deleted), sorted.

    They are not in the log until committed; ``patina status`` lists them as pending.
    Returns [] when git cannot report a status (not a work tree).
    """
    import subprocess

    from patina.gitcmd import git_env

    matcher = Matcher(config.sessions.globs)
    if not matcher:
        return []
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", "-c", "status.relativePaths=false", "status",
         "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all"],
        cwd=work_tree, capture_output=True, env=git_env(),
    )
    if proc.returncode != 0:
        return []
    found: set[str] = set()
    for entry in proc.stdout.split(b"\0"):
        if len(entry) < 4:
            continue
        if entry[:2] == b"!!":
            continue
        path = entry[3:].decode("utf-8", "backslashreplace")  # as the git source spells paths
        if matcher(path):
            found.add(path)
    return sorted(found)
