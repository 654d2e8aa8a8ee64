"""Python hooks: visibility by naming convention.

(``async def`` is an @modifier capture of queries/python.scm; definitions inside a function
are ``local`` by the framework's rule, which Python opts into in languages.py.)
"""

from __future__ import annotations

from patina.sources.code.extract import Definition


def visibility(d: Definition) -> str:
    """``_x`` and ``__x`` are private by convention; dunders (``__init__``) are public."""
    name = d.name
    if name.startswith("__") and name.endswith("__"):
        return "public"
    return "private" if name.startswith("_") else "public"
