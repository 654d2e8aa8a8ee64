"""Searching one database's index, and merging the hits of several.

Scores: FTS5's BM25 is unbounded and depends on each database's statistics, so a hit's
score is its BM25 over the best BM25 of the same query in the same database: the best hit
scores 1.0, every other one lies in (0, 1]. That makes lists from different databases
mergeable (each database's best answer is on the same footing); persona hits are then
scaled by :data:`PERSONA_WEIGHT` so a project answer wins an otherwise equal tie.
Ties are broken by seq, so the same log always gives the same order.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Iterator, Sequence

from patina.errors import DatabaseError, PatinaError, UsageError
from patina.scry import index as _index
from patina.scry.index import FTS_WEIGHTS

PERSONA_WEIGHT = 0.95
MAX_TERMS = 32
MAX_LIMIT = 1000
# Every type a hit can have ("code" only with --code).
TYPES = ("decision", "pattern", "work", "context", "observation", "goal", "commit", "note", "code")

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
    explain: dict | None = None  # hybrid --explain: each oracle's rank and score, and the fused score

    def to_json(self) -> dict:
        out = asdict(self)
        out["score"] = round(self.score, 4)
        if out["explain"] is None:
            del out["explain"]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Hit":
        """A hit as :meth:`to_json` wrote it (a service's answer)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def query_terms(text: str) -> list[str]:
    """The user's words, lower-cased, without duplicates, stopwords dropped (unless only those).

    Only letters and digits survive, so nothing in the text can be read as FTS5 syntax:
    quotes, hyphens, colons, parentheses and AND/OR/NOT are never operators here.
    """
    from patina.text import query_words

    return query_words(text, MAX_TERMS)


def match_expression(terms: Sequence[str]) -> str:
    """FTS5 query: any of the terms (BM25 ranks docs with more/rarer ones first), plus the
    whole phrase, last, so documents that say it verbatim score higher. Terms are letters
    and digits only, so quoting each is safe."""
    return " OR ".join(_phrases(terms))


def _phrases(terms: Sequence[str], *, phrase_of: Sequence[str] | None = None) -> list[str]:
    quoted = [f'"{t}"' for t in terms]
    whole = list(phrase_of if phrase_of is not None else terms)
    if len(whole) > 1:
        quoted.append('"' + " ".join(whole) + '"')
    return quoted


def cutoff_seq(conn: sqlite3.Connection, until: str | None) -> int | None:
    """The last seq of the log prefix known at ``until`` (a UTC timestamp), None for no limit
    (see patina.store.commit_seq_at)."""
    if until is None:
        return None
    from patina import store

    return store.commit_seq_at(conn, until)


# BM25 as FTS5 computes it (fts5_aux.c): per phrase, idf * w(k1+1) / (w + k1(1 - b + b D/avgdl)),
# so one phrase adds < idf * (k1+1).
K1 = 1.2
B = 0.75
# Candidate budget: documents scored exactly before the bound is checked (see _top_rows).
PRUNE_BUDGET = 4000
# Bounds are compared with this margin so float rounding can never let an outsider tie or win.
SAFETY = 1 + 1e-9


def _idf(n_docs: int, n_hit: int) -> float:
    idf = math.log((n_docs - n_hit + 0.5) / (n_hit + 0.5))
    return idf if idf > 0 else 1e-6


def search_db(conn: sqlite3.Connection, terms: Sequence[str], *, limit: int, tag: str,
              project: str | None = None, until: str | None = None,
              types: Sequence[str] | None = None, weight: float = 1.0, prune: bool = True) -> list[Hit]:
    """The best ``limit`` hits of one database, scored in [0, 1] (× ``weight``).

    ``prune=False`` scores every matching document (the reference the pruned search equals).
    """
    if not terms or limit <= 0:
        return []
    cutoff = cutoff_seq(conn, until)
    where: list[str] = []
    args: list = []
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
    if cutoff is None and types is None:
        # Only removed documents to leave out: rank in the FTS table alone (no join per match).
        rows = _top_rows(conn, list(terms), None, [], limit, prune)
    else:
        rows = _top_rows(conn, list(terms), " AND ".join(where), args, limit, prune)
    if not rows:
        return []
    best = rows[0][7]
    titles = session_titles(conn, {r[2] for r in rows if r[1] not in ("commit", "note")})
    hits = []
    for seq, typ, origin, ts, content, detail, source_file, rank, _removed in rows:
        relative = rank / best if best < 0 else 1.0
        hits.append(Hit(tag=tag, project=project, score=min(1.0, relative) * weight, seq=seq, type=typ,
                        origin=origin, timestamp=ts, content=content, detail=detail,
                        source_file=source_file, title=titles.get(origin)))
    return hits


_COLUMNS = "d.seq, d.type, d.origin, d.timestamp, d.content, d.detail, d.source_file"


def _ranked(conn: sqlite3.Connection, expression: str, where: str | None, args: list, limit: int,
            only: str | None = None) -> list[tuple]:
    """(seq, type, origin, timestamp, content, detail, source_file, bm25, removed_seq), best first.

    ``where`` None: ranked in the FTS table alone (no join per match), leaving out the removed
    documents (a small set, read once per query through the partial index on removed_seq);
    only the top rows are joined to their documents.
    """
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    # ``only``: score just the documents that also match this expression (filtered before bm25()
    # runs; the scored expression, so every float, stays the same).
    only_sql = " AND +scry_fts.rowid IN (SELECT rowid FROM scry_fts WHERE scry_fts MATCH ?)" if only else ""
    only_args = [only] if only else []
    if where is None:
        return conn.execute(
            f"SELECT {_COLUMNS}, t.r, d.removed_seq FROM (SELECT rowid AS seq, bm25(scry_fts, {weights}) AS r "
            f"FROM scry_fts WHERE scry_fts MATCH ?{only_sql} AND rowid NOT IN "
            f"(SELECT seq FROM scry_docs WHERE removed_seq IS NOT NULL) ORDER BY r, rowid LIMIT ?) t "
            f"JOIN scry_docs d ON d.seq = t.seq ORDER BY t.r, t.seq",
            (expression, *only_args, limit)).fetchall()
    # Ranked on the documents' metadata alone; only the top rows read their text (a commit's
    # is cut from its message in the log).
    return conn.execute(
        f"SELECT {_COLUMNS}, t.r, d.removed_seq FROM (SELECT d.seq AS seq, bm25(scry_fts, {weights}) AS r "
        f"FROM scry_fts JOIN scry_docs d ON d.seq = scry_fts.rowid "
        f"WHERE scry_fts MATCH ?{only_sql} AND {where} ORDER BY r, d.seq LIMIT ?) t "
        f"JOIN scry_docs d ON d.seq = t.seq ORDER BY t.r, t.seq",
        (expression, *only_args, *args, limit),
    ).fetchall()


def _all_of(terms: Iterable[str]) -> str:
    """FTS5: documents holding every one of ``terms`` (letters and digits only: safe to quote)."""
    return "(" + " AND ".join(f'"{t}"' for t in terms) + ")"


# At most this many AND-groups in a filter (see _able_to_reach); more is not worth matching.
MAX_GROUPS = 64


def _able_to_reach(terms: Sequence[str], bounds: Sequence[float], floor: float) -> list[str] | None:
    """AND-groups of ``terms`` (FTS5 expressions) such that a document holding only these terms
    can score ``floor`` only if it holds every term of some group: the groups whose bounds sum
    to at least the floor. [] when no document can; None when any single term might (or there
    would be too many groups to be worth it)."""
    if all(b * SAFETY >= floor for b in bounds):
        return None
    order = sorted(range(len(terms)), key=lambda i: -bounds[i])
    groups: list[str] = []

    def walk(at: int, chosen: list[int], total: float) -> bool:
        if total * SAFETY >= floor:
            groups.append(_all_of(terms[i] for i in chosen))
            return len(groups) <= MAX_GROUPS
        if at == len(order) or (total + sum(bounds[i] for i in order[at:])) * SAFETY < floor:
            return True
        return walk(at + 1, chosen + [order[at]], total + bounds[order[at]]) and walk(at + 1, chosen, total)

    return groups if walk(0, [], 0.0) else None


def _top_rows(conn: sqlite3.Connection, terms: list[str], where: str | None, args: list, limit: int,
              prune: bool) -> list[tuple]:
    """The ``limit`` best eligible rows by BM25 over all the terms, exactly, scoring as few documents
    as it can. ``where`` None: every current (not removed) document is eligible.

    Scoring every document that has any term is what costs (FTS5's bm25() per row, ~1 µs), and
    common terms match most of a large log. Each term has a bound, the most it can add to a score:
    idf * (k1 + 1) in general, and for a common word (one with postings) exactly its best
    contribution to any document (:func:`_bound`).

    One word: a common one is ranked from its postings (:func:`_one_common_word`).

    Several (MaxScore): split the terms, rarest first, into E and the rest R, and score only the
    candidates C having an E term, exactly, as ``E AND (R or phrase)`` plus ``E NOT (R or
    phrase)``. The NOT side holds E terms only, so once the AND side gives a floor it scores only
    documents whose E terms' bounds can reach it. A document outside C has no E term, so scores at
    most the sum of R's bounds; once the limit-th best eligible row of C beats that, no outsider
    can enter. First try: E = the rarest terms within :data:`PRUNE_BUDGET` matches.

    When that bound does not hold, the first try's limit-th best score is still a floor for the
    answer: the second try scores, with the full expression, only the documents whose terms'
    bounds can sum to it (:func:`_able_to_reach`) or that hold every term (the phrase). If that
    takes too many AND-groups, it falls back to leaving in R only the commonest terms whose bounds
    sum below the floor. Everything is scored only when no floor or bound helps.

    Phrases are always written in the same order (terms by rarity, phrase last) and filters never
    change the scored expression, so scores are the same floats as without pruning.
    """
    if prune and len(terms) == 1:
        rows = _one_common_word(conn, terms[0], where, args, limit)
        if rows is not None:
            return rows
    stats = sorted((conn.execute("SELECT count(*) FROM scry_fts WHERE scry_fts MATCH ?",
                                 (f'"{t}"',)).fetchone()[0], t) for t in terms)
    ordered = [t for _, t in stats]
    phrase = terms if len(terms) > 1 else []
    full = " OR ".join(_phrases(ordered, phrase_of=phrase))

    def ranked(expression: str, only: str | None = None) -> list[tuple]:
        return _ranked(conn, expression, where, args, limit, only)

    def split_rows(split: int, floor: float | None = None) -> list[tuple]:
        left = "(" + " OR ".join(f'"{t}"' for t in ordered[:split]) + ")"
        right = "(" + " OR ".join(_phrases(ordered[split:], phrase_of=phrase)) + ")"
        rows = ranked(f"{left} AND {right}")
        if len(rows) >= limit:
            floor = max(floor or 0.0, -rows[-1][7])
        # The NOT side holds E terms only: with a floor, only documents whose E terms' bounds
        # reach it can enter.
        groups = None if floor is None else _able_to_reach(ordered[:split], bounds[:split], floor)
        if groups != []:
            rows += ranked(f"{left} NOT {right}", " OR ".join(groups) if groups else None)
        return sorted(rows, key=lambda r: (r[7], r[0]))[:limit]

    if not prune or len(terms) == 1 or sum(n for n, _ in stats) <= PRUNE_BUDGET:
        return ranked(full)
    n_row, n_token = _index.totals(conn)
    bounds = [_bound(conn, t, n, n_row, n_token) for n, t in stats]
    split, budget = 1, stats[0][0]
    while split < len(stats) - 1 and budget + stats[split][0] <= PRUNE_BUDGET:
        budget += stats[split][0]
        split += 1
    rows = split_rows(split)
    if len(rows) < limit:
        return ranked(full)  # fewer eligible candidates than asked: no floor to prune with
    floor = -rows[-1][7]
    if floor > sum(bounds[split:]) * SAFETY:
        return rows
    # Second try: only the documents whose words' bounds can sum to the floor (and those holding
    # every word, which may hold the phrase too), scored with the full expression.
    groups = _able_to_reach(ordered, bounds, floor)
    if groups is not None:
        if phrase:
            groups.append(_all_of(ordered))
        return ranked(full, " OR ".join(groups))
    # Too many groups: R = the commonest terms whose bounds sum below the floor (never the first try's R).
    second, rest = len(stats), 0.0
    while second > split + 1 and (rest + bounds[second - 1]) * SAFETY < floor:
        second -= 1
        rest += bounds[second]
    if second < len(stats):
        return split_rows(second, floor)  # its limit-th best is >= floor > every outsider's bound
    return ranked(full)


def _bm25_one(idf: float, freq: float, length: int, avgdl: float) -> float:
    """One phrase's share of FTS5's bm25() (before its sign flip), operation for operation."""
    return idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * length / avgdl)))


