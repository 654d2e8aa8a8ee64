"""Hybrid ``patina scry``: several oracles, each a ranking, fused by reciprocal rank fusion.

Oracles (each ranks documents of the same project databases, with the same filters: ``--until``,
``--type``, removed items):

* ``lexical``   BM25 (:func:`patina.scry.search.search_db`), and code definitions with ``--code``;
* ``semantic``  the query's vector against the stored ones (:mod:`patina.scry.semantic`);
* ``temporal``  the commits that changed a file the query names, then those that changed the files
  that change with it most (``co_changes``), newest first;
* ``persona``   your persona notes (BM25), weighted 0.95 as in lexical mode.

Fusion (:func:`patina.oxidize.fusion.rrf`): each oracle contributes ``weight / (k + rank)`` for its
best ``depth`` results; the recipe's ``fusion`` section sets k, depth, the weights and a floor under
which a lexical hit (its BM25 over the best one's) is not fused. Scores shown are the fused score
over the best one (the best answer is 1.00); equal scores go by project then seq, so the same log
and the same vectors always give the same answer. ``explain`` attaches each oracle's rank and score
to every hit.

Mode ``lexical`` is the plain BM25 search, unchanged. The default is ``hybrid`` for a database
with vectors and ``lexical`` otherwise; when semantic search cannot run (no model, another model)
the answer is lexical and a note says why, once.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from typing import Any, Sequence

from patina.scry.search import PERSONA_WEIGHT, Hit, search_code, search_db, session_titles

MODES = ("lexical", "semantic", "hybrid")
ORACLES = ("lexical", "semantic", "temporal", "persona")

# A query word that names a file: has a dot or a slash inside, and a letter or digit at each end.
_FILE_WORD = re.compile(r"[\w.\-/]*\w[./][\w.\-/]*\w")
TEMPORAL_NEIGHBOURS = 10  # co-changing files followed per file named


def fusion_settings(conn: sqlite3.Connection):
    """The recipe's fusion section the vectors were made with (defaults when none)."""
    from patina.oxidize import state
    from patina.oxidize.recipe import Fusion

    recipe = state.stored_recipe(conn)
    return recipe.fusion if recipe is not None else Fusion()


def has_vectors(conn: sqlite3.Connection) -> bool:
    from patina.oxidize import state

    return state.has_vectors(conn)


# ----------------------------------------------------------------------------------- documents

def doc_hits(conn: sqlite3.Connection, seqs: Sequence[int], *, tag: str, project: str | None) -> dict[int, Hit]:
    """Hits (score 0) for knowledge documents and current code definitions, by seq."""
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    rows = conn.execute(f"SELECT seq, type, origin, timestamp, content, detail, source_file FROM scry_docs "
                        f"WHERE seq IN ({marks})", list(seqs)).fetchall()
    titles = session_titles(conn, {r[2] for r in rows if r[1] not in ("commit", "note")})
    out = {seq: Hit(tag=tag, project=project, score=0.0, seq=seq, type=typ, origin=origin, timestamp=ts,
                    content=content, detail=detail, source_file=sf, title=titles.get(origin))
           for seq, typ, origin, ts, content, detail, sf in rows}
    missing = [s for s in seqs if s not in out]
    if missing:
        out.update(_code_hits(conn, missing, tag=tag, project=project))
    return out


def _code_hits(conn: sqlite3.Connection, seqs: Sequence[int], *, tag: str, project: str | None) -> dict[int, Hit]:
    marks = ",".join("?" * len(seqs))
    try:
        rows = conn.execute(
            "SELECT f.rowid, f.qualified_name, f.kind, f.file, p.line, f.source_id, coalesce(e.timestamp, '') "
            "FROM code_symbols_fts f LEFT JOIN eventlog e ON e.seq = f.rowid "
            "LEFT JOIN code_positions p ON p.source_id = f.source_id AND p.event_type = 'code.' || f.category "
            f"WHERE f.rowid IN ({marks})", list(seqs)).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {rowid: Hit(tag=tag, project=project, score=0.0, seq=rowid, type="code", origin=source_id, timestamp=ts,
                       content=f"{qualified} ({kind})", detail=f"{file}:{line}" if line else file, source_file=file,
                       title=None)
            for rowid, qualified, kind, file, line, source_id, ts in rows}


# ----------------------------------------------------------------------------------- temporal

