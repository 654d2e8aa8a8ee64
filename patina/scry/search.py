"""Searching one database's index, and merging the hits of several.

Scores: FTS5's BM25 is unbounded and depends on each database's statistics, so a hit's
score is its BM25 over the best BM25 of the same query in the same database: the best hit
scores 1.0, every other one lies in (0, 1]. That makes lists from different databases
mergeable (each database's best answer is on the same footing); persona hits are then
scaled by :data:`PERSONA_WEIGHT` so a project answer wins an otherwise equal tie.
Ties are broken by seq, so the same log always gives the same order.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from patina.errors import DatabaseError, PatinaError, UsageError
from patina.scry.index import FTS_WEIGHTS

PERSONA_WEIGHT = 0.95
MAX_TERMS = 32
MAX_LIMIT = 1000
# Every type a hit can have ("code" only with --code).
TYPES = ("decision", "pattern", "work", "context", "observation", "goal", "commit", "note", "code")

# Words that match nearly every document: left out of the query unless nothing else is left.
STOPWORDS = frozenset("""
a about an and are as at be but by can did do does for from had has have how i if in into is
it its me my no not of on or our so than that the their them then there these they this to
was we were what when where which who why will with would you your
""".split())

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    """One answer: where it comes from (tag + project), how good it is, and what it says."""

    tag: str  # "PROJECT" or "PERSONA"
    project: str | None  # the project's name (service) or None (the current repository)
    score: float  # in [0, 1]
    seq: int  # the event that recorded it (in that database)
    type: str
    origin: str  # session id, commit sha, persona note id, or code path::name
    timestamp: str
    content: str
    detail: str
    source_file: str | None
    title: str | None  # session title, when known

    def to_json(self) -> dict:
        out = asdict(self)
        out["score"] = round(self.score, 4)
        return out


def query_terms(text: str) -> list[str]:
    """The user's words, lower-cased, without duplicates, stopwords dropped (unless only those).

    Only letters and digits survive, so nothing in the text can be read as FTS5 syntax:
    quotes, hyphens, colons, parentheses and AND/OR/NOT are never operators here.
    """
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in words:
            words.append(word)
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


def match_expression(terms: Sequence[str]) -> str:
    """FTS5 query: any of the terms (BM25 ranks docs with more/rarer ones first), plus the
    whole phrase so documents that say it verbatim score higher. Terms are letters and
    digits only, so quoting each is safe."""
    quoted = [f'"{t}"' for t in terms]
    if len(terms) > 1:
        quoted.insert(0, '"' + " ".join(terms) + '"')
    return " OR ".join(quoted)


def cutoff_seq(conn: sqlite3.Connection, until: str | None) -> int | None:
    """The last seq of the log prefix known at ``until`` (a UTC timestamp), None for no limit.

    Project logs: the events up to the newest first-parent commit committed at or before
    ``until`` (the same commit ``patina scrape --until`` builds). Logs without a commit chain
    (the persona, hand-made ones): the events before the first one stamped after ``until``.
    """
    if until is None:
        return None
    has_chain = conn.execute("SELECT 1 FROM fp_chain LIMIT 1").fetchone() is not None
    if has_chain:
        row = conn.execute(
            "SELECT f.last_seq FROM fp_chain f JOIN eventlog e "
            "ON e.source_id = f.sha AND e.event_type = 'git.commit' "
            "WHERE coalesce(e.data ->> '$.committer_time', e.timestamp) <= ? ORDER BY f.pos DESC LIMIT 1",
            (until,),
        ).fetchone()
        return row[0] if row else 0
    row = conn.execute("SELECT min(seq) FROM eventlog WHERE timestamp > ?", (until,)).fetchone()
    if row[0] is None:
        return None
    return row[0] - 1


def search_db(conn: sqlite3.Connection, terms: Sequence[str], *, limit: int, tag: str,
              project: str | None = None, until: str | None = None,
              types: Sequence[str] | None = None, weight: float = 1.0) -> list[Hit]:
    """The best ``limit`` hits of one database, scored in [0, 1] (× ``weight``)."""
    if not terms or limit <= 0:
        return []
    cutoff = cutoff_seq(conn, until)
    where = ["scry_fts MATCH ?"]
    args: list = [match_expression(terms)]
    if cutoff is None:
        where.append("d.removed_seq IS NULL")
    else:
        where.append("d.seq <= ? AND (d.removed_seq IS NULL OR d.removed_seq > ?)")
        args += [cutoff, cutoff]
    if types is not None:
        wanted = sorted(set(types) - {"code"})
        if not wanted:
            return []
        where.append(f"d.type IN ({','.join('?' * len(wanted))})")
        args += wanted
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    rows = conn.execute(
        f"SELECT d.seq, d.type, d.origin, d.timestamp, d.content, d.detail, d.source_file, "
        f"bm25(scry_fts, {weights}) AS r FROM scry_fts JOIN scry_docs d ON d.seq = scry_fts.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY r, d.seq LIMIT ?",
        (*args, limit),
    ).fetchall()
    if not rows:
        return []
    best = rows[0][7]
    titles = session_titles(conn, {r[2] for r in rows if r[1] not in ("commit", "note")})
    hits = []
    for seq, typ, origin, ts, content, detail, source_file, rank in rows:
        relative = rank / best if best < 0 else 1.0
        hits.append(Hit(tag=tag, project=project, score=min(1.0, relative) * weight, seq=seq, type=typ,
                        origin=origin, timestamp=ts, content=content, detail=detail,
                        source_file=source_file, title=titles.get(origin)))
    return hits


def session_titles(conn: sqlite3.Connection, session_ids: Iterable[str]) -> dict[str, str]:
    """Titles of the given sessions from the ``sessions`` view, when the database has one."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    try:
        rows = conn.execute(
            f"SELECT session_id, title FROM sessions WHERE session_id IN ({','.join('?' * len(ids))}) "
            "ORDER BY seq", ids).fetchall()
    except sqlite3.OperationalError:  # no sessions view in this database
        return {}
    return {sid: title for sid, title in rows if title}


