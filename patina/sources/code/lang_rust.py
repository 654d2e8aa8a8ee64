"""Rust hooks: visibility from ``pub``, use-tree expansion, ``&mut self`` and ``Result``."""

from __future__ import annotations

import re
from typing import Any

from patina.sources.code.extract import Definition
from patina.sources.code.plugin import collapse, node_text

_MUT_SELF = re.compile(r"^&\s*(?:'\w+\s+)?mut\s+self$|^(?:mut\s+)?self\s*:\s*&\s*(?:'\w+\s+)?mut\s+Self$")
_RESULT = re.compile(r"^(?:[\w:]+::)?Result\b")


def visibility(d: Definition) -> str:
    """``pub`` -> public; ``pub(crate)`` -> crate; ``pub(super)``/``pub(in ..)`` -> restricted.

    Without a modifier: items of a trait, of a trait impl, and enum variants have their
    container's reach (public); everything else is private.
    """
    vis = d.capture("visibility")
    if vis is not None:
        text = collapse(node_text(vis)).replace(" ", "")
        if text == "pub":
            return "public"
        if text == "pub(crate)":
            return "crate"
        return "restricted"
    parent = d.parent
    if parent is not None:
        if parent.kind == "trait":
            return "public"
        if parent.kind == "impl" and parent.node.child_by_field_name("trait") is not None:
            return "public"
        if d.kind == "member" and (parent.kind == "enum" or parent.kind == "member"):
            return visibility(parent)  # variants, and fields of struct-like variants
    return "private"


def modifiers(d: Definition) -> set[str]:
    """Words of ``function_modifiers``: async, unsafe, const, extern."""
    out: set[str] = set()
    for node in d.captures.get("modifier", []):
        out.update(w for w in re.split(r"[\s\"]+", node_text(node)) if w in ("async", "unsafe", "const", "extern"))
    return out


def returns_result(return_type: str | None, d: Definition) -> bool:
    return bool(return_type and _RESULT.match(return_type))


def refine(fact: dict[str, Any], d: Definition) -> dict[str, Any]:
    if "takes_mut_self" in fact:
        params = fact.get("parameters") or []
        fact["takes_mut_self"] = bool(params and _MUT_SELF.match(params[0]))
    return fact


def _use_items(node: Any, prefix: str, out: list[tuple[str, list[str]]]) -> None:
    """Flatten a use-tree into (path, names) pairs: ``a::{b, c::d}`` -> ("a", ["b", "c::d"])."""
    kind = node.type
    if kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        lst = node.child_by_field_name("list")
        base = _join(prefix, node_text(path) if path is not None else "")
        names: list[str] = []
        for child in (lst.named_children if lst is not None else []):
            if child.type in ("scoped_use_list", "use_list"):
                _use_items(child, base, out)
            elif child.type == "use_as_clause":
                inner = child.child_by_field_name("path")
                names.append(node_text(inner) if inner is not None else node_text(child))
            elif "comment" not in child.type:
                names.append(node_text(child))
        if names:
            out.append((base, names))
    elif kind == "use_list":
        for child in node.named_children:
            if "comment" not in child.type:
                _use_items(child, prefix, out)
    elif kind == "use_as_clause":
        inner = node.child_by_field_name("path")
        if inner is not None:
            _use_items(inner, prefix, out)
    elif kind == "use_wildcard":
        text = node_text(node)
        out.append((_join(prefix, text[:-3] if text.endswith("::*") else text.rstrip("*")), ["*"]))
    elif kind == "scoped_identifier":
        path = node.child_by_field_name("path")
        name = node.child_by_field_name("name")
        out.append((_join(prefix, node_text(path) if path is not None else ""),
                    [node_text(name)] if name is not None else []))
    else:  # identifier, crate, self, super
        if prefix:
            out.append((prefix, [node_text(node)]))
        else:
            out.append((node_text(node), []))


def _join(prefix: str, path: str) -> str:
    path = path.replace(" ", "")
    return f"{prefix}::{path}" if prefix and path else (prefix or path)


def imports(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    arg = (captures.get("import.path") or [None])[0]
    if arg is None:
        return []
    if node.type == "extern_crate_declaration":
        return [(node_text(arg), [])]
    out: list[tuple[str, list[str]]] = []
    _use_items(arg, "", out)
    return out
