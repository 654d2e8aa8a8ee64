"""Bytes of one source file -> its facts. Pure: the same bytes and language give the same facts.

The language's query (queries/<lang>.scm, see CONTRACT.md) finds definitions, imports and
calls; this module qualifies them by nesting, applies the language's optional hooks
(lang_<x>.py) and shapes the payloads. The result is plain JSON-able data so it can be cached
by blob id (see :mod:`.cache`) and shipped between processes.

A file is extracted unit by unit (CONTRACT.md section 6; :mod:`.incremental` decides the units
and which of them a new version must re-extract): :class:`_Builder` turns the matches of one
*group* (a unit, or a container's own header) into a :class:`Group` whose coordinates are
relative to the group's unit, :func:`compose_top` joins the groups of one top-level unit and
:func:`merge_file` joins the top-level units into the file's facts. So a unit's facts can be
kept from one version of a file to the next and only shifted.

Nothing here recurses over the tree (deep nesting must not overflow the stack) and nothing
walks every node (large files): nesting is computed from byte ranges with a stack.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterable, NamedTuple

from patina.sources.code.facts import (
    CALLER_KINDS,
    CONTAINER_KINDS,
    FUNCTION_KINDS,
    KIND_EVENT,
    TYPE_KINDS,
    FileFacts,
    position_key,
)
from patina.sources.code.plugin import bare_type, collapse, node_text, qualifier_parts, signature_hash

HEADER_MAX = 200
HASH_DIGITS = 16


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
    separator: str = "."  # the language's (languages.LanguageSpec.separator)

    @property
    def qualified_name(self) -> str:
        """Computed on use: hooks may adjust ``scope`` (e.g. operator names)."""
        return self.separator.join(self.scope)

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


def skipped_facts(lang_name: str, reason: str) -> FileFacts:
    """The facts of a file that is not extracted (binary, too large, extractor error)."""
    return FileFacts(language=lang_name, error_nodes=0, skipped=reason, facts=[], positions={})


def extract(lang_name: str, data: bytes) -> FileFacts:
    """The facts of one blob. Raises LanguageUnavailable when the language cannot load.
    The same as :func:`.incremental.extract_next` without a previous version."""
    from patina.sources.code.incremental import extract_next

    return extract_next(lang_name, data, None)[0]


def safe_extract(lang_name: str, data: bytes) -> FileFacts | str:
    """:func:`extract`, or the one-line reason it could not run (for the worker pool)."""
    from patina.sources.code.languages import LanguageUnavailable

    try:
        return extract(lang_name, data)
    except LanguageUnavailable as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - law 4: the caller warns and keeps the file
        return f"code: extraction failed for a {lang_name} file: {exc.__class__.__name__}: {exc}"


def body_hash(text: bytes) -> str:
    """The ``body_hash`` of a definition: its source text, so an edit changes the fact and a
    move does not."""
    return hashlib.sha256(text).hexdigest()[:HASH_DIGITS]


# -- the facts of a group, relative to its unit ---------------------------------------------------

class DefItem(NamedTuple):
    """A definition fact of a group (after the hooks), coordinates relative to the unit."""

    start: int  # the definition node: sort key (first by position wins)
    neg_end: int
    pattern: int
    event: str
    key: str
    data: dict[str, Any]  # the payload; a container's still lacks its body_hash
    hash_start: int  # the span the body_hash covers (and the position): the node, or its
    hash_end: int  # parent for (#set! header "parent")
    row: int  # its first and last row, relative to the unit's first row
    end_row: int
    container: bool  # a CONTAINER_KINDS definition: hashed without its nested facts
    declaration: bool  # from a (#set! declaration "true") pattern: loses to a definition


class CallItem(NamedTuple):
    """The calls of one (caller, callee) in a group: the first site and the count."""

    key: str
    caller: str
    callee: str
    start: int
    row: int
    count: int


class ImportItem(NamedTuple):
    """One (statement, import path) of a group."""

    start: int
    path: str
    names: tuple[str, ...]
    kind: str
    row: int


class Group(NamedTuple):
    """The facts found in one group (a leaf unit, or a container's header), with byte and row
    coordinates relative to the unit's start: unchanged when the unit only moves."""

    defs: tuple[DefItem, ...]
    calls: tuple[CallItem, ...]
    imports: tuple[ImportItem, ...]


EMPTY_GROUP = Group((), (), ())


class TopContent(NamedTuple):
    """The facts of one top-level unit, ready to merge: duplicates within the unit resolved,
    containers hashed, payloads built (shared by the versions that keep the unit: read-only).
    Rows relative to the unit's first row."""

    defs: tuple[tuple[str, str, dict[str, Any], str, int, int, bool], ...]  # event, key, data, pkey, row, end_row, decl
    calls: tuple[tuple[str, str, dict[str, Any], int, int], ...]  # key, pkey, data, row, count: one per key
    imports: tuple[tuple[str, str, dict[str, Any], int, tuple[str, ...]], ...]  # path, pkey, data, row, names


EMPTY_CONTENT = TopContent((), (), ())


def _wins(new_decl: bool, old_decl: bool) -> bool:
    """Between two facts of one key, the later one wins only as a definition over a
    declaration (a C prototype and the function's definition): otherwise the first does."""
    return old_decl and not new_decl


def compose_top(data: bytes, top_start: int, parts: list[tuple[int, int, Group]]) -> TopContent:
    """Join the groups of one top-level unit (``parts``: (byte offset, row offset) of each
    group's unit relative to the top-level unit, the group). Duplicate keys: the first by
    position wins (a definition over a declaration). A container's body_hash is its text
    without the spans of the nested definitions kept here, whitespace runs collapsed: so
    editing a method does not change its class, and neither does moving it."""
    if not parts:
        return EMPTY_CONTENT
    if len(parts) == 1 and not parts[0][0] and not parts[0][1]:
        return _compose_one(data, top_start, parts[0][2])
    items: list[tuple[int, int, int, int, DefItem]] = []  # (start, neg_end, pattern, n, item)
    calls: dict[str, CallItem] = {}
    imports: list[ImportItem] = []
    for boff, roff, group in parts:
        for d in group.defs:
            if boff or roff:
                d = d._replace(start=d.start + boff, neg_end=d.neg_end - boff, hash_start=d.hash_start + boff,
                               hash_end=d.hash_end + boff, row=d.row + roff, end_row=d.end_row + roff)
            items.append((d.start, d.neg_end, d.pattern, len(items), d))
        for c in group.calls:
            start = c.start + boff
            old = calls.get(c.key)
            if old is None:
                calls[c.key] = c._replace(start=start, row=c.row + roff)
            elif start < old.start:
                calls[c.key] = c._replace(start=start, row=c.row + roff, count=old.count + c.count)
            else:
                calls[c.key] = old._replace(count=old.count + c.count)
        for i in group.imports:
            imports.append(i._replace(start=i.start + boff, row=i.row + roff) if boff or roff else i)
    items.sort()
    imports.sort(key=lambda i: i.start)
    return _content(data, top_start, [item[-1] for item in items], tuple(calls.values()), imports)


def _compose_one(data: bytes, top_start: int, group: Group) -> TopContent:
    """:func:`compose_top` of a top-level unit that is one group (most are): its items are
    already in order and its calls already one per key."""
    return _content(data, top_start, group.defs, group.calls, group.imports)


def _content(data: bytes, top_start: int, items: Any, calls: tuple[CallItem, ...],
             imports: Any) -> TopContent:
    """The TopContent of a unit's definitions (sorted by position), calls (one per key) and
    imports (sorted by position)."""
    kept: dict[tuple[str, str], DefItem] = {}
    for d in items:
        k = (d.event, d.key)
        old_def = kept.get(k)
        if old_def is None or _wins(d.declaration, old_def.declaration):
            kept[k] = d
    ordered = list(kept.values())
    if len(ordered) != len(items):
        ordered.sort(key=lambda d: (d.start, d.neg_end, d.pattern))
    hashes = _container_hashes(data, top_start, ordered)
    defs = tuple((d.event, d.key, hashes.get(id(d), d.data) if hashes else d.data, position_key(d.event, d.key),
                  d.row, d.end_row, d.declaration) for d in ordered)
    merged: dict[str, ImportItem] = {}
    for i in imports:
        old_imp = merged.get(i.path)
        if old_imp is None:
            merged[i.path] = i
        elif not set(i.names) <= set(old_imp.names):
            merged[i.path] = old_imp._replace(names=tuple(sorted(set(old_imp.names) | set(i.names))))
    call_items = tuple((c.key, position_key("code.call", c.key), {"caller": c.caller, "callee": c.callee,
                                                                   "count": c.count}, c.row, c.count) for c in calls)
    import_items = tuple((i.path, position_key("code.import", i.path), {
        "import_path": i.path, "imported_names": list(i.names), "import_kind": i.kind}, i.row, i.names)
        for i in merged.values())
    return TopContent(defs, call_items, import_items)


def _container_hashes(data: bytes, top_start: int, kept: list[DefItem]) -> dict[int, dict[str, Any]]:
    """id(item) -> its payload with the body_hash, for the container definitions of one
    top-level unit (see :func:`compose_top`)."""
    containers = [d for d in kept if d.container]
    if not containers:
        return {}
    spans = sorted((d.hash_start, -d.hash_end) for d in kept)
    starts = [s for s, _ in spans]
    out: dict[int, dict[str, Any]] = {}
    for c in containers:
        pieces: list[bytes] = []
        at = c.hash_start
        i = bisect_left(starts, c.hash_start)
        while i < len(spans) and spans[i][0] < c.hash_end:
            s, e = spans[i][0], -spans[i][1]
            i += 1
            if e > c.hash_end or (s == c.hash_start and e == c.hash_end) or s < at:
                continue  # itself (one node, several names), or inside a span already cut
            pieces.append(data[top_start + at:top_start + s])
            at = e
        pieces.append(data[top_start + at:top_start + c.hash_end])
        text = b" ".join(b" ".join(pieces).split())
        out[id(c)] = {**c.data, "body_hash": body_hash(text)}
    return out


def merge_file(lang_name: str, error_nodes: int, tops: Iterable[tuple[int, TopContent]]) -> FileFacts:
    """The file's facts from its top-level units in order ((first row, content) each): the
    first fact of a key wins (a definition over a declaration); the calls of one (caller,
    callee) are counted over the file, their position is the first site's; the names of one
    import path are merged, its kind and position are the first statement's. (Run for every
    version: kept units' payloads are reused as they are when no other unit shares their key.)"""
    facts: dict[str, tuple[str, str, dict[str, Any], str, int, int, bool]] = {}  # pkey -> def item
    positions: dict[str, list[int]] = {}
    calls: dict[str, list[Any]] = {}  # key -> [data, count, line, pkey, units]
    imports: dict[str, list[Any]] = {}  # path -> [data, names, line, pkey, units]
    for row0, top in tops:
        base = row0 + 1
        for item in top.defs:
            pkey = item[3]
            have = facts.get(pkey)
            if have is not None and not (have[6] and not item[6]):
                continue  # the first wins, unless it is a declaration and this a definition
            facts[pkey] = item
            positions[pkey] = [base + item[4], base + item[5]]
        for key, pkey, data, row, count in top.calls:
            have_call = calls.get(key)
            if have_call is None:
                calls[key] = [data, count, base + row, pkey, 1]
            else:
                have_call[1] += count
                have_call[4] += 1
        for path, pkey, data, row, names in top.imports:
            have_imp = imports.get(path)
            if have_imp is None:
                imports[path] = [data, set(names), base + row, pkey, 1]
            else:
                have_imp[1].update(names)
                have_imp[4] += 1
    # "code.call" sorts before every other fact event: the calls first, then the rest.
    out: list[list[Any]] = []
    for key in sorted(calls):
        data, count, line, pkey, units = calls[key]
        out.append(["code.call", key, data if units == 1 else {**data, "count": count}])
        positions[pkey] = [line, line]
    rest = [(item[0], item[1], item[2]) for item in facts.values()]
    for path, (data, names, line, pkey, units) in imports.items():
        rest.append(("code.import", path, data if units == 1 else {**data, "imported_names": sorted(names)}))
        positions[pkey] = [line, line]
    rest.sort(key=_EVENT_KEY)
    out.extend([event, key, data] for event, key, data in rest)
    return FileFacts(language=lang_name, error_nodes=error_nodes, skipped=None, facts=out, positions=positions)


_EVENT_KEY = itemgetter(0, 1)


# -- the builder -----------------------------------------------------------------------------------

class _Builder:
    """Turns the query matches of one group into facts, for one version of a file.

    Hot paths (call sites are ~80% of all matches) read text by slicing the decoded source
    when it is ASCII (byte offsets = character offsets), instead of ``node.text`` (a memoryview
    and a bytes copy per node); results are identical to :func:`node_text`.
    """

    def __init__(self, loaded: Any, data: bytes) -> None:
        self.loaded = loaded
        self.function_locals = loaded.spec.function_locals
        self.separator = loaded.spec.separator
        self.query = loaded.query
        self.data = data
        self.src: str | None = data.decode("ascii") if data.isascii() else None
        self.hooks = loaded.hooks_by_name

    def _text(self, node: Any) -> str:
        """:func:`node_text`, faster when the source is at hand."""
        src = self.src
        if src is not None:
            return src[node.start_byte:node.end_byte]
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def _first_line(self, node: Any) -> str:
        """The first line of a node's text (a class's header), without copying its whole body."""
        src = self.src
        if src is not None:
            start, end = node.start_byte, node.end_byte
            cut = src.find("\n", start, end)
            return src[start:end if cut < 0 else cut]
        return self._text(node).split("\n", 1)[0]

    # -- collection ------------------------------------------------------------------------------
    def role(self, pattern: int, caps: dict[str, list[Any]]) -> tuple[str | None, dict[str, Any]]:
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

    def _collect(self, matches: list[tuple[int, dict[str, list[Any]]]]) -> tuple[
            list[Definition], list[tuple[int, int, str, int, Any]], list[tuple[Any, dict, dict]]]:
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
        separator = self.separator
        for pattern, caps in matches:
            cached = info.get(pattern)
            if cached is None or cached[0] not in caps:
                cached = self.role(pattern, caps)
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
                                                       node.start_byte, node.end_byte, separator=separator)
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
    def _nest(defs: list[Definition], context: list[Definition]) -> None:
        """Parent links and qualified names from byte-range containment (a stack, no
        recursion). ``context``: the definitions around the group (outermost first), as the
        stack stood when the group's unit began."""
        stack: list[Definition] = list(context)
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

    @staticmethod
    def context_for(context: list[Definition], defs: list[Definition], start: int, end: int) -> list[Definition]:
        """The nesting stack at a unit [start, end) inside a group whose definitions are
        ``defs`` (sorted) and whose own context is ``context``: what :meth:`_nest` would hold."""
        stack = list(context)
        for d in defs:
            if d.start <= start and end <= d.end and not (stack and stack[-1].node.id == d.node.id):
                stack.append(d)
        return stack

    # -- facts -----------------------------------------------------------------------------------
    def groups(self, matches: list[tuple[int, dict[str, list[Any]]]], context: list[Definition],
               units: list[tuple[int, int]]) -> tuple[list[Group], list[Definition]]:
        """The facts of the matches of sibling units that share a context, one Group per unit,
        relative to its (start byte, start row) in ``units`` (sorted); and the definitions
        (the context of what is nested in them). One pass for many units: the same facts as
        one pass per unit, since nothing here relates two definitions or sites of disjoint
        units."""
        n = len(units)
        if not matches:
            return [EMPTY_GROUP] * n, []
        starts = [b for b, _ in units]
        defs, calls, imports = self._collect(matches)
        self._nest(defs, context)
        hooks = self.hooks
        refine = hooks.get("refine")
        data_bytes = self.data
        items: list[list[DefItem]] = [[] for _ in range(n)]
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
            if data is None:
                continue
            node = d.node
            if d.settings.get("header") == "parent" and node.parent is not None:
                node = node.parent  # e.g. a C typedef captured on its declarator: the typedef's span
            hs, he = node.start_byte, node.end_byte
            container = d.kind in CONTAINER_KINDS
            if not container:
                data["body_hash"] = body_hash(data_bytes[hs:he])
            k = bisect_right(starts, d.start) - 1 if n > 1 else 0
            base_byte, base_row = units[k]
            items[k].append(DefItem(d.start - base_byte, base_byte - d.end, d.pattern, event, d.qualified_name, data,
                                    hs - base_byte, he - base_byte, node.start_point[0] - base_row,
                                    node.end_point[0] - base_row, container, bool(d.settings.get("declaration"))))
        call_items = self._calls(context + defs, calls, units, starts)
        import_items = self._imports(imports, hooks.get("imports"), units, starts)
        return [Group(tuple(items[k]), call_items[k], import_items[k]) for k in range(n)], defs

    def _definition(self, d: Definition, event: str, hooks: dict[str, Any]) -> dict[str, Any] | None:
        kind = str(d.settings.get("kind") or d.kind)
        visibility = self._visibility(d, hooks.get("visibility"))
        if event == "code.function":
            return self._function(d, kind, visibility, hooks)
        if event == "code.member":
            type_node = d.capture("type")
            return {"parent": d.parent.qualified_name if d.parent else "", "name": d.name,
                    "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                    "type": self._type_text(type_node)}
        if event == "code.constant":
            type_node = d.capture("type")
            return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind,
                    "type": self._type_text(type_node)}
        node = d.node
        if d.settings.get("header") == "parent" and node.parent is not None:
            node = node.parent  # e.g. a C typedef captured on its declarator: the typedef's header
        return {"name": d.name, "qualified_name": d.qualified_name, "kind": kind, "visibility": visibility,
                "definition": collapse(self._first_line(node))[:HEADER_MAX]}

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

    def _function(self, d: Definition, kind: str, visibility: str, hooks: dict[str, Any]) -> dict[str, Any]:
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
            "parameters": params, "return_type": return_type, "visibility": visibility,
            "is_public": visibility == "public", "is_async": "async" in mods, "is_unsafe": "unsafe" in mods,
            "takes_mut_self": False, "returns_result": returns_result, "signature_hash": sig_hash,
        }

    @staticmethod
    def _calls(defs: list[Definition], calls: list[tuple[int, int, str, int, Any]], units: list[tuple[int, int]],
               starts: list[int]) -> list[tuple[CallItem, ...]]:
        """One item per (caller, callee), by key ``caller->callee``: the caller is the innermost
        enclosing function-like definition (else the innermost definition, else ``<module>``);
        the first site and the count of sites. A sweep over byte ranges with a stack of open
        definitions (no parent walks); qualified names are joined once per definition."""
        out: dict[tuple[int, str], list[Any]] = {}  # (unit, key) -> [caller, callee, start, row, count]
        many = len(units) > 1
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
            k = bisect_right(starts, start) - 1 if many else 0
            key = (k, f"{caller}->{callee}")
            existing = out.get(key)
            if existing is None:
                base_byte, base_row = units[k]
                out[key] = [caller, callee, start - base_byte, node.start_point[0] - base_row, 1]
            else:
                existing[4] += 1
        per_unit: list[list[CallItem]] = [[] for _ in units]
        for (k, key), v in out.items():
            per_unit[k].append(CallItem(key, *v))
        return [tuple(c) for c in per_unit]

    def _imports(self, imports: list[tuple[Any, dict, dict]], hook: Any, units: list[tuple[int, int]],
                 starts: list[int]) -> list[tuple[ImportItem, ...]]:
        """One item per (statement, import path), by unit."""
        per_unit: list[list[ImportItem]] = [[] for _ in units]
        many = len(units) > 1
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
            k = bisect_right(starts, node.start_byte) - 1 if many else 0
            base_byte, base_row = units[k]
            for path, names in pairs:
                path = collapse(path).strip("\"'`")
                if not path:
                    continue
                clean = tuple(sorted({collapse(n) for n in names if collapse(n)}))
                per_unit[k].append(ImportItem(node.start_byte - base_byte, path, clean, kind,
                                              node.start_point[0] - base_row))
        return [tuple(i) for i in per_unit]


assert FUNCTION_KINDS <= CALLER_KINDS