def merge(lists: Iterable[Sequence[Hit]], limit: int) -> list[Hit]:
    """All hits, best first; equal scores: project before persona, then by project name and seq."""
    every = [h for hits in lists for h in hits]
    every.sort(key=lambda h: (-round(h.score, 9), h.tag != "PROJECT", h.project or "", h.seq))
    return every[:limit]


def open_project_db(path: str) -> sqlite3.Connection:
    """A read-only connection to a project database whose search index is current."""
    from patina import store
    from patina.derived.base import get_meta, last_event

    conn = store.connect(path, readonly=True)
    try:
        state = store.health(conn, quick=True)
        if state == "empty":
            raise DatabaseError(f"{path} has no log yet: run `patina scrape`")
        if state != "ok":
            raise DatabaseError(f"{path} is {state}: run `patina scrape` to rebuild it")
        if get_meta(conn, "scry")[0] != last_event(conn)[0]:
            raise DatabaseError(f"the search index of {path} is behind its log: run `patina scrape --full`")
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class Answer:
    terms: list[str]
    hits: list[Hit]
    problems: list[str]  # databases that could not be searched (each one line)


def scry(query: str, *, projects: Sequence[tuple[str | None, str]], persona_home: str | None, limit: int = 10,
         until: str | None = None, types: Sequence[str] | None = None, strict: bool = True) -> Answer:
    """Search project databases ((name, db path) pairs) and, unless ``persona_home`` is None, the
    persona, and merge the hits. ``strict``: a project that cannot be searched raises (CLI);
    otherwise it is reported in ``problems`` (service)."""
    from patina.events import parse_when

    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}")
    if types is not None:
        unknown = sorted(set(types) - set(TYPES))
        if unknown:
            raise UsageError(f"unknown type {', '.join(unknown)} (types: {', '.join(TYPES)})")
    limit_ts = None
    if until is not None:
        try:
            limit_ts = parse_when(until)
        except ValueError as exc:
            raise UsageError(f"--until: {exc}") from None
    terms = query_terms(query)
    if not terms:
        raise UsageError("nothing to search for: the query has no words")
    lists: list[list[Hit]] = []
    problems: list[str] = []
    for name, path in projects:
        try:
            conn = open_project_db(path)
        except PatinaError as exc:
            if strict:
                raise
            problems.append(f"{name}: {exc}")
            continue
        try:
            lists.append(search_db(conn, terms, limit=limit, tag="PROJECT", project=name, until=limit_ts,
                                   types=types))
        finally:
            conn.close()
    if persona_home is not None:
        from patina.scry import persona

        conn = persona.open_db(persona_home, create=False)
        if conn is not None:
            try:
                lists.append(search_db(conn, terms, limit=limit, tag="PERSONA", until=limit_ts, types=types,
                                       weight=PERSONA_WEIGHT))
            finally:
                conn.close()
    return Answer(terms, merge(lists, limit), problems)


def search_code(db_path: str, terms: Sequence[str], hits: Sequence[Hit], *, limit: int,
                until: str | None = None, types: Sequence[str] | None = None) -> list[Hit]:
    """``--code``: merge code definitions matching the terms into ``hits``."""
    from patina import store

    if types is not None and "code" not in types:
        return list(hits)
    conn = store.connect(db_path, readonly=True)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'code_symbols'").fetchone()
        if found is None:
            raise UsageError("--code: this database has no code symbols (the code source is not built in)")
        raise UsageError("--code: code symbol search is not available yet")
    finally:
        conn.close()