def _common_word(conn: sqlite3.Connection, term: str) -> str | None:
    """The indexed word a query word stands for, when it has postings (a common word)."""
    tokens = _index.query_tokens(term)
    if len(tokens) == 1 and _index.doc_frequency(conn, tokens[0]) >= _index.HOT_DF:
        return tokens[0]
    return None


def _freqs(conn: sqlite3.Connection, word: str) -> Iterable[float]:
    """The distinct weighted frequencies of a common word, highest first (a skip scan). The table
    holds them doubled; halving a float is exact, so these are the floats bm25() sums."""
    freq2 = conn.execute("SELECT max(freq2) FROM scry_postings WHERE term = ?", (word,)).fetchone()[0]
    while freq2 is not None:
        yield freq2 / 2
        freq2 = conn.execute("SELECT max(freq2) FROM scry_postings WHERE term = ? AND freq2 < ?",
                             (word, freq2)).fetchone()[0]


def _bound(conn: sqlite3.Connection, term: str, n_hit: int, n_row: int, n_token: int) -> float:
    """The most one query word can add to any document's score.

    Any word: idf * (k1 + 1), the limit as its frequency grows. A common word: exactly the best
    it scores in any document, the shortest document of each of its frequencies.
    """
    idf = _idf(n_row, n_hit)
    word = _common_word(conn, term) if n_row > 0 else None
    if word is None:
        return idf * (K1 + 1)
    avgdl = n_token / n_row
    return max(_bm25_one(idf, freq, conn.execute(
        "SELECT min(length) FROM scry_postings WHERE term = ? AND freq2 = ?", (word, freq * 2)).fetchone()[0], avgdl)
        for freq in _freqs(conn, word))


