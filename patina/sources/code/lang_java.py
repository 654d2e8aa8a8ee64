"""Java hooks for the code source (the mapping itself is documented in queries/java.scm).

What the query alone cannot say:
- visibility: the access keyword of the declaration's ``modifiers``, else the Java default
  ("package"), except members of interfaces and annotations, enum constants and record
  components (public: a component is read through its public accessor);
- modifiers: the keywords only (``static``, ``abstract``, ``final``, ``synchronized``,
  ``default``...), not the annotations;
- ``import a.b.C;`` is split into the container (``a.b``) and the name, like the other
  languages' imports.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code.plugin import node_text

ACCESS = ("public", "protected", "private")
# Declarations whose members are public without a keyword.
PUBLIC_BODIES = frozenset({"interface_body", "annotation_type_body"})
# Nodes whose visibility is carried by their parent declaration (one per declarator).
DECLARATOR_NODES = frozenset({"variable_declarator"})


def _declaration(node: Any) -> Any:
    """The declaration that holds the modifiers (a field for one of its declarators)."""
    if node.type in DECLARATOR_NODES and node.parent is not None:
        return node.parent
    return node


def _keywords(decl: Any) -> list[str]:
    """The modifier keywords of a declaration, annotations left out."""
    for child in decl.children:
        if child.type == "modifiers":
            return [node_text(c) for c in child.children if "annotation" not in c.type]
    return []


def visibility(d: Any) -> str:
    if d.node.type == "enum_constant":
        return "public"
    if d.node.type == "formal_parameter":  # a record component: read through its public accessor
        return "public"
    decl = _declaration(d.node)
    words = _keywords(decl)
    for word in ACCESS:
        if word in words:
            return word
    body = decl.parent
    if body is not None and body.type in PUBLIC_BODIES:
        return "public"
    return "package"


def modifiers(d: Any) -> set[str]:
    return set(_keywords(_declaration(d.node)))


def imports(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    target = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
    if target is None:
        return []
    full = "".join(node_text(target).split())
    if any(c.type == "asterisk" for c in node.named_children):
        return [(full, ["*"])]
    if "." in full:
        container, name = full.rsplit(".", 1)
        return [(container, [name])]
    return [(full, [])]
