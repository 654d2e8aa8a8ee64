"""C# hooks for the code source (the mapping itself is documented in queries/csharp.scm).

What the query alone cannot say:
- visibility: the access modifiers of the declaration (``protected internal`` and
  ``private protected`` kept whole), else the C# default for where it is declared;
- modifiers: every ``modifier`` keyword (``async`` -> is_async, ``unsafe`` -> is_unsafe);
- operators are named like C++ ones (``operator+``, ``operator int``), finalizers ``~Store``;
- a using directive's path, alias name and kind.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code.plugin import node_text, requalify, resign

ACCESS_WORDS = ("public", "protected", "internal", "private")
TYPE_DECLARATIONS = frozenset({
    "class_declaration", "struct_declaration", "record_declaration", "interface_declaration",
    "enum_declaration", "delegate_declaration",
})
# Declarations holding the modifiers of one of their parts.
DECLARATOR_NODES = frozenset({"variable_declarator"})


def _declaration(node: Any) -> Any:
    """The declaration carrying the modifiers (field -> variable_declaration -> declarator)."""
    current = node
    if current.type in DECLARATOR_NODES:
        for _ in range(2):
            if current.parent is not None:
                current = current.parent
    return current


def _modifier_words(decl: Any) -> list[str]:
    return [node_text(c) for c in decl.children if c.type == "modifier"]


def _owner(decl: Any) -> Any | None:
    """The type declaration whose body holds ``decl`` (None at namespace/file level)."""
    body = decl.parent
    if body is None or body.type not in ("declaration_list", "enum_member_declaration_list"):
        return None
    owner = body.parent
    return owner if owner is not None and owner.type in TYPE_DECLARATIONS else None


def visibility(d: Any) -> str:
    node = d.node
    if node.type == "parameter":  # positional record parameter: a public property
        return "public"
    if node.type == "enum_member_declaration":
        return "public"
    decl = _declaration(node)
    words = [w for w in _modifier_words(decl) if w in ACCESS_WORDS]
    if words:
        return " ".join(sorted(words, key=ACCESS_WORDS.index))
    if node.type == "local_function_statement":
        return "private"
    owner = _owner(decl)
    if owner is None:
        return "internal"
    if owner.type == "interface_declaration":
        return "public"
    return "private"


def modifiers(d: Any) -> set[str]:
    return set(_modifier_words(_declaration(d.node)))


def imports(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    """``using A.B;`` -> (A.B, []); ``using X = A.B;`` -> (A.B, [X])."""
    alias = node.child_by_field_name("name")
    target = None
    for child in node.named_children:
        if alias is not None and child.id == alias.id:
            continue
        if child.type in ("identifier", "qualified_name", "generic_name", "alias_qualified_name"):
            target = child
    if target is None:
        return []
    path = "".join(node_text(target).split())
    return [(path, [node_text(alias)] if alias is not None else [])]


def _renamed(d: Any) -> str | None:
    """``operator+``, ``operator int``, ``~Store`` (a finalizer would share its class's name
    with the constructor)."""
    if d.node.type == "operator_declaration":
        return f"operator{d.name}"
    if d.node.type == "conversion_operator_declaration":
        return f"operator {d.name}"
    if d.node.type == "destructor_declaration":
        return f"~{d.name}"
    return None


def refine(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    name = _renamed(d)
    if name is not None:
        requalify(d, fact, d.scope[:-1] + [name], name=name)
        resign(fact, modifiers(d))
    return fact
