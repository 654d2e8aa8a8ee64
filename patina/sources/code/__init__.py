"""The code source: tree-sitter facts as an event-sourced history of the code.

For each first-parent commit, each changed source file's old and new blob are reduced to
facts (definitions, imports, calls); the difference by key becomes events (new or changed
facts, ``code.removed`` for those gone). The state of the code at T is the fold of the
events up to T. See CONTRACT.md for how a language plugs in.

This module stays light: ``wants()`` runs on the hook path for every changed file. The
tree-sitter machinery (:mod:`.history`, :mod:`.extract`) is imported only by ``events`` and
``prefetch``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

from patina.sources.base import CommitRecord, FileChange, SourceContext
from patina.sources.code.languages import language_for_path


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A repository glob as a regex: ``**/`` spans directories (or none), ``*`` stays in one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    return any(_glob_regex(p).match(path) for p in patterns)


class CodeSource:
    """Diff source for code facts (registered as ``patina.sources.code:CodeSource``)."""

    name = "code"

    def __init__(self, config: dict[str, Any]) -> None:
        code = (config or {}).get("code") or {}
        self.include: tuple[str, ...] = tuple(code.get("include") or ("**/*",))
        self.exclude: tuple[str, ...] = tuple(code.get("exclude") or ())
        self.max_bytes: int = int(code.get("max_bytes") or 1_000_000)
        self.since: str | None = code.get("since") or None
        self._history: Any = None

    def language_of(self, path: str) -> str | None:
        """The language of a path this source extracts, or None (extension + globs)."""
        lang = language_for_path(path)
        if lang is None:
            return None
        if not matches_any(path, self.include) or matches_any(path, self.exclude):
            return None
        return lang

    def wants(self, change: FileChange) -> bool:
        if self.language_of(change.path) is not None:
            return True
        return change.old_path is not None and self.language_of(change.old_path) is not None

    def _impl(self) -> Any:
        if self._history is None:
            from patina.sources.code.history import CodeHistory

            self._history = CodeHistory(self)
        return self._history

    def prefetch(self, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        try:
            self._impl().prefetch(ctx, items)
        except Exception as exc:  # noqa: BLE001 - law 4: never a traceback; events() still works
            ctx.warn(f"code: prefetch failed ({exc.__class__.__name__}: {exc}); parsing inline")

    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]):
        return self._impl().events(ctx, commit, changes)


__all__ = ["CodeSource", "matches_any"]
