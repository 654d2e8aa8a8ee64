"""Helpers for the C family's hook modules (``lang_c``, ``lang_cpp``; see CONTRACT.md section 2).

tree-sitter-cpp extends tree-sitter-c: both wrap a declared name in declarator nodes
(``*f(...)``, ``buf[32]``), spell storage classes and qualifiers the same way and share the
preprocessor. These rules live here once, so neither hook module imports the other.

No recursion: declarators are walked with loops, so deep nesting cannot overflow the stack.
"""

from __future__ import annotations

from typing import Any, Callable

from patina.sources.code.plugin import collapse, node_text

# Children of a declaration that belong to the declared type (not storage or linkage).
TYPE_PARTS = frozenset({"type_qualifier"})
DECLARATOR_WRAPPERS = frozenset({
    "pointer_declarator", "reference_declarator", "array_declarator", "function_declarator",
    "parenthesized_declarator", "init_declarator", "attributed_declarator",
})
# Parents under which a declaration is file-level (include guards, extern "C", namespaces).
FILE_LEVEL = frozenset({
    "translation_unit", "preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif",
    "preproc_elifdef", "linkage_specification", "declaration_list",
})
ANONYMOUS_BODIES = frozenset({"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"})


# -- declared types ----------------------------------------------------------------------------

def base_type(decl: Any) -> str:
    """``const unsigned long`` of a declaration: its type qualifiers and its ``type`` field,
    without storage classes (``static``, ``extern``) or function specifiers."""
    type_node = decl.child_by_field_name("type")
    parts: list[str] = []
    for child in decl.children:
        if type_node is not None and child.id == type_node.id:
            parts.append(node_text(child))
        elif child.type in TYPE_PARTS and (type_node is None or child.start_byte < type_node.start_byte):
            parts.append(node_text(child))
    return collapse(" ".join(parts))


def declarator_remainder(declarator: Any, name: Any, stop: Any | None = None) -> str:
    """The declarator's text with the name (or, when ``stop`` is given, everything from the
    ``stop`` node on) cut out: ``*`` for ``*p``, ``[32]`` for ``buf[32]``, ``(*)(int)``."""
    raw = declarator.text or b""
    base = declarator.start_byte
    if stop is not None:
        return collapse(raw[: stop.start_byte - base].decode("utf-8", "replace"))
    before = raw[: name.start_byte - base]
    after = raw[name.end_byte - base:]
    return collapse((before + after).decode("utf-8", "replace"))


def join_type(base: str, rest: str) -> str:
    return f"{base} {rest}".strip() if rest else base


def outer_declarator(name: Any) -> Any:
    """Climb from a name node through declarator wrappers up to the one whose parent is a
    declaration (a loop, bounded by the tree's depth)."""
    node = name
    while node.parent is not None and node.parent.type in DECLARATOR_WRAPPERS:
        node = node.parent
    return node


def member_type(d: Any) -> str | None:
    """Declared type of a field or constant: base type + declarator without the name."""
    name = d.capture("name")
    if name is None:
        return None
    top = outer_declarator(name)
    decl = top.parent
    if decl is None:
        return None
    if top.type == "init_declarator":  # `int x = 1`: the value is not part of the type
        top = top.child_by_field_name("declarator") or name
    return join_type(base_type(decl), declarator_remainder(top, name))


def function_declarator_of(name: Any) -> Any | None:
    node = name
    while node is not None and node.type != "function_declarator":
        node = node.parent
    return node


def return_type(d: Any) -> str | None:
    """``store_t *`` for ``store_t *store_open(...)``; None when there is no declared type
    (constructors, destructors)."""
    if d.node.child_by_field_name("type") is None:
        return None
    name = d.capture("name")
    func = function_declarator_of(name) if name is not None else None
    top = d.node.child_by_field_name("declarator")
    if func is None or top is None:
        return collapse(node_text(d.node.child_by_field_name("type")))
    return join_type(base_type(d.node), declarator_remainder(top, name, stop=func))


def declarator_name(func_def: Any) -> Any | None:
    """The name node inside a definition's declarator chain (``*f(...)`` -> ``f``)."""
    decl = func_def.child_by_field_name("declarator")
    while decl is not None and decl.type in DECLARATOR_WRAPPERS and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator") or (decl.named_children[0] if decl.named_children else None)
    if decl is None or decl.type != "function_declarator":
        return None
    return decl.child_by_field_name("declarator")


# -- storage, position, typedefs ---------------------------------------------------------------

def storage_words(node: Any) -> set[str]:
    return {node_text(c) for c in node.children if c.type == "storage_class_specifier"}


def file_level(node: Any) -> bool:
    return node.parent is not None and node.parent.type in FILE_LEVEL


def names_anonymous_type(d: Any) -> bool:
    """True for ``t`` in ``typedef struct {...} t;``: the struct itself is already named ``t``."""
    typedef = d.node.parent
    if typedef is None or typedef.type != "type_definition":
        return False
    spec = typedef.child_by_field_name("type")
    if spec is None or spec.type not in ANONYMOUS_BODIES:
        return False
    if spec.child_by_field_name("name") is not None or spec.child_by_field_name("body") is None:
        return False
    first = typedef.child_by_field_name("declarator")
    return first is not None and first.id == d.node.id


# -- prototypes beside their definitions -------------------------------------------------------

_QUERIES: dict[str, Any] = {}
_DEFINED: dict[str, Any] = {"root": None, "lang": None, "names": frozenset()}


def function_definitions(lang_name: str, root: Any) -> list[Any]:
    """Every function_definition node of the tree (a query: no Python walk over all nodes)."""
    from tree_sitter import Query, QueryCursor

    from patina.sources.code.languages import load

    query = _QUERIES.get(lang_name)
    if query is None:
        query = _QUERIES[lang_name] = Query(load(lang_name).language, "(function_definition) @f")
    return list(QueryCursor(query).captures(root).get("f", []))


def defined_names(root: Any, lang_name: str, qualify: Callable[[Any], str | None]) -> frozenset[str]:
    """Qualified names of the functions the file defines (for dropping their prototypes).
    A one-entry cache: the cached root node keeps its tree alive, so equality is reliable."""
    if _DEFINED["root"] is not None and _DEFINED["root"] == root and _DEFINED["lang"] == lang_name:
        return _DEFINED["names"]
    names = set()
    for node in function_definitions(lang_name, root):
        name = qualify(node)
        if name:
            names.add(name)
    _DEFINED.update(root=root, lang=lang_name, names=frozenset(names))
    return _DEFINED["names"]


# -- hooks both languages use as they are ------------------------------------------------------

def parameters(d: Any, node: Any) -> list[str]:
    """Each parameter's text; ``(void)`` is no parameter."""
    params = [collapse(node_text(c)) for c in node.named_children if "comment" not in c.type]
    return [] if params == ["void"] else params


def include(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    """``#include <x.h>`` and ``#include "x.h"``: the path without its brackets or quotes."""
    path = (captures.get("import.path") or [None])[0]
    if path is None:
        return []
    value = collapse(node_text(path))
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return [(value.strip('"'), [])]
