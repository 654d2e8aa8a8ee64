"""Ruby hooks for the code source (the mapping itself is documented in queries/ruby.scm).

What the query alone cannot say:
- visibility is a runtime affair in Ruby: a bare ``private`` starts a section, ``private def m``
  and ``private :m`` name one method, ``private_class_method :m`` a singleton method, and
  ``initialize`` is always private. Each class/module body is read once (cached per body) so
  a long class costs one pass, not one pass per method;
- singleton methods (``def self.m``, or a ``def`` inside ``class << self``) keep the name
  ``m`` but are keyed ``...::self.m``, so they never collide with an instance method ``m``;
- ``attr_reader :x`` members are named ``x`` (no colon), their kind is the attr_* call.
"""

from __future__ import annotations

from typing import Any

from patina.sources.code.plugin import node_text, requalify, root_of

SECTION_WORDS = frozenset({"private", "protected", "public"})
CLASS_METHOD_WORDS = {"private_class_method": "private", "public_class_method": "public"}
ALWAYS_PRIVATE = frozenset({"initialize", "initialize_copy", "respond_to_missing?"})


def _symbol_name(node: Any) -> str | None:
    """``:m`` or ``"m"`` as an argument naming a method."""
    if node.type == "simple_symbol":
        return node_text(node).lstrip(":")
    if node.type == "string":
        return node_text(node).strip("\"'")
    return None


def _call_word(node: Any) -> str | None:
    """The method name of a receiver-less call (or bare identifier) like ``private``."""
    if node.type == "identifier":
        return node_text(node)
    if node.type == "call" and node.child_by_field_name("receiver") is None:
        method = node.child_by_field_name("method")
        return node_text(method) if method is not None else None
    return None


def _arguments(call: Any) -> list[Any]:
    args = call.child_by_field_name("arguments") if call.type == "call" else None
    return list(args.named_children) if args is not None else []


class _Body:
    """One class/module body read once: the section in force at each statement and the
    explicit ``private :m`` / ``private_class_method :m`` declarations (the last one wins)."""

    def __init__(self, body: Any) -> None:
        self.section: dict[int, str] = {}
        self.named: dict[str, str] = {}
        self.class_named: dict[str, str] = {}
        current = "public"
        for child in body.named_children:
            self.section[child.id] = current
            word = _call_word(child)
            if word in SECTION_WORDS:
                args = _arguments(child)
                if not args:
                    current = word
                for arg in args:
                    name = _symbol_name(arg)
                    if name is not None:
                        self.named[name] = word
            elif word in CLASS_METHOD_WORDS:
                for arg in _arguments(child):
                    name = _symbol_name(arg)
                    if name is not None:
                        self.class_named[name] = CLASS_METHOD_WORDS[word]


_BODIES: dict[str, Any] = {"root": None, "bodies": {}}


def _body_info(body: Any) -> _Body:
    root = root_of(body)
    if _BODIES["root"] is None or not _BODIES["root"] == root:
        _BODIES.update(root=root, bodies={})
    info = _BODIES["bodies"].get(body.id)
    if info is None:
        info = _BODIES["bodies"][body.id] = _Body(body)
    return info


def _anchor(node: Any) -> Any:
    """The statement of the body that holds the definition: ``private def m`` for ``def m``,
    the ``attr_reader`` call for one of its symbols."""
    if node.type == "simple_symbol" and node.parent is not None and node.parent.parent is not None:
        return node.parent.parent
    parent = node.parent
    if parent is not None and parent.type == "argument_list" and parent.parent is not None:
        word = _call_word(parent.parent)
        if word in SECTION_WORDS:
            return parent.parent
    return node


def _in_singleton_class(node: Any) -> bool:
    body = node.parent
    return body is not None and body.parent is not None and body.parent.type == "singleton_class"


def _plain_name(d: Any) -> str:
    return d.name.lstrip(":") if d.node.type == "simple_symbol" else d.name


# -- hooks -------------------------------------------------------------------------------------

def visibility(d: Any) -> str:
    node = d.node
    if node.type not in ("method", "singleton_method", "simple_symbol"):
        return "public"
    name = _plain_name(d)
    if node.type == "method" and name in ALWAYS_PRIVATE:
        return "private"
    anchor = _anchor(node)
    if anchor is not node:  # `private def m` / `private attr_reader :x`
        word = _call_word(anchor)
        if word in SECTION_WORDS:
            return word
    body = anchor.parent
    if body is None or body.type not in ("body_statement", "program"):
        return "public"
    info = _body_info(body)
    if node.type == "singleton_method":
        return info.class_named.get(name, "public")
    found = info.named.get(name) or info.section.get(anchor.id, "public")
    if found == "public" and _in_singleton_class(node):  # `private_class_method :m` outside
        outer = body.parent.parent  # body_statement -> singleton_class -> enclosing body
        if outer is not None and outer.type == "body_statement":
            return _body_info(outer).class_named.get(name, "public")
    return found


def refine(fact: dict[str, Any], d: Any) -> dict[str, Any] | None:
    node = d.node
    if node.type == "simple_symbol":  # attr_reader :name
        name = _plain_name(d)
        requalify(d, fact, d.scope[:-1] + [name], name=name)
        attr = d.capture("_attr")
        fact["kind"] = node_text(attr) if attr is not None else "attr"
        return fact
    singleton = node.type == "singleton_method" or (node.type == "method" and _in_singleton_class(node))
    if singleton:
        obj = node.child_by_field_name("object")
        owner = node_text(obj) if obj is not None else "self"
        requalify(d, fact, d.scope[:-1] + [f"{owner}.{d.name}"])
        fact["kind"] = "singleton_method"
    return fact
