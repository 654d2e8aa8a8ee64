"""Bytes of one source file -> its facts. Pure: the same bytes and language give the same facts.

The language's query (queries/<lang>.scm, see CONTRACT.md) finds definitions, imports and
calls; this module qualifies them by nesting, applies the language's optional hooks
(lang_<x>.py) and shapes the payloads. The result is plain JSON-able data so it can be cached
by blob id (see :mod:`.cache`) and shipped between processes.

Nothing here recurses over the tree (deep nesting must not overflow the stack) and nothing
walks every node (large files): nesting is computed from byte ranges with a stack.
"""

from __future__ import annotations

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
from patina.sources.code.plugin import bare_type, collapse, node_text, qualifier_parts, signature_hash

HEADER_MAX = 200


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
    caller: "Definition | None" = None  # the innermost function-like ancestor (unless is_caller)
    is_caller: bool = False  # function-like itself: calls inside are attributed to it

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
    tree = loaded.parser.parse(data)
    root = tree.root_node
    matches = loaded.cursor.matches(root)
    return _Builder(loaded, root, matches, data).build(lang_name, count_errors(root))


def safe_extract(lang_name: str, data: bytes) -> FileFacts | str:
    """:func:`extract`, or the one-line reason it could not run (for the worker pool)."""
    try:
        return extract(lang_name, data)
    except LanguageUnavailable as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - law 4: the caller warns and keeps the file
        return f"code: extraction failed for a {lang_name} file: {exc.__class__.__name__}: {exc}"


