"""Python hooks: visibility by naming convention, ``async def``."""

from __future__ import annotations

from patina.sources.code.extract import Definition
from patina.sources.code.facts import FUNCTION_KINDS


def visibility(d: Definition) -> str:
    """``_x`` and ``__x`` are private by convention; dunders (``__init__``) are public;
    anything defined inside a function is ``local`` (not reachable from outside)."""
    if d.parent is not None and d.parent.kind in FUNCTION_KINDS | {"method"}:
        return "local"
    name = d.name
    if name.startswith("__") and name.endswith("__"):
        return "public"
    return "private" if name.startswith("_") else "public"


def modifiers(d: Definition) -> set[str]:
    """``async`` is an anonymous first child of function_definition."""
    first = d.node.children[0] if d.node.child_count else None
    return {"async"} if first is not None and first.type == "async" else set()
