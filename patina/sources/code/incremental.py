"""Extract a file along its history: each version reuses what the previous one already built.

:func:`extract_next` gives the facts of a new version of a file given the :class:`State` of
the previous version (or None). It finds the edit from the two byte strings (common prefix and
suffix), applies it to a copy of the previous tree (one ``Tree.edit``), reparses incrementally,
and re-extracts only the *units* (CONTRACT.md section 6) that the edit or tree-sitter's changed
ranges touch; the facts of the other units are kept, shifted. The facts of a version never
depend on the route: they equal :func:`.extract.extract` of its bytes (which is this function
without a previous version), because a unit's facts depend on the unit alone:

- a *unit* is a named child of the root, or of a *container* (a class body, a C ``#ifdef``
  block: ``LanguageSpec.containers``/``wrappers``); a container's own matches (the class
  itself, its header) form its *own group*; a match belongs to the innermost unit holding its
  role node (or, in a container's header or trailer, to the container's own group), else it
  is dropped (a role on the root, or on a token between units);
- a unit's facts depend on its own subtree, on the definitions of the containers around it
  (the nesting stack) and on its ancestors' node types: a unit is kept when its bytes lie
  outside the edit, it overlaps no changed range, its type and size are the same, and no
  container around it had its header touched (that rebuilds the container's units);
- what depends on several units is done when they are joined (:func:`.extract.compose_top`:
  duplicates, container hashes; :func:`.extract.merge_file`: counts, import names, the
  first position), every time, from the kept and the new units alike;
- a language whose hooks read elsewhere in the file (``whole_file``: C++, Ruby) is one unit:
  only its parse tree is reused.

Nothing here recurses over the tree: the unit tree is walked with explicit stacks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from typing import Any, NamedTuple

from patina.sources.code.extract import (
    EMPTY_GROUP,
    Definition,
    Group,
    TopContent,
    _Builder,
    compose_top,
    count_errors,
    is_binary,
    merge_file,
    skipped_facts,
)
from patina.sources.code.facts import FileFacts
from patina.sources.code.languages import LanguageUnavailable, load

# Re-extract the whole file when the edit covers more than this share of it: the bookkeeping
# of units would cost more than it saves.
FULL_SHARE = 0.5
# ... or when tree-sitter reports more changed ranges than this (a restructured file).
MAX_RANGES = 64
# Target ranges closer than this are queried as one range (a query has a fixed cost).
QUERY_GAP = 2048
# A changed middle (after the common prefix and suffix) at least this large is diffed by lines.
LINE_DIFF_MIN = 2048


class Unit:
    """One unit of one version of a file. ``start``/``end``/``row`` are relative to the parent
    unit (absolute for a top-level unit), the group's coordinates to the unit itself: a kept
    unit's record moves with its parent unchanged.

    Facts are joined (duplicates, container hashes: :func:`.extract.compose_top`) per
    *composition root*: a leaf, or a container whose own group holds a container definition (a
    class: it is hashed without the facts of its units, so they must be joined with it). Any
    other container (a C ``#ifdef`` block, ``export``, a decorator list) is transparent: its
    own group and its units are roots of their own, listed in ``roots``."""

    __slots__ = ("start", "end", "row", "type", "size", "group", "subs", "content", "roots")

    def __init__(self, start: int, end: int, row: int, type_: str, size: int, group: Group = EMPTY_GROUP,
                 subs: "list[Unit] | None" = None, content: TopContent | None = None,
                 roots: list[tuple[int, TopContent]] | None = None) -> None:
        self.start = start
        self.end = end
        self.row = row
        self.type = type_
        self.size = size  # the node's descendant count: a cheap check that the subtree is the same
        self.group = group  # a leaf's facts, or a container's own group
        self.subs = subs  # None for a leaf
        self.content = content  # a composition root's facts, ready to merge
        self.roots = roots  # a transparent container's roots: (row relative to it, content)

    def moved(self, start: int, end: int, row: int) -> "Unit":
        """The same unit (kept) at another place (itself if the place is the same)."""
        if start == self.start and row == self.row:
            return self
        return Unit(start, end, row, self.type, self.size, self.group, self.subs, self.content, self.roots)

    def contents(self, row: int) -> list[tuple[int, TopContent]]:
        """(absolute first row, content) of the composition roots in this unit, in order
        (``row``: this unit's absolute first row)."""
        if self.content is not None:
            return [(row, self.content)]
        return [(row + r, c) for r, c in self.roots or ()]


class State:
    """What the next version of the same path needs: the language, the bytes, the parse tree,
    the units with their facts, and the facts of the file (returned as they are when the next
    version has the same bytes). Opaque to callers; never changed once returned (a State may
    be used as the previous version of several versions)."""

    __slots__ = ("lang", "data", "tree", "tops", "facts")

    def __init__(self, lang: str, data: bytes, tree: Any, tops: list[Unit], facts: FileFacts) -> None:
        self.lang = lang
        self.data = data
        self.tree = tree
        self.tops = tops
        self.facts = facts


class Edit(NamedTuple):
    """One hunk: the old bytes [start, old_end) became the new bytes [new_start, new_end)."""

    start: int  # in the old bytes
    old_end: int
    new_start: int  # in the new bytes
    new_end: int


class Edits:
    """The hunks that turn the old bytes into the new (sorted, disjoint; the bytes between
    them are equal), and the mapping of new positions to old ones."""

    __slots__ = ("hunks", "_new_starts")

    def __init__(self, hunks: list[Edit]) -> None:
        self.hunks = hunks
        self._new_starts = [h.new_start for h in hunks]

    def old_pos(self, pos: int) -> int | None:
        """A new-version position in the old version (None strictly inside an edited span)."""
        i = bisect_right(self._new_starts, pos) - 1
        if i < 0:
            return pos
        h = self.hunks[i]
        if pos == h.new_start:
            return h.start
        if pos >= h.new_end:
            return pos - h.new_end + h.old_end
        return None

    def spans(self) -> list[tuple[int, int]]:
        """The edited spans in the new bytes (empty for a deletion)."""
        return [(h.new_start, h.new_end) for h in self.hunks]

    def size(self) -> int:
        return sum(h.new_end - h.new_start for h in self.hunks)

    def apply(self, tree: Any, old: bytes, new: bytes) -> None:
        """``tree.edit`` for each hunk, last first (so each hunk's positions are still the
        old ones; its new end point is counted from its start over the new text)."""
        for h in reversed(self.hunks):
            start_point = point_at(old, h.start)
            tree.edit(h.start, h.old_end, h.start + (h.new_end - h.new_start), start_point,
                      point_at(old, h.old_end), _advance(start_point, new, h.new_start, h.new_end))


def extract_next(lang: str, data: bytes, previous: State | None) -> tuple[FileFacts, State]:
    """The facts of ``data`` as ``lang`` and the state for the next version of the same path.
    ``previous``: the state of the previous version of the path (any version gives the same
    facts: it only saves work), or None. Raises LanguageUnavailable like :func:`.extract.extract`."""
    if is_binary(data):
        facts = skipped_facts(lang, "binary")
        return facts, State(lang, data, None, [], facts)
    loaded = load(lang)
    if previous is not None and previous.lang == lang and previous.tree is not None:
        if previous.data == data:
            return previous.facts, previous
        edits = find_edits(previous.data, data)
        old_tree = previous.tree.copy()
        edits.apply(old_tree, previous.data, data)
        tree = _reparse(loaded.parser, data, old_tree, previous.tree.root_node.has_error)
        if loaded.spec.whole_file or edits.size() > FULL_SHARE * len(data):
            return _Build(loaded, data, tree).run(lang)
        ranges = old_tree.changed_ranges(tree)
        if len(ranges) > MAX_RANGES:
            return _Build(loaded, data, tree).run(lang)
        changed = sorted([(r.start_byte, r.end_byte) for r in ranges] + edits.spans())
        return _Build(loaded, data, tree, previous, edits, changed).run(lang)
    return _Build(loaded, data, loaded.parser.parse(data)).run(lang)


def _reparse(parser: Any, data: bytes, edited: Any, old_had_error: bool) -> Any:
    """The new tree: parsed incrementally from the edited old tree, unless either tree has a
    syntax error. tree-sitter's error recovery depends on what it reuses, so an incremental
    parse of a broken file may differ from a fresh one (other ERROR nodes, other facts): the
    facts would depend on the route. Broken versions are parsed from scratch (the units are
    still compared with the old tree and reused where nothing changed)."""
    if not old_had_error:
        tree = parser.parse(data, edited)
        if not tree.root_node.has_error:
            return tree
    return parser.parse(data)


def safe_extract_next(lang: str, data: bytes, previous: State | None) -> tuple[FileFacts | str, State | None]:
    """:func:`extract_next`, or (the one-line reason it could not run, None)."""
    try:
        return extract_next(lang, data, previous)
    except LanguageUnavailable as exc:
        return str(exc), None
    except Exception as exc:  # noqa: BLE001 - law 4: the caller warns and keeps the file
        return f"code: extraction failed for a {lang} file: {exc.__class__.__name__}: {exc}", None


def find_edits(old: bytes, new: bytes) -> Edits:
    """The hunks between two versions: the common prefix and suffix (binary searches over
    slice comparisons: C speed), then, when what is left is large, a line diff of it
    (:func:`_line_hunks`), so that a commit touching the imports and the last function does
    not mark everything between them as edited."""
    prefix, suffix = _common_ends(old, new)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    if min(old_end, new_end) - prefix < LINE_DIFF_MIN:
        return Edits([Edit(prefix, old_end, prefix, new_end)])
    return Edits(_line_hunks(old, new, prefix, old_end, new_end))


def find_edit(old: bytes, new: bytes) -> Edit:
    """The common prefix and suffix of two versions as one hunk."""
    prefix, suffix = _common_ends(old, new)
    return Edit(prefix, len(old) - suffix, prefix, len(new) - suffix)


def _common_ends(old: bytes, new: bytes) -> tuple[int, int]:
    """(common prefix length, common suffix length not overlapping the prefix)."""
    lo, hi = 0, min(len(old), len(new))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, min(len(old), len(new)) - prefix
    lo_old, lo_new = len(old), len(new)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo_old - mid:lo_old - lo] == new[lo_new - mid:lo_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def _line_hunks(old: bytes, new: bytes, prefix: int, old_end: int, new_end: int) -> list[Edit]:
    """Hunks of old[prefix:old_end] -> new[prefix:new_end] by lines: the lines found once on
    each side are anchors; the longest run of them in the same order on both sides (patience
    diff) splits the change, and each stretch between two anchors is trimmed to what differs
    (:func:`_common_ends`, C speed); what is left of it is a hunk. Any split is a correct
    edit (the bytes between hunks are equal); a good one only saves work."""
    a = old[prefix:old_end].splitlines(keepends=True)
    b = new[prefix:new_end].splitlines(keepends=True)
    count_a, count_b = Counter(a), Counter(b)
    where_a = {line: i for i, line in enumerate(a) if count_a[line] == 1 and count_b.get(line) == 1}
    pairs = sorted((i, j) for j, line in enumerate(b) if (i := where_a.get(line)) is not None)
    chain = pairs if all(x[1] < y[1] for x, y in zip(pairs, pairs[1:])) else _increasing(pairs)
    a_off = list(accumulate(map(len, a), initial=prefix))
    b_off = list(accumulate(map(len, b), initial=prefix))
    hunks: list[Edit] = []
    i = j = 0  # the lines after the previous anchor
    for next_i, next_j in chain + [(len(a), len(b))]:
        o0, o1, n0, n1 = a_off[i], a_off[next_i], b_off[j], b_off[next_j]
        if o1 - o0 != n1 - n0 or old[o0:o1] != new[n0:n1]:
            head, tail = _common_ends(old[o0:o1], new[n0:n1])
            hunks.append(Edit(o0 + head, o1 - tail, n0 + head, n1 - tail))
        i, j = next_i + 1, next_j + 1
    return hunks or [Edit(prefix, old_end, prefix, new_end)]


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by the first item) increasing in the second too
    (patience sorting with back links)."""
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_right(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back[k] = tail_at[pos - 1] if pos else -1
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    chain.reverse()
    return chain


def _advance(point: tuple[int, int], data: bytes, start: int, end: int) -> tuple[int, int]:
    """The point reached from ``point`` over data[start:end]."""
    newlines = data.count(b"\n", start, end)
    if not newlines:
        return point[0], point[1] + (end - start)
    return point[0] + newlines, end - (data.rfind(b"\n", start, end) + 1)


def point_at(data: bytes, offset: int) -> tuple[int, int]:
    """The (row, column) tree-sitter uses for a byte offset (column in bytes)."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


def _touches(changed: list[tuple[int, int]], start: int, end: int) -> bool:
    """A changed range overlaps [start, end); an empty one (a deletion) at either end counts."""
    for s, e in changed:
        if s == e:
            if start <= s <= end:
                return True
        elif s < end and e > start:
            return True
    return False


def _touches_inside(changed: list[tuple[int, int]], start: int, end: int) -> bool:
    """A changed range overlaps the bytes [start, end); an empty one counts strictly inside
    (a deletion at either end left those bytes as they were)."""
    if start >= end:
        return False
    for s, e in changed:
        if s == e:
            if start < s < end:
                return True
        elif s < end and e > start:
            return True
    return False


class _Target:
    """A group to extract in this version: a leaf unit, or a container's own group."""

    __slots__ = ("unit", "node", "start", "row", "parent", "container", "matches", "defs", "context",
                 "header", "trailer", "sub_starts", "sub_entries")

    def __init__(self, unit: Unit, node: Any, start: int, row: int, parent: "_Target | None",
                 container: bool) -> None:
        self.unit = unit
        self.node = node
        self.start = start  # absolute
        self.row = row  # absolute
        self.parent = parent  # the own group of the container around it
        self.container = container
        self.matches: list[tuple[int, dict[str, list[Any]]]] = []
        self.defs: list[Definition] = []
        self.context: list[Definition] = []
        # containers: the header and trailer (absolute byte ranges) and the sub-units as
        # (absolute start, absolute end, the sub's target or None when kept), sorted
        self.header = (0, 0)
        self.trailer = (0, 0)
        self.sub_starts: list[int] = []
        self.sub_entries: list[tuple[int, int, _Target | None]] = []


class _Build:
    """One version's extraction: which units to extract, their matches, their facts."""

    def __init__(self, loaded: Any, data: bytes, tree: Any, previous: State | None = None,
                 edit: Edits | None = None, changed: list[tuple[int, int]] | None = None) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self.data = data
        self.tree = tree
        self.previous = previous
        self.edit = edit
        self.changed = changed or []
        self.containers = dict(self.spec.containers)
        self.wrappers = dict(self.spec.wrappers)
        self.targets: list[_Target] = []
        self.top_starts: list[int] = []
        self.top_entries: list[tuple[int, int, _Target | None]] = []
        self._builder = _Builder(loaded, data)

    # -- the unit tree ---------------------------------------------------------------------------
    def sub_units(self, node: Any) -> tuple[list[Any], Any] | None:
        """(sub-unit nodes, the node holding them) of a container, None for a leaf."""
        field = self.containers.get(node.type)
        if field is not None:
            body = node if field == "" else node.child_by_field_name(field)
            if body is None:
                return None
            subs = body.named_children
            return (subs, body) if subs else None
        if node.type not in self.wrappers:
            return None
        inner = node
        while inner is not None and inner.type in self.wrappers:
            field = self.wrappers[inner.type]
            if field:
                inner = inner.child_by_field_name(field)
            else:
                inner = inner.named_children[0] if inner.named_child_count else None
        if inner is None or inner.type not in self.containers or self.sub_units(inner) is None:
            return None
        return node.named_children, node

    def run(self, lang: str) -> tuple[FileFacts, State]:
        root = self.tree.root_node
        old_tops: dict[tuple[int, int, str], Unit] = {}
        if self.previous is not None:
            old_tops = {(u.start, u.end, u.type): u for u in self.previous.tops}
        top_nodes = [root] if self.spec.whole_file else root.named_children
        tops: list[Unit] = []
        for node in top_nodes:
            start, end = node.start_byte, node.end_byte
            row = node.start_point[0]
            old = self._old_unit(old_tops, start, end, node.type, 0)
            if old is not None and not _touches(self.changed, start, end) and old.size == node.descendant_count:
                tops.append(old.moved(start, end, row))
                self.top_starts.append(start)
                self.top_entries.append((start, end, None))
                continue
            unit = Unit(start, end, row, node.type, node.descendant_count)
            tops.append(unit)
            target = self._plan(unit, node, start, row, None,
                                self._old_container(self.previous.tops if self.previous else None, node, 0))
            self.top_starts.append(start)
            self.top_entries.append((start, end, target))
        self._match()
        self._extract()
        self._compose()
        facts = merge_file(lang, count_errors(root), (item for u in tops for item in u.contents(u.row)))
        return facts, State(lang, self.data, self.tree, tops, facts)

    def _compose(self) -> None:
        """Contents of the units built in this version, each after its units (the targets'
        reverse order): a leaf's own; a container's, whole (a root) or as the list of its
        roots (transparent: see :class:`Unit`)."""
        data = self.data
        for t in reversed(self.targets):
            unit = t.unit
            group = unit.group
            if unit.subs is None:
                unit.content = compose_top(data, t.start, [(0, 0, group)] if group != EMPTY_GROUP else [])
            elif any(d.container for d in group.defs):
                unit.content = compose_top(data, t.start, self._parts(unit))
            else:
                roots = [(0, compose_top(data, t.start, [(0, 0, group)]))] if group != EMPTY_GROUP else []
                for sub in unit.subs:
                    roots.extend(sub.contents(sub.row))
                unit.roots = roots

    def _old_unit(self, index: dict[tuple[int, int, str], Unit], start: int, end: int, type_: str,
                  base: int) -> Unit | None:
        """The previous version's unit with this unit's bytes (absolute new positions; ``base``:
        the absolute old start of the units of ``index``), if any."""
        if self.edit is None:
            return None
        old_start, old_end = self.edit.old_pos(start), self.edit.old_pos(end)
        if old_start is None or old_end is None or old_end - old_start != end - start:
            return None
        return index.get((old_start - base, old_end - base, type_))

    def _old_container(self, units: "list[Unit] | None", node: Any, base: int) -> tuple[Unit, int] | None:
        """The previous version's record of a container that starts at the same old position
        with the same type (``units``: the old siblings, positioned relative to ``base``),
        with its absolute old start. Its end may differ: the edit is usually inside it (a
        method appended at the end of a class moves the class's end into the edited span).
        Its units are then kept one by one, each only if untouched (see _plan)."""
        if self.edit is None or not units:
            return None
        old_start = self.edit.old_pos(node.start_byte)
        if old_start is None:
            return None
        rel = old_start - base
        lo, hi = 0, len(units)
        while lo < hi:  # (units are sorted by start)
            mid = (lo + hi) // 2
            if units[mid].start < rel:
                lo = mid + 1
            else:
                hi = mid
        while lo < len(units) and units[lo].start == rel:
            old = units[lo]
            if old.type == node.type and old.subs is not None:
                return old, old_start
            lo += 1
        return None

    def _plan(self, unit: Unit, node: Any, start: int, row: int, parent: _Target | None,
              old: tuple[Unit, int] | None) -> _Target:
        """Targets for a unit to extract, and its sub-units recursively (a stack, no
        recursion): a container's own group always, its sub-units unless kept."""
        if node.type not in self.containers and node.type not in self.wrappers:  # a leaf: most units
            target = _Target(unit, node, start, row, parent, False)
            self.targets.append(target)
            return target
        first = None
        stack: list[tuple[Unit, Any, int, int, _Target | None, tuple[Unit, int] | None, int]] = [
            (unit, node, start, row, parent, old, -1)]
        while stack:
            unit, node, start, row, parent, old, slot = stack.pop()
            found = self.sub_units(node)
            target = _Target(unit, node, start, row, parent, found is not None)
            self.targets.append(target)
            if parent is not None:
                s, e, _ = parent.sub_entries[slot]
                parent.sub_entries[slot] = (s, e, target)
            first = first or target
            if found is None:
                continue
            subs, holder = found
            unit.subs = []
            if holder is node:
                target.header = (start, subs[0].start_byte)
                target.trailer = (subs[-1].end_byte, node.end_byte)
            else:
                target.header = (start, holder.start_byte)
                target.trailer = (holder.end_byte, node.end_byte)
            if old is not None and (_touches_inside(self.changed, *target.header)
                                    or _touches_inside(self.changed, *target.trailer)):
                old = None  # the container's definitions may differ: rebuild its units
            index: dict[tuple[int, int, str], Unit] = {}
            old_base = 0
            if old is not None:
                old_base = old[1]
                index = {(u.start, u.end, u.type): u for u in old[0].subs or ()}
            for sub in subs:
                s, e = sub.start_byte, sub.end_byte
                srow = sub.start_point[0]
                kept = self._old_unit(index, s, e, sub.type, old_base) if old is not None else None
                if kept is not None and not _touches(self.changed, s, e) and kept.size == sub.descendant_count:
                    unit.subs.append(kept.moved(s - start, e - start, srow - row))
                    target.sub_entries.append((s, e, None))
                    continue
                child = Unit(s - start, e - start, srow - row, sub.type, sub.descendant_count)
                unit.subs.append(child)
                inner_old = self._old_container(old[0].subs, sub, old_base) if old is not None else None
                stack.append((child, sub, s, srow, target, inner_old, len(target.sub_entries)))
                target.sub_entries.append((s, e, None))  # its target is set when it is popped
            target.sub_starts = [s for s, _, _ in target.sub_entries]
        return first  # type: ignore[return-value]

    # -- matches ---------------------------------------------------------------------------------
    def _match(self) -> None:
        """Query the targets (the whole file at once, or the targets' ranges) and give each
        match to its group."""
        if not self.targets:
            return
        root = self.tree.root_node
        if self.previous is None:
            matches = self.loaded.cursor.matches(root)
        else:
            cursor = self.loaded.range_cursor
            if cursor is None:
                from tree_sitter import QueryCursor

                cursor = self.loaded.range_cursor = QueryCursor(self.loaded.query)
            matches = []
            for a, b in self._ranges():
                cursor.set_byte_range(a, b)
                matches.extend(cursor.matches(root))
        role = _Builder.role
        builder = self._builder
        info = self.loaded.pattern_info
        top_starts, top_entries, owner = self.top_starts, self.top_entries, self._owner
        for match in matches:
            pattern, caps = match
            cached = info.get(pattern)
            if cached is None or cached[0] not in caps:
                cached = role(builder, pattern, caps)
            name = cached[0]
            if name is None:
                continue
            node = caps[name][0]
            start, end = node.start_byte, node.end_byte
            # (the common case inline: a role node inside a top-level leaf; else _owner)
            i = bisect_right(top_starts, start) - 1
            if i >= 0:
                _, top_end, target = top_entries[i]
                if end <= top_end and target is not None and not target.container:
                    target.matches.append(match)
                    continue
            target = owner(start, end)
            if target is not None:
                # (two ranges may both return a match that spans them, e.g. a pattern rooted at
                # the root: a repeated match adds nothing to the facts, see _Builder._collect)
                target.matches.append(match)

    def _ranges(self) -> list[tuple[int, int]]:
        """Byte ranges to query: each target leaf, each target container's header (plus one
        byte, so that a pattern requiring the body still sees it) and trailer; merged when
        close."""
        spans: list[tuple[int, int]] = []
        for t in self.targets:
            if t.container:
                spans.append((t.header[0], min(t.header[1] + 1, t.trailer[1])))
                if t.trailer[0] < t.trailer[1]:
                    spans.append(t.trailer)
            else:
                spans.append((t.start, t.start + (t.unit.end - t.unit.start)))
        spans.sort()
        out: list[list[int]] = []
        for a, b in spans:
            if out and a <= out[-1][1] + QUERY_GAP:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def _owner(self, start: int, end: int) -> _Target | None:
        """The target a role node [start, end) belongs to: the innermost unit holding it (a
        leaf; or a container, when the node is the container or lies in its header or
        trailer); None when that unit is kept or when no unit holds it."""
        found = _find(self.top_starts, self.top_entries, start, end)
        while found is not None:
            target = found[2]
            if target is None:
                return None  # a kept unit
            if not target.container:
                return target
            inner = _find(target.sub_starts, target.sub_entries, start, end)
            if inner is not None:
                found = inner
                continue
            h0, h1 = target.header
            t0, t1 = target.trailer
            unit_end = target.start + (target.unit.end - target.unit.start)
            if (start == target.start and end == unit_end) or (h0 <= start and end <= h1) or (
                    t0 <= start and end <= t1):
                return target
            return None
        return None

    # -- facts -----------------------------------------------------------------------------------
    def _extract(self) -> None:
        """Build each target's group, containers before what they contain (their definitions
        are the context of their units); sibling leaves with one context in one pass."""
        builder = self._builder
        batch: list[_Target] = []
        batch_key: tuple[int, ...] = ()
        for t in self.targets:
            parent = t.parent
            if parent is not None:
                t.context = builder.context_for(parent.context, parent.defs, t.start,
                                                t.start + (t.unit.end - t.unit.start))
            if t.container:
                self._build([t])
                continue
            key = (id(parent), *map(id, t.context))
            if batch and key != batch_key:
                self._build(batch)
                batch = []
            batch.append(t)
            batch_key = key
        if batch:
            self._build(batch)

    def _build(self, batch: list[_Target]) -> None:
        """The groups of targets that share a parent and a context."""
        batch.sort(key=lambda t: t.start)
        matches = [m for t in batch for m in t.matches]
        groups, defs = self._builder.groups(matches, batch[0].context, [(t.start, t.row) for t in batch])
        for t, group in zip(batch, groups):
            t.unit.group = group
            t.defs = defs if t.container else []
            t.matches = []

    def _parts(self, top: Unit) -> list[tuple[int, int, Group]]:
        """(byte offset, row offset, group) of every group of a top-level unit, relative to it."""
        parts: list[tuple[int, int, Group]] = []
        stack: list[tuple[Unit, int, int]] = [(top, 0, 0)]
        while stack:
            unit, boff, roff = stack.pop()
            if unit.group.defs or unit.group.calls or unit.group.imports:
                parts.append((boff, roff, unit.group))
            for sub in unit.subs or ():
                stack.append((sub, boff + sub.start, roff + sub.row))
        return parts


def _find(starts: list[int], entries: list[tuple[int, int, _Target | None]], start: int,
          end: int) -> tuple[int, int, _Target | None] | None:
    """The entry (sorted, disjoint but for empty nodes) that holds [start, end), if any."""
    i = bisect_right(starts, start) - 1
    while i >= 0:
        s, e, _ = entries[i]
        if end <= e:
            return entries[i]
        if s < start:
            return None
        i -= 1  # an empty node (a MISSING token) at the same start: look one further back
    return None
