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

from typing import TYPE_CHECKING, Any

from patina.globs import Matcher
from patina.sources.base import CommitRecord, FileChange, SourceContext
from patina.sources.code.languages import language_for_path

if TYPE_CHECKING:
    from patina.config import Config


class CodeSource:
    """Diff source for code facts (registered as ``patina.sources.code:CodeSource``)."""

    name = "code"

    def __init__(self, config: "Config") -> None:
        self.include = Matcher(config.code.include)
        self.exclude = Matcher(config.code.exclude)
        self.max_bytes: int = config.code.max_bytes
        self.since: str | None = config.code.since  # a UTC timestamp
        self._history: Any = None
        self._languages: dict[str, str | None] = {}  # path -> language_of(path): paths recur

    def language_of(self, path: str) -> str | None:
        """The language of a path this source extracts, or None (extension + globs)."""
        try:
            return self._languages[path]
        except KeyError:
            pass
        lang = language_for_path(path)
        if lang is not None and (not self.include(path) or self.exclude(path)):
            lang = None
        self._languages[path] = lang
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
        self._ahead("prefetch", ctx, items)

    def prefetch_begin(self, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        self._ahead("prefetch_begin", ctx, items)

    def _ahead(self, method: str, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        try:
            getattr(self._impl(), method)(ctx, items)
        except Exception as exc:  # noqa: BLE001 - law 4: never a traceback; events() still works
            self._impl().drop_worker()  # whatever it was sent is not trusted
            ctx.warn(f"code: prefetch failed ({exc.__class__.__name__}: {exc}); parsing inline")

    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]):
        return self._impl().events(ctx, commit, changes)

    def close(self) -> None:
        """End of a build: stop the parse worker, close the cache."""
        if self._history is not None:
            self._history.close()


__all__ = ["CodeSource"]
