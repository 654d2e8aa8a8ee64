"""JavaScript hooks (TypeScript and TSX use them too, see languages.py): export-based visibility,
modifier keywords."""

from __future__ import annotations

from typing import Any

from patina.sources.code.extract import Definition
from patina.sources.code.plugin import node_text

_KEYWORDS = ("async", "static", "get", "set", "*", "abstract", "readonly", "declare", "override")


def _is_exported(node: Any) -> bool:
    """The declaration (or the declarator's declaration) sits directly in an export statement."""
    parent = node.parent
    if parent is not None and parent.type in ("lexical_declaration", "variable_declaration"):
        parent = parent.parent
    return parent is not None and parent.type == "export_statement"


def visibility(d: Definition) -> str:
    """``#x`` -> private; TS accessibility modifiers as written (both are captured as
    @visibility, so the framework's ``local`` rule leaves them alone); module-level
    definitions (and those of a namespace) are ``public`` when exported, else ``module``;
    class members are public. (Definitions inside a function are ``local``: the framework's
    rule, opted into in languages.py.)"""
    if d.name.startswith("#"):
        return "private"
    vis = d.capture("visibility")
    if vis is not None:
        return node_text(vis)
    parent = d.parent
    if parent is None or parent.kind in ("namespace", "module"):
        return "public" if _is_exported(d.node) else "module"
    return "public"


def modifiers(d: Definition) -> set[str]:
    """Keyword children of the definition (or of a declarator's function value)."""
    node = d.node
    if node.type == "variable_declarator":
        value = node.child_by_field_name("value")
        node = value if value is not None else node
    out = {c.type for c in node.children if not c.is_named and c.type in _KEYWORDS}
    if "*" in out or node.type.startswith("generator_function"):
        out.discard("*")
        out.add("generator")
    return out


def parameters(d: Definition, node: Any) -> list[str]:
    """``x => ..`` has a bare identifier as its parameter."""
    if node.type == "identifier":
        return [node_text(node)]
    return [" ".join(node_text(c).split()) for c in node.named_children if "comment" not in c.type]