def _one_common_word(conn: sqlite3.Connection, term: str, where: str | None, args: list,
                     limit: int) -> list[tuple] | None:
    """The best ``limit`` eligible rows for a one-word query on a common word, from scry_postings
    instead of scoring every document that holds it; None when the word has no postings.

    With one word, every document shares the idf, and its score only grows with the word's
    weighted frequency f and shrinks with the document's length D. So among documents with the
    same f, the ``limit`` shortest eligible ones (by length, then seq) beat or tie-break ahead of
    every other: those, for each distinct f, are all the candidates. Each is scored with FTS5's
    own formula and statistics, operation for operation, so the floats equal bm25()'s.
    """
    word = _common_word(conn, term)
    n_row, n_token = _index.totals(conn)
    if word is None or n_row <= 0:
        return None
    eligible = "d.removed_seq IS NULL" if where is None else where
    candidates: list[tuple[float, int, int]] = []
    for freq in _freqs(conn, word):
        candidates += [(freq, length, seq) for length, seq in conn.execute(
            "SELECT p.length, p.seq FROM scry_postings p JOIN scry_docs d ON d.seq = p.seq "
            f"WHERE p.term = ? AND p.freq2 = ? AND {eligible} ORDER BY p.length, p.seq LIMIT ?",
            (word, freq * 2, *args, limit))]
    idf, avgdl = _idf(n_row, _index.doc_frequency(conn, word)), n_token / n_row
    scored = sorted((-1.0 * _bm25_one(idf, f, length, avgdl), seq) for f, length, seq in candidates)[:limit]
    if not scored:
        return []
    found = {row[0]: row for row in conn.execute(
        f"SELECT {_COLUMNS}, d.removed_seq FROM scry_docs d WHERE d.seq IN ({','.join('?' * len(scored))})",
        [seq for _, seq in scored])}
    return [(*found[seq][:7], r, found[seq][7]) for r, seq in scored]


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


