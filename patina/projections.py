"""Named projections: read-only SQL files shipped in ``patina/queries``, run with parameters.

Each ``<name>.sql`` starts with a comment header: the description, then one line per
parameter::

    -- What the projection shows.
    --
    -- @param days int 7 Days to look back.
    -- @param session text null Only this session.
    -- @param at time_end required The moment.
    -- @json following

Types: ``int``; ``text``; ``time`` (an ISO date or datetime, as a UTC
``YYYY-MM-DDTHH:MM:SSZ`` string, a bare date meaning its first second) and ``time_end``
(likewise, a bare date meaning its last second). Defaults: a literal, ``null`` or
``required``. Parameters are bound by name (``:days``), never pasted into the SQL. ``@json``
names the columns that hold JSON text: ``--format json`` nests them instead of quoting them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from typing import Any, Iterable, NamedTuple

from patina.errors import QueryError, UsageError
from patina.events import parse_when

PARAM_TYPES = ("int", "text", "time", "time_end")
_PARAM_LINE = re.compile(r"^--\s*@param\s+(\w+)\s+(\w+)\s+(\S+)\s*(.*)$")
_JSON_LINE = re.compile(r"^--\s*@json((?:\s+\w+)+)\s*$")
_NEEDS_LINE = re.compile(r"^--\s*@needs\s+([a-z]+\.)\s+(.+)$")
TABLE_CELL_WIDTH = 60  # table format: longer cells are cut (json/csv keep everything)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None  # as written (None: null)
    required: bool
    help: str


class JsonText(str):
    """A cell holding JSON text (an ``@json`` column): a plain string to tables and CSV, nested
    as its value by ``render(..., "json")``. Decoding is left to rendering, so ``run`` stays cheap."""


@dataclass(frozen=True)
class Projection:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str
    json_columns: tuple[str, ...] = ()
    needs: tuple[tuple[str, str], ...] = ()  # (event type prefix, why no rows without it)

    @property
    def summary(self) -> str:
        """The first sentence of the description."""
        first = self.description.split("\n\n")[0].replace("\n", " ")
        return first.split(". ")[0].rstrip(".") + "."


def parse(name: str, text: str) -> Projection:
    """A projection from its file text. Raises ValueError on a malformed header (a packaging bug)."""
    description: list[str] = []
    params: list[Param] = []
    json_columns: list[str] = []
    needs: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        n = _NEEDS_LINE.match(line)
        if n:
            needs.append((n.group(1), n.group(2).strip()))
            continue
        j = _JSON_LINE.match(line)
        if j:
            json_columns += j.group(1).split()
            continue
        if "@json" in line:
            raise ValueError(f"{name}: malformed @json line: {line!r}")
        m = _PARAM_LINE.match(line)
        if m:
            pname, ptype, default, help_text = m.groups()
            if ptype not in PARAM_TYPES:
                raise ValueError(f"{name}: parameter {pname} has unknown type {ptype!r}")
            params.append(Param(pname, ptype, None if default in ("null", "required") else default,
                                default == "required", help_text.strip()))
        elif "@param" in line:
            raise ValueError(f"{name}: malformed parameter line: {line!r}")
        elif not params:
            description.append(line[2:].strip())
    desc = "\n".join(description).strip()
    desc = re.sub(r"(?<!\n)\n(?!\n)", " ", desc)  # paragraphs: join wrapped lines
    return Projection(name, desc, tuple(params), text.strip().rstrip(";"), tuple(json_columns), tuple(needs))


def _files() -> dict[str, Any]:
    return {p.name[:-4]: p for p in resources.files("patina.queries").iterdir() if p.name.endswith(".sql")}


def names() -> list[str]:
    return sorted(_files())


def load(name: str) -> Projection:
    files = _files()
    if name not in files:
        raise UsageError(f"no projection named {name!r}; known: {', '.join(sorted(files))}")
    return parse(name, files[name].read_text(encoding="utf-8"))


def all_projections() -> list[Projection]:
    return [load(n) for n in names()]


def _convert(param: Param, raw: str) -> Any:
    if param.type == "int":
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"parameter {param.name} must be an integer, not {raw!r}") from None
    if param.type in ("time", "time_end"):
        text = raw.strip()
        try:
            if param.type == "time" and len(text) == 10:
                return parse_when(text)[:10] + "T00:00:00Z"
            return parse_when(text)
        except ValueError as exc:
            raise UsageError(f"parameter {param.name}: {exc}") from None
    return raw


def bind(proj: Projection, given: dict[str, str]) -> dict[str, Any]:
    """The named parameters for ``proj``'s SQL: given values converted, defaults for the rest."""
    known = {p.name: p for p in proj.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        hint = ", ".join(known) or "none"
        raise UsageError(f"{proj.name} has no parameter {unknown[0]!r} (parameters: {hint})")
    values: dict[str, Any] = {}
    for p in proj.params:
        if p.name in given:
            values[p.name] = _convert(p, given[p.name])
        elif p.required:
            raise UsageError(f"{proj.name} needs --param {p.name}=...  ({p.help})")
        else:
            values[p.name] = None if p.default is None else _convert(p, p.default)
    return values


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a dict (the CLI's repeated ``--param``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes NAME=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def run(conn: sqlite3.Connection, name: str, given: dict[str, str] | None = None,
        limit: int | None = None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of projection ``name``; at most ``limit`` rows (None: all).

    Rows are read lazily, so a limit over an index-ordered query stops early.
    """
    proj = load(name)
    values = bind(proj, given or {})
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    try:
        cur = conn.execute(proj.sql, values)
        cols = [d[0] for d in cur.description or []]
        rows = list(cur if limit is None else islice(cur, limit))
        if proj.json_columns:
            rows = _mark_json(cols, rows, proj.json_columns)
    except sqlite3.Error as exc:
        missing = re.search(r"no such table: (\w+)", str(exc))
        if missing and missing.group(1) in ("observations", "sessions", "goals"):
            raise QueryError(f"{name}: this version of the log has no session data "
                             f"({missing.group(1)}); update patina and run `patina scrape --full`") from None
        raise QueryError(f"{name} failed: {exc}") from None
    return cols, rows


class Answer(NamedTuple):
    columns: list[str]
    rows: list[tuple]
    behind: list[str]  # derived tables it reads that are behind the log
    why_empty: str | None  # why there are no rows, when the log lacks what the projection reads


def query(db_path: str, name: str, given: dict[str, str], limit: int | None) -> Answer:
    """``patina query NAME``. Parameters are checked before the database is opened."""
    from patina import store

    proj = load(name)
    bind(proj, given)
    conn = store.connect(db_path, readonly=True)
    try:
        behind = stale_inputs(conn, name)
        cols, rows = run(conn, name, given, limit)
        why = None
        if not rows:
            why = next((reason for prefix, reason in proj.needs if not store.has_event_prefix(conn, prefix)), None)
    finally:
        conn.close()
    return Answer(cols, rows, behind, why)


def sql(db_path: str, text: str) -> tuple[list[str], list[tuple]]:
    """``patina sql``: (columns, rows) of one read-only query. An authorizer refuses ATTACH
    (which would create files) and anything that writes, whatever SQLite's query_only misses."""
    from patina import store

    if not text.strip():
        raise UsageError("give a query, e.g. \"SELECT count(*) FROM eventlog\"")
    conn = store.connect(db_path, readonly=True)
    conn.set_authorizer(_read_only)
    try:
        cur = conn.execute(text)
        return [d[0] for d in cur.description or []], cur.fetchall()
    except sqlite3.Error as exc:
        hint = " (patina sql only reads: no ATTACH, no writes)" if "not authorized" in str(exc) else ""
        raise QueryError(f"query failed: {exc}{hint}") from None
    finally:
        conn.close()


def _read_only(action: int, arg1: Any, arg2: Any, *_: Any) -> int:
    if action == sqlite3.SQLITE_PRAGMA:
        return sqlite3.SQLITE_OK if arg2 is None else sqlite3.SQLITE_DENY  # reading one, not setting it
    return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY


_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                           sqlite3.SQLITE_RECURSIVE})


