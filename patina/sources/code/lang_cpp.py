"""C++ hooks for the code source (the mapping itself is documented in queries/cpp.scm).

On top of the C family's rules (:mod:`..c_family`: declarator types, ``(void)``, include
paths):
- visibility of class members follows the nearest preceding ``public:``/``protected:``/
  ``private:`` label (default ``private`` in a class, ``public`` in a struct/union); outside
  classes ``static`` or an anonymous namespace means ``private``;
- out-of-line definitions (``void kv::Store::put()``) are qualified by their whole scope, are
  ``method``s, and ``Store::Store``/``Store::~Store`` are ``constructor``/``destructor``;
- a declaration (class body, prototype) is dropped when the same file defines the function:
  the definition's lines win. Declarations in function bodies (``Store s(path);`` parses as
  one) and ``friend`` declarations are not functions.

Loops only (no recursion); the ancestor climbs are bounded by the tree's depth.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code import c_family as cf
from patina.sources.code.languages import BY_NAME
from patina.sources.code.plugin import collapse, node_text, qualifier_parts, requalify, resign, root_of

SEPARATOR = BY_NAME["cpp"].separator  # the framework's qualified names (Definition.qualified_name)
CLASS_NODES = frozenset({"class_specifier", "struct_specifier", "union_specifier"})
# Where a declaration may declare a function (not a function body, not a friend).
DECLARATION_PARENTS = cf.FILE_LEVEL | {"field_declaration_list", "template_declaration"}
ACCESS_CLIMB = 8  # declarator -> ... -> field_declaration -> field_declaration_list


def _split_qualified(name: Any) -> tuple[list[str], Any]:
    """(scope parts, innermost name node) of a possibly nested ``qualified_identifier``."""
    parts: list[str] = []
    node = name
    while node is not None and node.type == "qualified_identifier":
        scope = node.child_by_field_name("scope")
        if scope is not None:
            parts.extend(qualifier_parts(node_text(scope)))
        node = node.child_by_field_name("name")
    return parts, node


def _enclosing_scopes(node: Any) -> list[str]:
    """Names of the namespaces and classes around a node, outermost first."""
    scopes: list[list[str]] = []
    current = node.parent
    while current is not None:
        if current.type in CLASS_NODES and current.child_by_field_name("body") is not None:
            name = current.child_by_field_name("name")
            if name is not None:
                scopes.append([collapse(node_text(name))])
        elif current.type == "namespace_definition":
            name = current.child_by_field_name("name")
            if name is not None:
                scopes.append([collapse(node_text(name))])
        current = current.parent
    return [part for group in reversed(scopes) for part in group]


def _definition_name(func_def: Any) -> str | None:
    """The qualified name the framework gives a function definition (for dropping the
    matching declarations)."""
    name = cf.declarator_name(func_def)
    if name is None:
        return None
    parts, inner = _split_qualified(name)
    if inner is None:
        return None
    return SEPARATOR.join(_enclosing_scopes(func_def) + parts + [collapse(node_text(inner))])


def _access_anchor(node: Any) -> tuple[Any, Any] | None:
    """(the child of a class body that holds ``node``, the class node), if inside a class body."""
    anchor = node
    for _ in range(ACCESS_CLIMB):
        parent = anchor.parent
        if parent is None:
            return None
        if parent.type == "field_declaration_list":
            return anchor, parent.parent
        if parent.type in ("compound_statement", "translation_unit", "declaration_list"):
            return None
        anchor = parent
    return None


def _in_anonymous_namespace(node: Any) -> bool:
    current = node.parent
    while current is not None:
        if current.type == "namespace_definition" and current.child_by_field_name("name") is None:
            return True
        current = current.parent
    return False


# -- hooks -------------------------------------------------------------------------------------

def visibility(d: Any) -> str:
    found = _access_anchor(d.node)
    if found is not None:
        anchor, owner = found
        sibling = anchor.prev_sibling
        while sibling is not None:
            if sibling.type == "access_specifier":
                return collapse(node_text(sibling))
            sibling = sibling.prev_sibling
        return "private" if owner is not None and owner.type == "class_specifier" else "public"
    if "static" in cf.storage_words(d.node) or _in_anonymous_namespace(d.node):
        return "private"
    return "public"


def modifiers(d: Any) -> set[str]:
    """static/inline/extern/virtual/explicit/constexpr, a ``const`` method, override/final,
    ``= 0`` (pure), ``= delete`` (deleted), ``= default`` (defaulted)."""
    mods = set(cf.storage_words(d.node))
    for child in d.node.children:
        if child.type == "virtual":
            mods.add("virtual")
        elif child.type in ("explicit_function_specifier", "type_qualifier"):
            mods.add(collapse(node_text(child)))
        elif child.type == "delete_method_clause":
            mods.add("deleted")
        elif child.type == "default_method_clause":
            mods.add("defaulted")
        elif child.type == "pure_virtual_clause" or (
                child.type == "number_literal" and d.node.type == "field_declaration"):
            mods.add("pure")
    name = d.capture("name")
    func = cf.function_declarator_of(name) if name is not None else None
    if func is not None:
        for child in func.children:
            if child.type == "type_qualifier":
                mods.add(collapse(node_text(child)))
            elif child.type in ("virtual_specifier", "noexcept"):
                mods.add(collapse(node_text(child)).split("(", 1)[0])
    return mods


parameters = cf.parameters


def imports(node: Any, captures: dict[str, list[Any]]) -> list[tuple[str, list[str]]]:
    if node.type == "preproc_include":
        return cf.include(node, captures)
    path = (captures.get("import.path") or [None])[0]
    if path is None:
        return []
    full = collapse(node_text(path)).replace(" ", "")
    if captures.get("import.name") and "::" in full:  # `using std::chrono::seconds;`
        scope, name = full.rsplit("::", 1)
        return [(scope, [name])]
    return [(full, [])]  # `using namespace std;`


_ACCESS: dict[str, Any] = {"root": None, "by_name": {}}


def _remember_access(root: Any, qualified_name: str, access: str) -> None:
    """The access label of a dropped in-class declaration, for its out-of-line definition
    (which comes later in the file: C++ requires the declaration first)."""
    if _ACCESS["root"] is None or not _ACCESS["root"] == root:
        _ACCESS.update(root=root, by_name={})
    _ACCESS["by_name"].setdefault(qualified_name, access)


def _declared_access(root: Any, qualified_name: str) -> str | None:
    if _ACCESS["root"] is None or not _ACCESS["root"] == root:
        return None
    return _ACCESS["by_name"].get(qualified_name)


def _requalify(fact: dict[str, Any], d: Any) -> bool:
    """Split an out-of-line definition's ``kv::Store::put`` (captured whole as @name) into
    scope and name, at any depth; True if it was out-of-line."""
    name = d.capture("name")
    if name is None or name.type != "qualified_identifier":
        return False
    parts, inner = _split_qualified(name)
    if inner is None:
        return False
    name_text = collapse(node_text(inner))
    base = list(d.parent.scope) if d.parent is not None else []
    requalify(d, fact, base + parts + [name_text], name=name_text)
    return True


def _function(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    if d.settings.get("declaration"):
        parent = d.node.parent
        if parent is None or parent.type not in DECLARATION_PARENTS:
            return None
        if parent.type == "template_declaration" and (
                parent.parent is None or parent.parent.type not in DECLARATION_PARENTS):
            return None
    out_of_line = _requalify(fact, d)
    root = root_of(d.node)
    if d.settings.get("declaration"):
        if d.qualified_name in cf.defined_names(root, "cpp", _definition_name):
            _remember_access(root, d.qualified_name, fact["visibility"])
            return None
    elif out_of_line:
        declared = _declared_access(root, d.qualified_name)
        if declared is not None:
            fact["visibility"], fact["is_public"] = declared, declared == "public"
    owner = d.scope[-2] if len(d.scope) >= 2 else None
    in_class = d.parent is not None and d.parent.kind in ("class", "struct", "union")
    if d.name.startswith("~"):
        fact["kind"] = "destructor"
    elif owner is not None and d.name == owner and (in_class or out_of_line):
        fact["kind"] = "constructor"
    elif out_of_line:
        fact["kind"] = "method"
    fact["return_type"] = cf.return_type(d)
    resign(fact, modifiers(d))
    return fact


def refine(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    if d.kind in ("function", "method"):
        return _function(fact, d)
    if d.kind == "constant" and d.node.type == "declaration":
        if not cf.file_level(d.node):
            return None
        qualifiers = {node_text(q) for q in d.captures.get("_qualifier", [])}
        fact["kind"] = "constexpr" if "constexpr" in qualifiers else "const"
        fact["type"] = cf.member_type(d)
        return fact
    if d.kind == "member" and d.capture("type") is not None:
        fact["type"] = cf.member_type(d)
        return fact
    if d.kind == "type" and cf.names_anonymous_type(d):
        return None
    return fact