def each_project(projects: Sequence[tuple[str | None, str]], strict: bool,
                 problems: list[str]) -> Iterator[tuple[str | None, str, sqlite3.Connection]]:
    """(name, path, read-only connection) of each project database that can be searched; one
    that cannot raises (``strict``: the CLI) or is reported in ``problems`` (the service)."""
    for name, path in projects:
        try:
            conn = open_project_db(path)
        except PatinaError as exc:
            if strict:
                raise
            problems.append(f"{name}: {exc}")
            continue
        try:
            yield name, path, conn
        finally:
            conn.close()


def open_project_db(path: str) -> sqlite3.Connection:
    """A read-only connection to a project database whose search index is current."""
    from patina import store

    conn = store.connect(path, readonly=True)
    try:
        state = store.health(conn, quick=True)
        if state == "empty":
            raise DatabaseError(f"{path} has no log yet: run `patina scrape`")
        if state != "ok":
            raise DatabaseError(f"{path} is {state}: run `patina scrape` to rebuild it")
        if store.progress(conn, "scry")[0] != store.last_seq(conn):
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
    mode: str = "lexical"  # the mode that answered: lexical, semantic or hybrid
    notes: tuple[str, ...] = ()  # what the user should know, once (e.g. why semantic search did not run)


def scry(query: str, *, projects: Sequence[tuple[str | None, str]], persona_home: str | None, limit: int = 10,
         until: str | None = None, types: Sequence[str] | None = None, strict: bool = True,
         mode: str | None = None, explain: bool = False, code: bool = False, engine=None,
         data_dirs: dict[str, str] | None = None, fusion=None) -> Answer:
    """Search project databases ((name, db path) pairs) and, unless ``persona_home`` is None, the
    persona, and merge the hits. ``strict``: a project that cannot be searched raises (CLI);
    otherwise it is reported in ``problems`` (service).

    ``mode``: "lexical" (BM25 only), "semantic" (vectors only), "hybrid" (every oracle, fused:
    see :mod:`patina.scry.hybrid`), or None: hybrid where a database has vectors, else lexical.
    Semantic search that cannot run falls back to lexical, with a note. ``code``: current code
    definitions too. ``engine``: a :class:`patina.scry.semantic.Engine` (a service keeps one);
    ``data_dirs``: db path -> its data directory (default: the database's directory);
    ``fusion``: fusion settings overriding the recipe's (benches)."""
    from patina.events import parse_when

    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"must be between 1 and {MAX_LIMIT}", param="limit")
    if types is not None:
        unknown = sorted(set(types) - set(TYPES))
        if unknown:
            raise UsageError(f"unknown type {', '.join(unknown)} (types: {', '.join(TYPES)})", param="type")
    if mode is not None and mode not in MODES:
        raise UsageError(f"unknown mode {mode} (modes: {', '.join(MODES)})", param="mode")
    limit_ts = None
    if until is not None:
        try:
            limit_ts = parse_when(until)
        except ValueError as exc:
            raise UsageError(str(exc), param="until") from None
    terms = query_terms(query)
    if not terms:
        raise UsageError("nothing to search for: the query has no words")
    notes: list[str] = []
    if mode != "lexical":
        from patina.scry import hybrid, semantic

        found, problems, notes = hybrid.hybrid(
            query, terms, projects=projects, persona_home=persona_home, limit=limit, until_ts=limit_ts, types=types,
            mode=mode, explain=explain, code=code, strict=strict, engine=engine or semantic.Engine(),
            data_dirs=data_dirs, fusion=fusion)
        if found is not None:
            hits, used = found
            return Answer(terms, hits, problems, used, tuple(notes))
    answer = _lexical(terms, projects=projects, persona_home=persona_home, limit=limit, until_ts=limit_ts,
                      types=types, strict=strict, code=code, explain=explain)
    return replace(answer, notes=tuple(notes))


