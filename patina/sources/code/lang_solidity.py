"""Solidity hooks for the code source (the mapping itself is documented in queries/solidity.scm).

What the query alone cannot say:
- parameters are direct children of a function (no list node): the declared ``parameter``s
  (``event_parameter``, ``error_parameter``), not the ``returns (...)`` ones;
- return_type is the ``returns (...)`` list: ``bool`` or ``(uint256, bool)``;
- the declared visibility (without one, the Solidity default that queries/solidity.scm sets
  as data applies), and is_public means callable from outside: public OR external;
- the modifier set: state mutability, virtual, override and the invoked modifiers' names;
- import names: ``{A, B as C}`` gives A and B, ``* as L`` gives ``*``.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code.plugin import collapse, node_text, resign

PARAMETER_NODES = frozenset({"parameter", "event_parameter", "error_parameter"})
EXTERNALLY_CALLABLE = frozenset({"public", "external"})
FUNCTION_NODES = frozenset({
    "function_definition", "constructor_definition", "fallback_receive_definition",
    "modifier_definition", "event_definition", "error_declaration",
})


def _return_type(node: Any) -> str | None:
    returns = node.child_by_field_name("return_type")
    if returns is None:
        return None
    types = []
    for param in returns.named_children:
        if param.type == "parameter":
            type_node = param.child_by_field_name("type")
            types.append(collapse(node_text(type_node if type_node is not None else param)))
    if not types:
        return None
    return types[0] if len(types) == 1 else f"({', '.join(types)})"


# -- hooks -------------------------------------------------------------------------------------

def parameters(d: Any, node: Any) -> list[str]:
    return [collapse(node_text(c)) for c in node.named_children if c.type in PARAMETER_NODES]


def visibility(d: Any) -> str | None:
    """The declared visibility keyword, wherever it sits among the modifiers (so not an
    ordered @visibility capture); None: the pattern's (#set! visibility ...) or public."""
    for child in d.node.children:
        if child.type == "visibility":
            return collapse(node_text(child))
    return None


def modifiers(d: Any) -> set[str]:
    mods: set[str] = set()
    for child in d.node.children:
        if child.type in ("state_mutability", "virtual"):
            mods.add(collapse(node_text(child)))
        elif child.type == "override_specifier":
            mods.add("override")
        elif child.type == "modifier_invocation" and child.named_children:
            mods.add(collapse(node_text(child.named_children[0])))
    return mods


def imports(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    source = node.child_by_field_name("source")
    if source is None:
        return []
    names: list[str] = []
    for index, child in enumerate(node.children):
        if node.field_name_for_child(index) == "import_name":
            names.append(collapse(node_text(child)))
        elif child.type == "*":
            names.append("*")
    return [(collapse(node_text(source)), names)]


def refine(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    if d.node.type in FUNCTION_NODES and "is_public" in fact:
        fact["is_public"] = fact["visibility"] in EXTERNALLY_CALLABLE
        return_type = _return_type(d.node)
        if return_type is not None:
            fact["return_type"] = return_type
            resign(fact, modifiers(d))
    return fact