class _Builder:
    """Turns one file's query matches into facts.

    Hot paths (call sites are ~80% of all matches) read text by slicing the decoded source
    when it is ASCII (byte offsets = character offsets), instead of ``node.text`` (a memoryview
    and a bytes copy per node); results are identical to :func:`node_text`.
    """

    def __init__(self, loaded: Any, root: Any, matches: list[tuple[int, dict[str, list[Any]]]],
                 data: bytes | None = None) -> None:
        self.loaded = loaded
        self.function_locals = loaded.spec.function_locals
        self.query = loaded.query
        self.root = root
        self.matches = matches
        self.data = data
        self.src: str | None = data.decode("ascii") if data is not None and data.isascii() else None

    def _text(self, node: Any) -> str:
        """:func:`node_text`, faster when the source is at hand."""
        src = self.src
        if src is not None:
            return src[node.start_byte:node.end_byte]
        if self.data is not None:
            return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")
        return node_text(node)

    def _first_line(self, node: Any) -> str:
        """The first line of a node's text (a class's header), without copying its whole body."""
        src = self.src
        if src is not None:
            start, end = node.start_byte, node.end_byte
            cut = src.find("\n", start, end)
            return src[start:end if cut < 0 else cut]
        return self._text(node).split("\n", 1)[0]

    # -- collection ------------------------------------------------------------------------------
    def _role(self, pattern: int, caps: dict[str, list[Any]]) -> tuple[str | None, dict[str, Any]]:
        """(role capture, settings) of a pattern, memoised on the language (alternations may
        vary the role capture: then it is looked up again)."""
        info = self.loaded.pattern_info
        cached = info.get(pattern)
        if cached is None or cached[0] not in caps:
            found = next((c for c in caps if c.startswith(("definition.", "reference."))), None)
            if cached is None:
                settings = dict(self.query.pattern_settings(pattern) or {})
                settings.update(self.loaded.extra_settings.get(pattern, {}))
            else:
                settings = cached[1]
            cached = (found, settings)
            info[pattern] = cached
        return cached

    def _collect(self) -> tuple[list[Definition], list[tuple[int, int, str, int, Any]], list[tuple[Any, dict, dict]]]:
        """Definitions (one per (node, name): the first pattern wins), call sites sorted by
        (start, -end, callee) (the same site matched by several patterns appears several
        times: :meth:`_calls` counts it once), and import statements (one per (node, path
        node), names merged over matches)."""
        best: dict[tuple[int, str], Definition] = {}
        calls: list[tuple[int, int, str, int, Any]] = []  # (start, -end, callee, n, call node)
        imports: dict[tuple[int, int], tuple[Any, dict, dict, int]] = {}
        info = self.loaded.pattern_info
        src = self.src
        text = self._text
        for pattern, caps in self.matches:
            cached = info.get(pattern)
            if cached is None or cached[0] not in caps:
                cached = self._role(pattern, caps)
            role = cached[0]
            if role == "reference.call":  # the most frequent: keep this path short
                names = caps.get("name")
                if names:
                    name_node = names[0]
                    callee = src[name_node.start_byte:name_node.end_byte] if src is not None else text(name_node)
                    if not callee.isidentifier():
                        callee = " ".join(callee.split())
                    if callee:
                        node = caps[role][0]
                        calls.append((node.start_byte, -node.end_byte, callee, len(calls), node))
            elif role is None:
                continue
            elif role.startswith("definition."):
                kind = role[11:]
                name_node = (caps.get("name") or [None])[0]
                if kind not in KIND_EVENT or name_node is None:
                    continue
                name = collapse(text(name_node))
                if not name:
                    continue
                node = caps[role][0]
                current = best.get((node.id, name))
                if current is None or pattern < current.pattern:
                    best[(node.id, name)] = Definition(node, kind, name, caps, cached[1], pattern,
                                                       node.start_byte, node.end_byte)
            elif role == "reference.import":
                node = caps[role][0]
                path_node = (caps.get("import.path") or [None])[0]
                key2 = (node.id, path_node.id if path_node is not None else -1)
                current_imp = imports.get(key2)
                if current_imp is None:
                    imports[key2] = (node, {k: list(v) for k, v in caps.items()}, cached[1], pattern)
                else:
                    merged = current_imp[1]
                    merged.setdefault("import.name", []).extend(caps.get("import.name", []))
                    if pattern < current_imp[3]:
                        imports[key2] = (node, merged, cached[1], pattern)
        defs = sorted(best.values(), key=lambda d: (d.start, -d.end, d.pattern))
        calls.sort()  # by (start, -end, callee), then match order: never compares nodes
        import_list = sorted(((n, c, s) for n, c, s, _ in imports.values()),
                             key=lambda i: (i[0].start_byte, i[1].get("import.path", [i[0]])[0].start_byte))
        return defs, calls, import_list

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
                d.is_caller = True  # (not ``caller = d``: no reference cycle, see history.warm)
            elif parent is not None:
                d.caller = parent if parent.is_caller else parent.caller
            if not (stack and stack[-1].node.id == d.node.id):
                stack.append(d)

    # -- facts -----------------------------------------------------------------------------------
    def build(self, lang_name: str, error_nodes: int) -> FileFacts:
        defs, calls, imports = self._collect()
        self._nest(defs)
        facts: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        hooks = self.loaded.hooks_by_name
        refine = hooks.get("refine")

        for d in defs:
            event = KIND_EVENT[d.kind]
            if event is None:
                continue  # scope only (impl, module, namespace)
            try:
                data = self._definition(d, event, hooks)
                if data is not None and refine is not None:
                    data = refine(data, d)
            except Exception:  # noqa: BLE001 - a hook failing drops this fact, not the file
                data = None
            if data is not None:
                key = (event, d.qualified_name)
                if key not in facts:  # duplicates: the first by position wins
                    facts[key] = (d.start, data)

        call_facts = self._calls(defs, calls)

        for event, key, pos, data in self._imports(imports, hooks.get("imports")):
            existing = facts.get((event, key))
            if existing is None:
                facts[(event, key)] = (pos, data)
            else:
                merged = sorted(set(existing[1]["imported_names"]) | set(data["imported_names"]))
                existing[1]["imported_names"] = merged

        # "code.call" sorts before every other fact event: the calls first, then the rest.
        out = [["code.call", key, call_facts[key]] for key in sorted(call_facts)]
        out.extend([event, key, facts[(event, key)][1]] for event, key in sorted(facts))
        return FileFacts(language=lang_name, error_nodes=error_nodes, skipped=None, facts=out)

    def _definition(self, d: Definition, event: str, hooks: dict[str, Any]) -> dict[str, Any] | None:
        kind = str(d.settings.get("kind") or d.kind)
        line = d.node.start_point[0] + 1
        visibility = self._visibility(d, hooks.get("visibility"))
        if event == "code.function":
            return self._function(d, kind, line, visibility, hooks)
        if event == "code.member":
            type_node = d.capture("type")
            return {"parent": d.parent.qualified_name if d.parent else "", "name": d.name,
                    "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                    "type": self._type_text(type_node), "line": line}
        if event == "code.constant":
            type_node = d.capture("type")
            return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind,
                    "type": self._type_text(type_node), "line": line}
        node = d.node
        if d.settings.get("header") == "parent" and node.parent is not None:
            node = node.parent  # e.g. a C typedef captured on its declarator: the typedef's lines
        return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                "definition": collapse(self._first_line(node))[:HEADER_MAX], "line": node.start_point[0] + 1,
                "end_line": node.end_point[0] + 1}

    def _type_text(self, node: Any) -> str | None:
        """:func:`.plugin.type_text` with the builder's text access."""
        if node is None:
            return None
        return bare_type(collapse(self._text(node)))

    def _visibility(self, d: Definition, hook: Any) -> str:
        """The first of (CONTRACT.md section 1, Visibility): ``local`` for a definition directly in a
        function, in a language that opts in and without an explicit ``@visibility``; the
        hook's answer (None: no answer); the ``@visibility`` text; the pattern's
        ``(#set! visibility ...)``; ``public``."""
        vis = d.capture("visibility")
        if vis is None and self.function_locals and d.parent is not None and d.parent.kind in FUNCTION_KINDS:
            return "local"
        if hook is not None:
            found = hook(d)
            if found is not None:
                return str(found)
        if vis is not None:
            return collapse(self._text(vis)).lower()
        return str(d.settings.get("visibility") or "public")

    def _function(self, d: Definition, kind: str, line: int, visibility: str,
                  hooks: dict[str, Any]) -> dict[str, Any]:
        hook_mods = hooks.get("modifiers")
        if hook_mods is not None:
            mods = set(hook_mods(d))
        else:
            mods = {w for n in d.captures.get("modifier", []) for w in self._text(n).split()}
        params_node = d.capture("parameters")
        params: list[str] = []
        if params_node is not None:
            hook_params = hooks.get("parameters")
            if hook_params is not None:
                params = [str(p) for p in hook_params(d, params_node)]
            else:
                text = self._text
                params = [collapse(text(c)) for c in params_node.named_children if "comment" not in c.type]
        return_type = self._type_text(d.capture("return_type"))
        hook_rr = hooks.get("returns_result")
        returns_result = bool(hook_rr(return_type, d)) if hook_rr is not None else False
        sig_hash = signature_hash(d.name, params, return_type, mods, visibility)
        return {
            "name": d.name, "qualified_name": d.qualified_name, "kind": kind,
            "line": line, "end_line": d.node.end_point[0] + 1,
            "parameters": params, "return_type": return_type, "visibility": visibility,
            "is_public": visibility == "public", "is_async": "async" in mods, "is_unsafe": "unsafe" in mods,
            "takes_mut_self": False, "returns_result": returns_result, "signature_hash": sig_hash,
        }

    @staticmethod
    def _calls(defs: list[Definition], calls: list[tuple[int, int, str, int, Any]]) -> dict[str, dict[str, Any]]:
        """One fact per (caller, callee), by key ``caller->callee``: the caller is the innermost
        enclosing function-like definition (else the innermost definition, else ``<module>``);
        line of the first site, count of sites. A sweep over byte ranges with a stack of open
        definitions (no parent walks); qualified names are joined once per definition."""
        out: dict[str, dict[str, Any]] = {}
        i = 0
        n = len(defs)
        stack: list[tuple[int, int, str]] = []  # (start, end, caller's qualified name)
        qual: dict[int, str] = {}
        caller = "<module>"
        top_start, top_end = -1, -1
        last: tuple[int, int, str] = (-1, 0, "")
        for start, neg_end, callee, _, node in calls:
            if start == last[0] and neg_end == last[1] and callee == last[2]:
                continue  # one site, several patterns
            last = (start, neg_end, callee)
            end = -neg_end
            if i < n and defs[i].start <= start:
                while i < n and defs[i].start <= start:
                    d = defs[i]
                    while stack and not (stack[-1][0] <= d.start and d.end <= stack[-1][1]):
                        stack.pop()
                    c = d if d.is_caller else (d.caller or d)
                    name = qual.get(id(c))
                    if name is None:
                        name = qual[id(c)] = c.qualified_name
                    stack.append((d.start, d.end, name))
                    i += 1
                top_start, top_end = -1, -1  # re-read the top below
            if not (top_start <= start and end <= top_end):
                while stack and not (stack[-1][0] <= start and end <= stack[-1][1]):
                    stack.pop()
                if stack:
                    top_start, top_end, caller = stack[-1]
                else:
                    top_start, top_end, caller = -1, 1 << 62, "<module>"
            key = f"{caller}->{callee}"
            existing = out.get(key)
            if existing is None:
                out[key] = {"caller": caller, "callee": callee, "line": node.start_point[0] + 1, "count": 1}
            else:
                existing["count"] += 1
        return out

    def _imports(self, imports: list[tuple[Any, dict, dict]], hook: Any):
        text = self._text
        for node, caps, settings in imports:
            try:
                if hook is not None:
                    pairs = hook(node, caps)
                else:
                    path_node = (caps.get("import.path") or [None])[0]
                    if path_node is None:
                        continue
                    pairs = [(text(path_node), [text(n) for n in caps.get("import.name", [])])]
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