def named_files(conn: sqlite3.Connection, query: str, limit: int = 3) -> list[str]:
    """Files of the history the query names: a word that is a path, or the end of one (``store.py``)."""
    out: list[str] = []
    for word in dict.fromkeys(_FILE_WORD.findall(query)):
        word = word.strip("./")
        if not word:
            continue
        row = conn.execute("SELECT name FROM file_history WHERE name = ? LIMIT 1", (word,)).fetchone()
        if row is None:
            like = "%/" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            row = conn.execute("SELECT name FROM file_history WHERE name LIKE ? ESCAPE '\\' "
                               "GROUP BY name ORDER BY count(*) DESC, name LIMIT 1", (like,)).fetchone()
        if row is not None and row[0] not in out:
            out.append(row[0])
        if len(out) >= limit:
            break
    return out


def temporal_ranking(conn: sqlite3.Connection, query: str, k: int, *, until_seq: int | None = None,
                     types: Sequence[str] | None = None) -> list[tuple[int, float]]:
    """(commit seq, score) for the files the query names: the commits that changed them (score 1),
    then those that changed their most frequent co-changing files (score: the pair's count over
    the largest), newest first within a score."""
    if types is not None and "commit" not in types:
        return []
    files = named_files(conn, query)
    if not files:
        return []
    weights: dict[str, float] = {f: 1.0 for f in files}
    for f in files:
        rows = conn.execute(
            "SELECT other, count FROM (SELECT file_b AS other, count FROM co_changes WHERE file_a = ? "
            "UNION ALL SELECT file_a, count FROM co_changes WHERE file_b = ?) ORDER BY count DESC, other LIMIT ?",
            (f, f, TEMPORAL_NEIGHBOURS)).fetchall()
        top = rows[0][1] if rows else 1
        for other, count in rows:
            weights[other] = max(weights.get(other, 0.0), 0.5 * count / top)
    scores: dict[int, float] = {}
    cap = until_seq if until_seq is not None else 1 << 62
    for name, weight in weights.items():
        for (seq,) in conn.execute("SELECT seq FROM file_history WHERE name = ? AND seq <= ? ORDER BY seq DESC LIMIT ?",
                                   (name, cap, k)):
            scores[seq] = max(scores.get(seq, 0.0), weight)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))
    if not ranked:
        return []
    # Only commits that are documents (a commit without a message is not), and not removed.
    marks = ",".join("?" * len(ranked))
    known = {r[0] for r in conn.execute(f"SELECT seq FROM scry_docs WHERE seq IN ({marks}) AND type = 'commit'",
                                        [s for s, _ in ranked])}
    return [(s, w) for s, w in ranked if s in known][:k]


# ----------------------------------------------------------------------------------- fusion

CHAMPION_ORACLES = ("lexical", "semantic")


def fuse(rankings: dict[str, list[tuple[Any, float]]], weights: dict[str, float], k: int, limit: int,
         champions: int = 0) -> list[tuple[Any, float, dict[str, dict[str, float]]]]:
    """(key, fused score, {oracle: {rank, score}}) best first; ties by key.

    ``champions``: the best ``champions`` answers of the lexical and of the semantic oracle come
    right after the fused first, whatever their fused score. RRF rewards agreement, so when the
    two oracles agree on near-duplicates an answer one of them ranks first can fall out of the
    top five; this keeps it in (its fused score is kept, so scores need not decrease)."""
    from patina.oxidize.fusion import rrf

    fused = rrf({name: [key for key, _ in ranked] for name, ranked in rankings.items()}, k=k,
                weights={name: weights.get(name, 1.0) for name in rankings})
    if champions > 0 and fused:
        best = {key for name in CHAMPION_ORACLES for key, _ in rankings.get(name, [])[:champions]}
        first = fused[:1]
        promoted = [item for item in fused[1:] if item[0] in best]
        fused = first + promoted + [item for item in fused[1:] if item[0] not in best]
    fused = fused[:limit]
    where: dict[Any, dict[str, dict[str, float]]] = {}
    for name, ranked in rankings.items():
        for rank, (key, score) in enumerate(ranked, start=1):
            where.setdefault(key, {}).setdefault(name, {"rank": rank, "score": round(float(score), 4)})
    return [(key, score, where.get(key, {})) for key, score in fused]


def _merged(lists: list[list[tuple[Any, float]]]) -> list[tuple[Any, float]]:
    """Several databases' rankings of one oracle as one: by score, then key."""
    every = [item for ranked in lists for item in ranked]
    return sorted(every, key=lambda item: (-round(item[1], 9), item[0]))


def _key(hit: Hit) -> tuple:
    return (hit.tag != "PROJECT", hit.project or "", hit.seq)


# ----------------------------------------------------------------------------------- the answer

