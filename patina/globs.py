"""The one glob dialect for every path pattern of the team config (git's, as in .gitignore).

``*`` and ``?`` stay inside one path segment, ``[...]`` is a character class (``[!...]``
negates), and ``**`` as a whole segment spans any number of directories, zero included:
``a/**/b`` matches ``a/b`` and ``a/x/y/b``; a trailing ``/**`` matches everything below; a
leading ``**/`` matches in any directory. Patterns are matched against the whole repository
path (a leading ``/`` is ignored). Written by hand because ``fnmatch`` and
``PurePosixPath.match`` (Python 3.11) do not know ``**``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable


def to_regex(pattern: str) -> str:
    """A glob as an anchored regular expression (without the anchors' flags)."""
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


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = [to_regex(p.lstrip("/")) for p in patterns if p.strip()]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


_UNCOMPILED: Any = object()


class Matcher:
    """Matches a path against any of several globs (one regex, compiled at the first match:
    a hook whose commit touches no path a source might want never pays for it)."""

    __slots__ = ("patterns", "_compiled")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled: re.Pattern[str] | None = _UNCOMPILED

    @property
    def _rx(self) -> re.Pattern[str] | None:
        if self._compiled is _UNCOMPILED:
            self._compiled = _compiled(self.patterns)
        return self._compiled

    def __call__(self, path: str | None) -> bool:
        rx = self._rx
        return bool(path) and rx is not None and rx.match(path) is not None  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return self._rx is not None


def check(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None."""
    if not pattern.strip():
        return "an empty pattern"
    try:
        re.compile(to_regex(pattern.lstrip("/")))
    except re.error as exc:
        return f"not a valid pattern ({exc})"
    return None
