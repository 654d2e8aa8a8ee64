"""Bytes of one source file -> its facts. Pure: the same bytes and language give the same facts.

The language's query (queries/<lang>.scm, see CONTRACT.md) finds definitions, imports and
calls; this module qualifies them by nesting, applies the language's optional hooks
(lang_<x>.py) and shapes the payloads. The result is plain JSON-able data so it can be cached
by blob id (see :mod:`.cache`) and shipped between processes.

Nothing here recurses over the tree (deep nesting must not overflow the stack) and nothing
walks every node (large files): nesting is computed from byte ranges with a stack.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from patina.sources.code.facts import (
    CALLER_KINDS,
    FUNCTION_KINDS,
    KIND_EVENT,
    TYPE_KINDS,
    FileFacts,
)
from patina.sources.code.languages import LanguageUnavailable, load

_GENERIC = re.compile(r"<[^<>]*>|\[[^\[\]]*\]")
HEADER_MAX = 200


def node_text(node: Any) -> str:
    """A node's source text (invalid UTF-8 replaced, never raises)."""
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def collapse(text: str) -> str:
    """Whitespace runs as one space, trimmed (a fast path for plain identifiers)."""
    if text.isidentifier():
        return text
    return " ".join(text.split())


def type_text(node: Any) -> str | None:
    """A type annotation's text without a leading ``:`` or ``->`` (TS ``: T``, Python ``-> T``)."""
    if node is None:
        return None
    text = collapse(node_text(node))
    for prefix in (":", "->"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip()
    return text or None


@dataclass
class Definition:
    """One captured definition, as the hooks see it (see CONTRACT.md section 2)."""

    node: Any
    kind: str  # the capture kind: function, method, struct, impl, ...
    name: str
    captures: dict[str, list[Any]]
    settings: dict[str, Any]
    pattern: int
    start: int
    end: int
    parent: "Definition | None" = None
    scope: list[str] = field(default_factory=list)  # qualified name parts
    caller: "Definition | None" = None  # the innermost function-like self-or-ancestor

    @property
    def qualified_name(self) -> str:
        """Computed on use: hooks may adjust ``scope`` (e.g. operator names)."""
        return "::".join(self.scope)

    def capture(self, name: str) -> Any | None:
        nodes = self.captures.get(name)
        return nodes[0] if nodes else None

    @staticmethod
    def text(node: Any) -> str:
        return node_text(node)


def qualifier_parts(text: str) -> list[str]:
    """``*Store[T]`` -> ["Store"]; ``a::b::C<T>`` -> ["a", "b", "C"]; ``pkg.Type`` -> ["pkg", "Type"]."""
    prev = None
    while prev != text:
        prev, text = text, _GENERIC.sub("", text)
    text = re.sub(r"\b(?:mut|const)\b|[\s*&]", "", text)
    return [p for p in re.split(r"::|\.", text) if p]


def count_errors(root: Any) -> int:
    """ERROR and MISSING nodes, visiting only subtrees that contain an error."""
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        for child in node.children:
            if child.has_error or child.is_missing:
                stack.append(child)
    return count


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:8192]


def extract(lang_name: str, data: bytes) -> FileFacts:
    """The facts of one blob. Raises LanguageUnavailable when the language cannot load."""
    if is_binary(data):
        return FileFacts(language=lang_name, error_nodes=0, skipped="binary", facts=[])
    loaded = load(lang_name)
    from tree_sitter import Parser, QueryCursor

    tree = Parser(loaded.language).parse(data)
    root = tree.root_node
    matches = QueryCursor(loaded.query).matches(root)
    return _Builder(loaded, root, matches).build(lang_name, count_errors(root))


def safe_extract(lang_name: str, data: bytes) -> FileFacts | str:
    """:func:`extract`, or the one-line reason it could not run (for the worker pool)."""
    try:
        return extract(lang_name, data)
    except LanguageUnavailable as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - law 4: the caller warns and keeps the file
        return f"code: extraction failed for a {lang_name} file: {exc.__class__.__name__}: {exc}"


