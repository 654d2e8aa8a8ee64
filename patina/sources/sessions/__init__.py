"""The session-notes source: Markdown session files -> ``session.*`` events.

This module is imported on the hook path for every commit, so it stays light: it only
decides which changed paths are session files (``wants``) and finds uncommitted ones for
``patina status``. Parsing (mistune) lives in :mod:`.parse` and the diffing of a file's old
and new version in :mod:`.emit`; both are imported only when a commit touches a session file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from patina.events import Event
    from patina.sources.base import CommitRecord, FileChange, SourceContext

DEFAULT_GLOBS: tuple[str, ...] = ("layer/sessions/**/*.md",)
DEFAULT_MAX_BYTES = 2_000_000


def glob_to_regex(pattern: str) -> str:
    """A git-style path glob as an anchored regex.

    ``*`` and ``?`` stay inside one path segment, ``[...]`` is a character class, and ``**``
    as a whole segment spans any number of directories (zero included): ``a/**/b`` matches
    ``a/b`` and ``a/x/y/b``; a trailing ``/**`` matches everything below. Written by hand
    because ``PurePosixPath.match`` and ``fnmatch`` (Python 3.11) do not know ``**``.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                if at_start and j < n and pattern[j] == "/":  # "**/": zero or more directories
                    out.append("(?:[^/]*/)*")
                    i = j + 1
                    continue
                if at_start and j == n:  # trailing "**": anything, across "/"
                    out.append(".*")
                    i = j
                    continue
                out.append("[^/]*")  # "**" inside a segment behaves like "*"
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a literal "["
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "(?s:" + "".join(out) + r")\Z"


def compile_globs(globs: Sequence[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``globs`` (None when there are none)."""
    parts = [glob_to_regex(g.lstrip("/")) for g in globs if isinstance(g, str) and g.strip()]
    if not parts:
        return None
    return re.compile("|".join(f"(?:{p})" for p in parts))


def session_settings(config: dict[str, Any] | None) -> tuple[list[str], int]:
    """(globs, max_bytes) from the team config, with the defaults for missing or ill-typed values."""
    section = (config or {}).get("sessions")
    section = section if isinstance(section, dict) else {}
    globs = section.get("globs", list(DEFAULT_GLOBS))
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list):
        globs = list(DEFAULT_GLOBS)
    globs = [g for g in globs if isinstance(g, str)]
    max_bytes = section.get("max_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        max_bytes = DEFAULT_MAX_BYTES
    return globs, max_bytes


class SessionSource:
    """Diff source for session notes (see :mod:`patina.sources.sessions.emit` for the events)."""

    name = "sessions"

    def __init__(self, config: dict[str, Any] | None) -> None:
        self.config = config or {}
        self.globs, self.max_bytes = session_settings(self.config)
        self._matcher = compile_globs(self.globs)
        self.cache: dict[str, Any] = {}  # parsed documents by blob id (see emit.parse_cached)

    def matches(self, path: str | None) -> bool:
        return bool(path) and self._matcher is not None and self._matcher.match(path) is not None

    def wants(self, change: "FileChange") -> bool:
        """A change to (or a rename from) a path under the session globs."""
        return self.matches(change.path) or (change.old_path is not None and self.matches(change.old_path))

    def events(self, ctx: "SourceContext", commit: "CommitRecord",
               changes: list["FileChange"]) -> Iterable["Event"]:
        from patina.sources.sessions.emit import commit_events  # mistune is imported there

        return commit_events(self, ctx, commit, changes)


def pending_session_files(work_tree: str, config: dict[str, Any] | None) -> list[str]:
    """Session files with uncommitted changes (untracked, modified, staged or deleted), sorted.

    They are not in the log until committed; ``patina status`` lists them as pending.
    Returns [] when git cannot report a status (not a work tree).
    """
    import subprocess

    from patina.gitcmd import git_env

    globs, _ = session_settings(config)
    matcher = compile_globs(globs)
    if matcher is None:
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
        if matcher.match(path):
            found.add(path)
    return sorted(found)
