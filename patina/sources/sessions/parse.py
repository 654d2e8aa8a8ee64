"""One session file's text -> a :class:`SessionDoc` (plain data), through mistune's AST.

The document structure comes from the Markdown AST (headings, paragraphs, lists), never
from line regexes; small regexes only read *inside* one node (a heading's ``HH:MM - title
[branch@sha]``, a header line's value). Which headings and labels mean what is data, in
:mod:`.rules`. Nothing here raises for bad input: problems become ``SessionDoc.problems``.

mistune is imported here, at module import: this module is only loaded from
``SessionSource.events``, never on the path that merely routes a commit.
"""

from __future__ import annotations

import re
from typing import Any

import mistune

from patina.sources.sessions import rules
from patina.sources.sessions.model import Entry, Goal, Item, SessionDoc

_MARKDOWN = mistune.create_markdown(renderer=None, plugins=["table"])
_STRIP = " \r\n\t\f"  # what mistune strips before inline parsing (not other Unicode spaces)

# ``### 18:00 - Title [branch@6494322f]``, ``### ~10:00 - Title``, ``### [01:25:09] Title``.
_ENTRY_RX = re.compile(
    r"^\[?~?(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\]?\s*(?:[-–—:|]\s*)?(?P<title>.*?)\s*$", re.S)
_COMMIT_RX = re.compile(r"\s*\[(?P<branch>[^\]\s@]+)@(?P<sha>[0-9a-fA-F]{4,40})\]\s*$")
_CHECKBOX_RX = re.compile(r"^\[(?P<mark>[ xX✓✔-])\]\s*")
_H1_PREFIX_RX = re.compile(r"^session\s*:\s*", re.I)
_FM_LINE_RX = re.compile(r"^(?P<indent>[ ]*)(?P<key>[A-Za-z0-9_.-]+)\s*:\s*(?P<value>.*?)\s*$")

MAX_DEPTH = 40  # nested lists deeper than this are cut (defence against pathological input)


# --- inline text ---------------------------------------------------------------------------


def inline_text(nodes: list[dict[str, Any]] | None) -> str:
    """Inline nodes as readable text: emphasis dropped, code kept in backticks, links as their text."""
    parts: list[str] = []
    for node in nodes or ():
        kind = node.get("type")
        if kind == "text":
            parts.append(node.get("raw", ""))
        elif kind == "codespan":
            parts.append(f"`{node.get('raw', '')}`")
        elif kind in ("softbreak", "linebreak"):
            parts.append("\n")
        elif kind == "inline_html":
            parts.append(node.get("raw", ""))
        elif node.get("children") is not None:
            parts.append(inline_text(node["children"]))
        elif "raw" in node:
            parts.append(str(node["raw"]))
    return "".join(parts)


