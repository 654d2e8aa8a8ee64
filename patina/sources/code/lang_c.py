"""C hooks for the code source (the mapping itself is documented in queries/c.scm).

What the query alone cannot say:
- a prototype (``void f(int);``) counts only at file level; when the same file also defines
  ``f``, the definition wins (the framework's rule for facts of a ``declaration`` pattern,
  CONTRACT.md section 1: so C stays unit by unit, no lookup across the file);
- C declarators wrap the name (``*f(...)``, ``buf[32]``), so return and member types are
  rebuilt from the declaration's type plus the declarator minus the name (``store_t *``);
- ``static`` means file-private; ``(void)`` means no parameters;
- ``#include <x.h>`` paths lose their angle brackets;
- a typedef that names an anonymous struct/union/enum is not also a ``code.type`` (the
  struct already carries the name).

The declarator rules are shared with C++: they live in :mod:`..c_family`.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code import c_family as cf
from patina.sources.code.plugin import node_text, resign

parameters = cf.parameters
imports = cf.include


def visibility(d: Any) -> str:
    """``static`` functions and variables are private to the file; everything else is public."""
    return "private" if "static" in cf.storage_words(d.node) else "public"


def modifiers(d: Any) -> set[str]:
    return cf.storage_words(d.node) | {node_text(c) for c in d.node.children if c.type == "type_qualifier"}


def refine(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    if d.kind in ("function", "method"):
        if d.settings.get("declaration") and not cf.file_level(d.node):
            return None
        fact["return_type"] = cf.return_type(d)
        resign(fact, modifiers(d))
    elif d.kind == "constant" and d.node.type == "declaration" and not cf.file_level(d.node):
        return None
    elif d.kind in ("member", "constant") and d.capture("type") is not None:
        fact["type"] = cf.member_type(d)
    elif d.kind == "type" and cf.names_anonymous_type(d):
        return None
    return fact
