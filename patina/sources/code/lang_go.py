"""Go hooks: exported names are public; an ``error`` last result means returns_result."""

from __future__ import annotations

import re

from patina.sources.code.extract import Definition

_ERROR_LAST = re.compile(r"\berror\s*\)?$")


def visibility(d: Definition) -> str:
    """Exported (upper-case first letter) -> public, else private (package-local). (Anything
    declared inside a function body is ``local``: the framework's rule, opted into in
    languages.py.)"""
    return "public" if d.name[:1].isupper() else "private"


def returns_result(return_type: str | None, d: Definition) -> bool:
    return bool(return_type and _ERROR_LAST.search(return_type))


def refine(fact: dict, d: Definition) -> dict:
    """A type_spec's text lacks its ``type`` keyword (it belongs to the declaration group)."""
    header = fact.get("definition")
    if header is not None and not header.startswith("type "):
        fact["definition"] = "type " + header
    return fact