class _Builder:
    """Turns one file's query matches into facts."""

    def __init__(self, loaded: Any, root: Any, matches: list[tuple[int, dict[str, list[Any]]]]) -> None:
        self.loaded = loaded
        self.query = loaded.query
        self.root = root
        self.matches = matches

    # -- collection ------------------------------------------------------------------------------
    def _collect(self) -> tuple[list[Definition], list[tuple[int, int, str, int]], list[tuple[Any, dict, dict]]]:
        """Definitions (one per (node, name): the first pattern wins), call sites, and import
        statements (one per (node, path node), names merged over matches)."""
        best: dict[tuple[int, str], Definition] = {}
        calls: dict[tuple[int, int, str], int] = {}  # (start, end, callee) -> line
        imports: dict[tuple[int, int], tuple[Any, dict, dict, int]] = {}
        info: dict[int, tuple[str | None, dict[str, Any]]] = self.loaded.pattern_info
        for pattern, caps in self.matches:
            cached = info.get(pattern)
            if cached is None or cached[0] not in caps:  # alternations may vary the role capture
                found = next((c for c in caps if c.startswith(("definition.", "reference."))), None)
                if cached is None:
                    settings = dict(self.query.pattern_settings(pattern) or {})
                    settings.update(self.loaded.extra_settings.get(pattern, {}))
                else:
                    settings = cached[1]
                cached = (found, settings)
                info[pattern] = cached
            role, settings = cached
            if role is None:
                continue
            node = caps[role][0]
            if role == "reference.call":  # the most frequent: keep this path short
                names = caps.get("name")
                if names:
                    callee = collapse(node_text(names[0]))
                    if callee:
                        calls.setdefault((node.start_byte, node.end_byte, callee), node.start_point[0] + 1)
            elif role.startswith("definition."):
                kind = role[11:]
                name_node = (caps.get("name") or [None])[0]
                if kind not in KIND_EVENT or name_node is None:
                    continue
                name = collapse(node_text(name_node))
                if not name:
                    continue
                current = best.get((node.id, name))
                if current is None or pattern < current.pattern:
                    best[(node.id, name)] = Definition(node, kind, name, caps, settings, pattern,
                                                       node.start_byte, node.end_byte)
            elif role == "reference.import":
                path_node = (caps.get("import.path") or [None])[0]
                key = (node.id, path_node.id if path_node is not None else -1)
                current_imp = imports.get(key)
                if current_imp is None:
                    imports[key] = (node, {k: list(v) for k, v in caps.items()}, settings, pattern)
                else:
                    merged = current_imp[1]
                    merged.setdefault("import.name", []).extend(caps.get("import.name", []))
                    if pattern < current_imp[3]:
                        imports[key] = (node, merged, settings, pattern)
        defs = sorted(best.values(), key=lambda d: (d.start, -d.end, d.pattern))
        call_list = sorted(((st, en, callee, line) for (st, en, callee), line in calls.items()),
                           key=lambda c: (c[0], -c[1], c[2]))
        import_list = sorted(((n, c, s) for n, c, s, _ in imports.values()),
                             key=lambda i: (i[0].start_byte, i[1].get("import.path", [i[0]])[0].start_byte))
        return defs, call_list, import_list

    @staticmethod
    def _nest(defs: list[Definition]) -> None:
        """Parent links and qualified names from byte-range containment (a stack, no recursion)."""
        stack: list[Definition] = []
        for d in defs:
            while stack and not (stack[-1].start <= d.start and d.end <= stack[-1].end):
                stack.pop()
            parent = stack[-1] if stack else None
            if parent is not None and parent.node.id == d.node.id:  # one node, several names
                parent = parent.parent
            d.parent = parent
            scope = list(d.parent.scope) if d.parent else []
            qual = d.capture("qualifier")
            if qual is not None:
                scope.extend(qualifier_parts(node_text(qual)))
            scope.append(d.name)
            d.scope = scope
            if d.kind == "function" and d.parent is not None and d.parent.kind in TYPE_KINDS:
                d.kind = "method"
            if d.kind in CALLER_KINDS:
                d.caller = d
            else:
                d.caller = d.parent.caller if d.parent is not None else None
            if not (stack and stack[-1].node.id == d.node.id):
                stack.append(d)

    # -- facts -----------------------------------------------------------------------------------
    def build(self, lang_name: str, error_nodes: int) -> FileFacts:
        defs, calls, imports = self._collect()
        self._nest(defs)
        facts: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

        def put(event: str, key: str, pos: int, data: dict[str, Any]) -> None:
            if (event, key) not in facts:  # duplicates: the first by position wins
                facts[(event, key)] = (pos, data)

        for d in defs:
            event = KIND_EVENT[d.kind]
            if event is None:
                continue  # scope only (impl, module, namespace)
            try:
                data = self._definition(d, event)
                refine = self.loaded.hook("refine")
                if data is not None and refine is not None:
                    data = refine(data, d)
            except Exception:  # noqa: BLE001 - a hook failing drops this fact, not the file
                data = None
            if data is not None:
                put(event, d.qualified_name, d.start, data)

        self._calls(defs, calls, facts)

        for event, key, pos, data in self._imports(imports):
            existing = facts.get((event, key))
            if existing is None:
                facts[(event, key)] = (pos, data)
            else:
                merged = sorted(set(existing[1]["imported_names"]) | set(data["imported_names"]))
                existing[1]["imported_names"] = merged

        out = [[event, key, facts[(event, key)][1]] for event, key in sorted(facts)]
        return FileFacts(language=lang_name, error_nodes=error_nodes, skipped=None, facts=out)

    def _definition(self, d: Definition, event: str) -> dict[str, Any] | None:
        kind = str(d.settings.get("kind") or d.kind)
        line = d.node.start_point[0] + 1
        visibility = self._visibility(d)
        if event == "code.function":
            return self._function(d, kind, line, visibility)
        if event == "code.member":
            type_node = d.capture("type")
            return {"parent": d.parent.qualified_name if d.parent else "", "name": d.name,
                    "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                    "type": type_text(type_node), "line": line}
        if event == "code.constant":
            type_node = d.capture("type")
            return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind,
                    "type": type_text(type_node), "line": line}
        header = node_text(d.node).split("\n", 1)[0]
        return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                "definition": collapse(header)[:HEADER_MAX], "line": line, "end_line": d.node.end_point[0] + 1}

    def _visibility(self, d: Definition) -> str:
        hook = self.loaded.hook("visibility")
        if hook is not None:
            return str(hook(d))
        vis = d.capture("visibility")
        return collapse(node_text(vis)).lower() if vis is not None else "public"

    def _function(self, d: Definition, kind: str, line: int, visibility: str) -> dict[str, Any]:
        hook_mods = self.loaded.hook("modifiers")
        if hook_mods is not None:
            mods = set(hook_mods(d))
        else:
            mods = {w for n in d.captures.get("modifier", []) for w in node_text(n).split()}
        params_node = d.capture("parameters")
        params: list[str] = []
        if params_node is not None:
            hook_params = self.loaded.hook("parameters")
            if hook_params is not None:
                params = [str(p) for p in hook_params(d, params_node)]
            else:
                params = [collapse(node_text(c)) for c in params_node.named_children if "comment" not in c.type]
        ret_node = d.capture("return_type")
        return_type = type_text(ret_node)
        hook_rr = self.loaded.hook("returns_result")
        returns_result = bool(hook_rr(return_type, d)) if hook_rr is not None else False
        signature = [d.name, params, return_type, sorted(mods), visibility]
        sig_hash = hashlib.sha256(json.dumps(signature, ensure_ascii=False).encode()).hexdigest()[:16]
        return {
            "name": d.name, "qualified_name": d.qualified_name, "kind": kind,
            "line": line, "end_line": d.node.end_point[0] + 1,
            "parameters": params, "return_type": return_type, "visibility": visibility,
            "is_public": visibility == "public", "is_async": "async" in mods, "is_unsafe": "unsafe" in mods,
            "takes_mut_self": False, "returns_result": returns_result, "signature_hash": sig_hash,
        }

    @staticmethod
    def _calls(defs: list[Definition], calls: list[tuple[int, int, str, int]],
               facts: dict[tuple[str, str], tuple[int, dict[str, Any]]]) -> None:
        """One fact per (caller, callee): the innermost enclosing function-like definition (else
        the innermost definition, else ``<module>``); line of the first site, count of sites.
        A sweep over byte ranges with a stack of open definitions (no parent walks)."""
        i = 0
        n = len(defs)
        stack: list[Definition] = []
        for start, end, callee, line in calls:
            while i < n and defs[i].start <= start:
                d = defs[i]
                while stack and not (stack[-1].start <= d.start and d.end <= stack[-1].end):
                    stack.pop()
                stack.append(d)
                i += 1
            while stack and not (stack[-1].start <= start and end <= stack[-1].end):
                stack.pop()
            if stack:
                top = stack[-1]
                caller = (top.caller or top).qualified_name
            else:
                caller = "<module>"
            key = ("code.call", f"{caller}->{callee}")
            existing = facts.get(key)
            if existing is None:
                facts[key] = (start, {"caller": caller, "callee": callee, "line": line, "count": 1})
            else:
                existing[1]["count"] += 1

    def _imports(self, imports: list[tuple[Any, dict, dict]]):
        hook = self.loaded.hook("imports")
        for node, caps, settings in imports:
            try:
                if hook is not None:
                    pairs = hook(node, caps)
                else:
                    path_node = (caps.get("import.path") or [None])[0]
                    if path_node is None:
                        continue
                    pairs = [(node_text(path_node), [node_text(n) for n in caps.get("import.name", [])])]
            except Exception:  # noqa: BLE001 - a failing hook drops this import only
                continue
            kind = str(settings.get("import.kind") or "import")
            for path, names in pairs:
                path = collapse(path).strip("\"'`")
                if not path:
                    continue
                clean = sorted({collapse(n) for n in names if collapse(n)})
                yield ("code.import", path, node.start_byte,
                       {"import_path": path, "imported_names": clean, "import_kind": kind,
                        "line": node.start_point[0] + 1})


assert FUNCTION_KINDS <= CALLER_KINDS
