"""Python hooks: visibility by naming convention.

(``async def`` is captured by queries/python.scm; definitions inside a function are ``local``
by the framework's rule, which Python opts into in languages.py.)
"""

from __future__ import annotations

from patina.sources.code.extract import Definition


def visibility(d: Definition) -> str:
    """``_x`` and ``__x`` are private by convention; dunders (``__init__``) are public."""
    name = d.name
    if name.startswith("__") and name.endswith("__"):
        return "public"
    return "private" if name.startswith("_") else "public"


def modifiers(d: Definition) -> set[str]:
    """``async`` is an anonymous first child of function_definition."""
    first = d.node.children[0] if d.node.child_count else None
    return {"async"} if first is not None and first.type == "async" else set()