MODES = ("lexical", "semantic", "hybrid")


def _lexical(terms: list[str], *, projects, persona_home, limit, until_ts, types, strict, code, explain) -> Answer:
    """Today's BM25 answer: every database's best hits merged by their relative scores."""
    lists: list[list[Hit]] = []
    problems: list[str] = []
    for name, path, conn in each_project(projects, strict, problems):
        lists.append(search_db(conn, terms, limit=limit, tag="PROJECT", project=name, until=until_ts,
                               types=types))
        if code:
            lists.append(search_code(path, terms, [], limit=limit, until=until_ts, types=types, project=name))
    if persona_home is not None:
        from patina.scry import persona

        conn = persona.open_db(persona_home, create=False)
        if conn is not None:
            try:
                lists.append(search_db(conn, terms, limit=limit, tag="PERSONA", until=until_ts, types=types,
                                       weight=PERSONA_WEIGHT))
            finally:
                conn.close()
    hits = merge(lists, limit)
    if explain:
        hits = [replace(h, explain={"lexical" if h.tag == "PROJECT" else "persona":
                                    {"rank": i + 1, "score": round(h.score, 4)}}) for i, h in enumerate(hits)]
    return Answer(terms, hits, problems, "lexical")


def search_code(db_path: str, terms: Sequence[str], hits: Sequence[Hit], *, limit: int,
                until: str | None = None, types: Sequence[str] | None = None, project: str | None = None) -> list[Hit]:
    """``--code``: merge current code definitions matching the terms into ``hits``.

    BM25 over the code symbol index (name weighted above qualified name, name words and path),
    normalised per query like every other list, ties by seq. The index holds the current code
    only, so ``--until`` cannot apply to it.
    """
    from patina import store

    if types is not None and "code" not in types:
        return list(hits)
    if until is not None:
        raise UsageError("--code cannot go with --until: the code symbol index holds the current code only")
    if not terms:
        return list(hits)
    conn = store.connect(db_path, readonly=True)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'code_symbols_fts'").fetchone()
        if found is None:
            raise UsageError("--code: this database has no code symbol index (the code source is not built in)")
        match = " OR ".join(f'"{t}"' for t in terms)  # terms are letters and digits only
        rows = conn.execute(
            "SELECT f.rowid, bm25(code_symbols_fts, 4.0, 2.0, 3.0, 1.0) AS r, f.qualified_name, f.kind, f.file, "
            "p.line, f.source_id, coalesce(e.timestamp, '') "
            "FROM code_symbols_fts f LEFT JOIN eventlog e ON e.seq = f.rowid "
            "LEFT JOIN code_positions p ON p.source_id = f.source_id AND p.event_type = 'code.' || f.category "
            "WHERE code_symbols_fts MATCH ? ORDER BY r, f.rowid LIMIT ?",
            (match, limit),
        ).fetchall()
    finally:
        conn.close()
    if not rows:
        return list(hits)
    best = rows[0][1]
    code_hits = [
        Hit(tag="PROJECT", project=project, score=(r / best) if best else 1.0, seq=rowid, type="code", origin=source_id,
            timestamp=ts, content=f"{qualified} ({kind})", detail=f"{file}:{line}" if line else file, source_file=file, title=None)
        for rowid, r, qualified, kind, file, line, source_id, ts in rows
    ]
    return merge([hits, code_hits], limit)