def hybrid(query: str, terms: list[str], *, projects: Sequence[tuple[str | None, str]], persona_home: str | None,
           limit: int, until_ts: str | None, types: Sequence[str] | None, mode: str | None, explain: bool,
           code: bool, strict: bool, engine, data_dirs: dict[str, str] | None = None, fusion=None):
    """((hits, mode used) or None when no project could be searched semantically, so the caller
    answers lexically; the problems of projects that could not be searched; notes for stderr)."""
    from patina.scry import semantic
    from patina.scry.search import cutoff_seq, each_project

    notes: list[str] = []
    problems: list[str] = []
    lexical: list[list] = []
    sem: list[list] = []
    temporal: list[list] = []
    hits: dict[tuple, Hit] = {}
    settings = fusion
    any_semantic = False
    fetch_more = limit
    for name, path, conn in each_project(projects, strict, problems):
        if settings is None:
            settings = fusion_settings(conn)
        fetch = max(settings.depth, limit)
        fetch_more = fetch
        tag = "PROJECT"
        data_dir = (data_dirs or {}).get(path) or _data_dir(path)
        if mode is None and not has_vectors(conn):
            encoder = extra = None
        else:
            try:
                encoder, extra = engine.prepare(conn, path, data_dir)
            except semantic.Lagging as lag:
                encoder, extra = lag.encoder, None
                notes.append(f"{lag} (`patina oxidize`, or the hooks' background job, embeds them): "
                             "semantic results leave the newest out")
            except semantic.Unavailable as why:
                encoder = extra = None
                notes.append(f"semantic search unavailable{f' for {name}' if name else ''}: {why}; "
                             "lexical results only")
        cutoff = cutoff_seq(conn, until_ts)
        # The semantic oracle's vector work runs on a thread while the lexical one queries SQLite.
        pending = engine.begin(conn, path, data_dir, query, fetch, encoder=encoder, extra=extra, until_seq=cutoff,
                               code=code) if encoder is not None else None
        lex = search_db(conn, terms, limit=fetch, tag=tag, project=name, until=until_ts, types=types) \
            if terms else []
        if code:
            lex = search_code(path, terms, lex, limit=fetch, until=until_ts, types=types, project=name)
        if pending is not None:
            any_semantic = True
            ranked = engine.finish(conn, pending, fetch, until_seq=cutoff, types=types, code=code)
            found = doc_hits(conn, [r.seq for r in ranked], tag=tag, project=name)
            one = []
            for r in ranked:
                hit = found.get(r.seq)
                if hit is not None:
                    hits.setdefault(_key(hit), hit)
                    one.append((_key(hit), r.score))
            sem.append(one)
        floor = settings.lexical_floor
        one = []
        for hit in lex:
            if hit.score >= floor:
                hits.setdefault(_key(hit), hit)
                one.append((_key(hit), hit.score))
        lexical.append(one)
        ranked_t = temporal_ranking(conn, query, fetch, until_seq=cutoff, types=types)
        if ranked_t:
            found = doc_hits(conn, [s for s, _ in ranked_t], tag=tag, project=name)
            one = []
            for seq, score in ranked_t:
                hit = found.get(seq)
                if hit is not None:
                    hits.setdefault(_key(hit), hit)
                    one.append((_key(hit), score))
            temporal.append(one)
    if not any_semantic:
        return None, problems, notes
    from patina.oxidize.recipe import Fusion

    settings = settings or Fusion()
    rankings: dict[str, list] = {"semantic": _merged(sem)[:fetch_more]}
    used = mode or "hybrid"
    if used == "hybrid":
        rankings["lexical"] = _merged(lexical)[:fetch_more]
        rankings["temporal"] = _merged(temporal)[:fetch_more]
        if persona_home is not None:
            from patina.scry import persona

            pconn = persona.open_db(persona_home, create=False)
            if pconn is not None:
                try:
                    found = search_db(pconn, terms, limit=fetch_more, tag="PERSONA", until=until_ts, types=types)
                finally:
                    pconn.close()
                for hit in found:
                    hits.setdefault(_key(hit), hit)
                rankings["persona"] = [(_key(h), h.score) for h in found]
    weights = {"lexical": settings.lexical, "semantic": settings.semantic, "temporal": settings.temporal,
               "persona": settings.persona}
    fused = fuse({n: r for n, r in rankings.items() if r}, weights, settings.k, limit, settings.champions)
    best = max((score for _, score, _ in fused), default=1.0)
    out = []
    for key, score, where in fused:
        hit = replace(hits[key], score=score / best if best > 0 else 0.0)
        if explain:
            hit = replace(hit, explain={"rrf": round(score, 6),
                                        **{o: where.get(o) for o in ORACLES if o in rankings}})
        out.append(hit)
    return (out, used), problems, notes


def _data_dir(db_path: str) -> str:
    import os

    return os.path.dirname(os.path.abspath(db_path))


PERSONA_WEIGHT = PERSONA_WEIGHT  # re-exported: the persona oracle's default weight (recipe fusion.persona)