def listing(fmt: str) -> str:
    """``patina query --list``: every projection, its parameters and defaults."""
    projs = all_projections()
    if fmt != "json":
        return "\n\n".join(describe(p) for p in projs) + "\n"
    return json.dumps([{"name": p.name, "description": p.description,
                        "params": [{"name": q.name, "type": q.type, "default": q.default,
                                    "required": q.required, "help": q.help} for q in p.params]}
                       for p in projs], indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _mark_json(cols: list[str], rows: list[tuple], json_columns: tuple[str, ...]) -> list[tuple]:
    where = {i for i, c in enumerate(cols) if c in json_columns}
    return [tuple(JsonText(v) if i in where and isinstance(v, str) else v for i, v in enumerate(r))
            for r in rows]


def stale_inputs(conn: sqlite3.Connection, name: str) -> list[str]:
    """The derived tables ``name`` reads that are behind the log (run `patina materialize`)."""
    from patina import derived

    sql = load(name).sql
    stale = set(derived.stale(conn))
    behind = {t for m in derived.load_all() if m.name in stale for t in m.tables}
    return sorted(t for t in behind if re.search(rf"\b{t}\b", sql))


# --- output ----------------------------------------------------------------------------------


def render(cols: list[str], rows: list[tuple], fmt: str) -> str:
    """Rows as ``table`` (aligned, long cells cut), ``json`` (a list of objects, columns in
    order, JSON cells nested) or ``csv`` (with a header). Ends with a newline unless empty."""
    if fmt == "json":
        return _render_json(cols, rows)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows(rows)
        return buf.getvalue()
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r} (table, json, csv)")
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def _render_json(cols: list[str], rows: list[tuple]) -> str:
    """Like ``json.dumps(objects, indent=2)``, but a JSON cell is nested as its own compact text
    (checked to parse): on ``causality``'s 500,000 nested commits, re-encoding them indented in
    Python takes seconds."""
    if not rows:
        return "[]\n"
    keys = [json.dumps(c, ensure_ascii=False) for c in cols]

    def value(v: Any) -> str:
        if isinstance(v, JsonText):
            json.loads(v)  # a projection bug must not yield invalid output
            return str(v)
        return json.dumps(v, ensure_ascii=False)

    objects = ["  {\n" + ",\n".join(f"    {k}: {value(v)}" for k, v in zip(keys, r)) + "\n  }" if r else "  {}"
               for r in rows]
    return "[\n" + ",\n".join(objects) + "\n]\n"


def _cell(value: Any) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"


def describe(proj: Projection) -> str:
    """Human text for ``patina query --list``: name, description, parameters with defaults."""
    lines = [proj.name, "  " + proj.description.replace("\n\n", "\n  ")]
    for p in proj.params:
        default = "required" if p.required else ("none" if p.default is None else p.default)
        lines.append(f"  --param {p.name}=<{p.type}>  (default: {default})  {p.help}")
    return "\n".join(lines)

