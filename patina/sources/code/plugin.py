"""The helpers a language's hook module (``lang_<x>.py``) builds on (see CONTRACT.md section 2).

Hook modules import from here (and ``Definition`` from :mod:`.extract`, for typing), never
from one another: a rule two languages share lives here once, and the extractor uses the
same functions, so a hook's text, names and signature hashes are the framework's by
construction. Light: no tree_sitter import, nothing that walks a tree recursively.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patina.sources.code.extract import Definition

_GENERIC = re.compile(r"<[^<>]*>|\[[^\[\]]*\]")
_POINTER_WORDS = re.compile(r"\b(?:mut|const)\b|[\s*&]")
_SCOPE_SEPARATOR = re.compile(r"::|\.")

# One encoder for every signature hash: ``json.dumps(x, ensure_ascii=False)`` builds a new
# encoder per call; this one gives the same text.
_SIGNATURE_JSON = json.JSONEncoder(ensure_ascii=False).encode


def node_text(node: Any) -> str:
    """A node's source text; "" for no node (an absent optional child). Invalid UTF-8 is
    replaced: never raises."""
    raw = node.text if node is not None else None
    return raw.decode("utf-8", "replace") if raw is not None else ""


def collapse(text: str) -> str:
    """Whitespace runs as one space, trimmed (a fast path for plain identifiers)."""
    if text.isidentifier():
        return text
    return " ".join(text.split())


def bare_type(text: str) -> str | None:
    """A collapsed type annotation without its leading ``:`` or ``->`` (TS ``: T``, Python
    ``-> T``); None when nothing is left."""
    for prefix in (":", "->"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip()
    return text or None


def type_text(node: Any) -> str | None:
    """A type node's text as a fact's ``return_type``/``type``: collapsed, see :func:`bare_type`."""
    if node is None:
        return None
    return bare_type(collapse(node_text(node)))


def qualifier_parts(text: str) -> list[str]:
    """``*Store[T]`` -> ["Store"]; ``a::b::C<T>`` -> ["a", "b", "C"]; ``pkg.Type`` -> ["pkg", "Type"]."""
    prev = None
    while prev != text:
        prev, text = text, _GENERIC.sub("", text)
    text = _POINTER_WORDS.sub("", text)
    return [p for p in _SCOPE_SEPARATOR.split(text) if p]


def root_of(node: Any) -> Any:
    """The tree's root node (a loop bounded by the tree's depth): the key of a hook's
    one-file cache."""
    while node.parent is not None:
        node = node.parent
    return node


def signature_hash(name: str, parameters: list[str], return_type: str | None, modifiers: set[str],
                   visibility: str) -> str:
    """The ``signature_hash`` of a ``code.function`` fact: the extractor's and :func:`resign`'s."""
    signature = [name, parameters, return_type, sorted(modifiers), visibility]
    return hashlib.sha256(_SIGNATURE_JSON(signature).encode()).hexdigest()[:16]


def resign(fact: dict[str, Any], modifiers: set[str]) -> None:
    """Recompute ``signature_hash`` after a hook changed the name, return type or visibility
    of a function fact (``modifiers``: the set the hash was built from)."""
    fact["signature_hash"] = signature_hash(fact["name"], fact["parameters"], fact["return_type"], modifiers,
                                            fact["visibility"])


def requalify(d: Definition, fact: dict[str, Any], scope: list[str], name: str | None = None) -> None:
    """Give a definition a new scope (and name) after the framework qualified it. The fact's
    key and ``qualified_name`` follow, and so does the caller name of the calls inside it
    (``Definition.qualified_name`` is read from ``scope`` when calls are attributed, after
    every hook has run)."""
    if name is not None:
        d.name = name
        fact["name"] = name
    d.scope = list(scope)
    if "qualified_name" in fact:
        fact["qualified_name"] = d.qualified_name