def clean(text: str) -> str:
    """Trim each line and drop empty ones (content keys must not depend on stray spaces)."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _split_lines(children: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    lines: list[list[dict[str, Any]]] = [[]]
    for node in children:
        if node.get("type") in ("softbreak", "linebreak"):
            lines.append([])
        else:
            lines[-1].append(node)
    return [line for line in lines if line]


def leading_label(children: list[dict[str, Any]]) -> tuple[str, str] | None:
    """``**Label:** rest`` or ``**Label**: rest`` -> (label, rest); None when it does not start so.

    A paragraph that is one strong node and nothing else is a label with an empty rest.
    """
    if not children or children[0].get("type") != "strong":
        return None
    label = clean(inline_text(children[0].get("children")))
    rest = inline_text(children[1:])
    if not rest.strip():
        return label.rstrip(":").strip(), ""
    if label.endswith(":"):
        return label.rstrip(":").strip(), clean(rest)
    if rest.lstrip(" \t").startswith(":"):
        return label, clean(rest.lstrip(" \t")[1:])
    return None


# --- front matter ----------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, str], str, bool]:
    """(fields, body, had_front_matter). A small YAML subset (``key: value``, nested maps as
    ``parent.key``) is enough for the metadata session tools write; anything else is ignored."""
    if not text.startswith("---"):
        return {}, text, False
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text, False
    end = None
    for i in range(1, min(len(lines), 500)):
        if lines[i].rstrip() in ("---", "..."):
            end = i
            break
    if end is None:
        return {}, text, False
    fields: dict[str, str] = {}
    parents: list[tuple[int, str]] = []
    for line in lines[1:end]:
        m = _FM_LINE_RX.match(line.rstrip("\r"))
        if not m:
            continue
        indent, key, value = len(m["indent"]), m["key"], m["value"]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        path = ".".join([p for _, p in parents] + [key])
        if value == "" or value in ("|", ">"):
            parents.append((indent, key))
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        fields[path.lower()] = value
    return fields, "\n".join(lines[end + 1:]), True


# --- the document walk -----------------------------------------------------------------------


class _Inline:
    """Inline parsing on demand: the block pass leaves a node's raw ``text``; only the nodes the
    walk reads are inline-parsed (transcripts and skipped sections never are). Same result as
    mistune's own render pass (``Markdown._iter_render``), which parses every node."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env

    def __call__(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        children = node.get("children")
        if children is None and "text" in node:
            children = node["children"] = _MARKDOWN.inline(node.pop("text").strip(_STRIP), self.env)
        return children or []


def _list_items(node: dict[str, Any], inline: _Inline, depth: int = 0) -> list[tuple[str, str | None]]:
    """A list's items as (content, detail): the item's own text, and its nested lists' items
    flattened one per line, indented two spaces per nesting level."""
    out: list[tuple[str, str | None]] = []
    for item in node.get("children") or ():
        if item.get("type") != "list_item":
            continue
        texts: list[str] = []
        detail: list[str] = []
        for child in item.get("children") or ():
            kind = child.get("type")
            if kind in ("block_text", "paragraph"):
                texts.append(clean(inline_text(inline(child))))
            elif kind == "list" and depth < MAX_DEPTH:
                detail.extend(_detail_lines(child, inline, 0, depth + 1))
        content = "\n".join(t for t in texts if t)
        out.append((content, "\n".join(detail) if detail else None))
    return out


def _detail_lines(node: dict[str, Any], inline: _Inline, level: int, depth: int) -> list[str]:
    lines: list[str] = []
    for content, detail in _list_items(node, inline, depth):
        if content:
            lines.append("  " * level + content.replace("\n", " "))
        if detail:
            lines.extend("  " * (level + 1) + line for line in detail.split("\n"))
    return lines


def parse_entry_heading(text: str) -> tuple[str, int | None, str | None, str | None]:
    """``18:00 - Title [patina@6494322f]`` -> (title, minute of day, branch, short sha)."""
    branch = sha = None
    m = _COMMIT_RX.search(text)
    if m:
        branch, sha = m["branch"], m["sha"].lower()
        text = text[:m.start()]
    t = _ENTRY_RX.match(text)
    if t and int(t["h"]) < 24 and int(t["m"]) < 60:
        return t["title"].strip() or text.strip(), int(t["h"]) * 60 + int(t["m"]), branch, sha
    return text.strip(), None, branch, sha


class _Walker:
    """Folds the top-level AST nodes into a SessionDoc, tracking the section, entry and label."""

    def __init__(self, doc: SessionDoc, inline: _Inline) -> None:
        self.doc = doc
        self.inline = inline
        self.section = "preamble"  # a rules section kind, or an item type
        self.entry: int | None = None
        self.label: str | None = None
        self.label_kind: str | None = None  # item type under the current label; None = leave out
        self.section_title: str | None = None  # the ## heading of an item section (its items' section)
        self.day = 0
        self.last_minute: int | None = None  # minute of day of the previous entry (rollover)

    def walk(self, nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            kind = node.get("type")
            if kind == "blank_line":
                continue
            if kind == "heading":
                self.heading(node)
            elif kind == "paragraph":
                self.paragraph(node)
            elif kind == "list":
                self.list(node)
            # block_code, table, block_quote, thematic_break, html: not knowledge items

    def default_kind(self) -> str | None:
        if self.section == rules.ACTIVITY:
            return "observation"
        if self.section in (rules.GOALS, rules.CLASSIFICATION, rules.SKIP, "preamble"):
            return None
        return self.section

    def current_kind(self) -> str | None:
        return self.label_kind if self.label is not None else self.default_kind()

    def current_section(self) -> str | None:
        return self.label if self.label is not None else self.section_title

    def in_items(self) -> bool:
        return self.section not in (rules.GOALS, rules.CLASSIFICATION, rules.SKIP, "preamble")

    def heading(self, node: dict[str, Any]) -> None:
        level = (node.get("attrs") or {}).get("level", 1)
        text = clean(inline_text(self.inline(node))).replace("\n", " ")
        if level == 1:
            if self.doc.title is None and text:
                self.doc.title = _H1_PREFIX_RX.sub("", text).strip() or text
            return
        if level == 2:
            self.section = rules.section_kind(text)
            self.section_title = text if self.in_items() and self.section != rules.ACTIVITY else None
            self.entry = None
            self.label = self.label_kind = None
            return
        if level == 3 and self.section == rules.ACTIVITY:
            self.add_entry(text)
            return
        self.set_label(text)

    def add_entry(self, text: str) -> None:
        title, minute, branch, sha = parse_entry_heading(text)
        absolute = None
        if minute is not None:
            if self.last_minute is not None and minute < self.last_minute - 60:
                self.day += 1  # past midnight: entries are written in time order
            self.last_minute = minute
            absolute = self.day * 1440 + minute
        self.doc.entries.append(Entry(heading=text, title=title, minute=absolute, branch=branch, commit=sha))
        self.entry = len(self.doc.entries) - 1
        self.label = self.label_kind = None

    def set_label(self, label: str) -> None:
        self.label = label
        self.label_kind = rules.label_type(label)

    def emit(self, kind: str | None, content: str, section: str | None, detail: str | None) -> None:
        if kind is None or not content:
            return
        self.doc.items.append(Item(type=kind, content=content, section=section, detail=detail, entry=self.entry))

    def paragraph(self, node: dict[str, Any]) -> None:
        if self.section not in ("preamble", rules.CLASSIFICATION) and not self.in_items():
            return  # a skipped section: not even inline-parsed
        children = self.inline(node)
        if self.section == "preamble":
            self.header_lines(children)
            return
        if self.section == rules.CLASSIFICATION:
            for line in _split_lines(children):
                self.stat_line(clean(inline_text(line)))
            return
        if not self.in_items():
            return
        labelled = leading_label(children)
        if labelled is not None:
            label, rest = labelled
            if not rest:
                self.set_label(label)
                return
            self.emit(rules.label_type(label), rest, label, None)
            return
        text = clean(inline_text(children))
        if self.section == rules.ACTIVITY and self.label is None and rules.is_boilerplate(text):
            return
        self.emit(self.current_kind(), text, self.current_section(), None)

    def list(self, node: dict[str, Any]) -> None:
        if self.section not in (rules.GOALS, rules.CLASSIFICATION) and not self.in_items():
            return
        items = _list_items(node, self.inline)
        if self.section == rules.GOALS:
            for content, _ in items:
                m = _CHECKBOX_RX.match(content)
                done = bool(m) and m["mark"] not in (" ", "-")
                text = clean(content[m.end():] if m else content)
                if text:
                    self.doc.goals.append(Goal(content=text, completed=done))
            return
        if self.section == rules.CLASSIFICATION:
            for content, _ in items:
                self.stat_line(content)
            return
        if not self.in_items():
            return
        kind, section = self.current_kind(), self.current_section()
        for content, detail in items:
            self.emit(kind, content, section, detail)

    def header_lines(self, children: list[dict[str, Any]]) -> None:
        for line in _split_lines(children):
            labelled = leading_label(line)
            if labelled is None:
                continue
            key = rules.HEADER_FIELDS.get(rules.normalize_label(labelled[0]))
            if key and labelled[1]:
                self.doc.fields[key] = labelled[1].replace("\n", " ").strip()

    def stat_line(self, text: str) -> None:
        key, sep, value = text.partition(":")
        if not sep:
            return
        name = rules.CLASSIFICATION_FIELDS.get(rules.normalize_label(key))
        value = " ".join(value.split())
        if name is None or not value or name in self.doc.stats:
            return
        if name == "classification":
            self.doc.stats[name] = value
            return
        m = re.match(r"^(\d+)", value)
        if m:
            self.doc.stats[name] = int(m.group(1))
        else:
            self.doc.problems.append(f"{key.strip()} is not a number: {value[:40]!r}")


_ID_TIME_RX = re.compile(r"^\d{8}-(\d{2})(\d{2})(\d{2})?$")


def _id_minute(doc: SessionDoc, fallback_id: str | None) -> int | None:
    """The local minute of day the session ID names (the reference for midnight rollover)."""
    m = _ID_TIME_RX.match((doc.fields.get("id") or fallback_id or "").strip())
    if not m:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_text(text: str, fallback_id: str | None = None) -> SessionDoc:
    """Parse a decoded session file. ``fallback_id`` (from the file name) only seeds the
    midnight-rollover reference when the file names no ID."""
    doc = SessionDoc()
    fm_fields, body, had_fm = split_front_matter(text)
    for key, value in fm_fields.items():
        name = rules.HEADER_FIELDS.get(key)
        if name and value and name not in doc.fields:
            doc.fields[name] = value
    if text.startswith("---") and not had_fm:
        doc.problems.append("front matter without a closing '---': read as Markdown")
    try:
        state = _MARKDOWN.block.state_cls()
        state.process(body if body.endswith("\n") else body + "\n")
        _MARKDOWN.block.parse(state)  # block structure only; inline parsing happens on demand
        ast = state.tokens
    except (RecursionError, Exception) as exc:  # noqa: BLE001 - bad input must not raise
        doc.problems.append(f"Markdown parser failed ({type(exc).__name__}): read the header only")
        return doc
    # Markdown header lines (``**ID**: ...``) win over front matter: read them first.
    fm_only = dict(doc.fields)
    doc.fields = {}
    walker = _Walker(doc, _Inline(state.env))
    try:
        walker.walk(ast if isinstance(ast, list) else [])
    except RecursionError:
        doc.problems.append("nesting too deep: the rest of the file was left out")
    except Exception as exc:  # noqa: BLE001 - an inline parser failure must not lose the session
        doc.problems.append(f"Markdown parser failed ({type(exc).__name__}): the rest of the file was left out")
    for key, value in fm_only.items():
        doc.fields.setdefault(key, value)
    if doc.entries:
        _apply_rollover_reference(doc, _id_minute(doc, fallback_id))
    if doc.title is None and doc.fields.get("title"):
        doc.title = doc.fields["title"]
    return doc


def _apply_rollover_reference(doc: SessionDoc, start_minute: int | None) -> None:
    """The walker counted days from the first entry; when the session's own start time is known,
    an entry before it (by more than an hour) means the first entries were already past midnight."""
    if start_minute is None:
        return
    first = next((e.minute for e in doc.entries if e.minute is not None), None)
    if first is not None and first < start_minute - 60:
        doc.entries[:] = [
            Entry(e.heading, e.title, None if e.minute is None else e.minute + 1440, e.branch, e.commit)
            for e in doc.entries
        ]
