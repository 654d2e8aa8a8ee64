"""Scry latency on a large log (default 120,000 events), warm.

Builds a synthetic log with patina.store (create_schema + append): commits and session items
whose words are drawn (fixed seed) from the vocabulary of the real session fixtures, so term
frequencies look like real notes, plus revisions. Every event is one the index reads (the
worst case: real logs are mostly code events the index skips). Then it times:

  index build    SearchIndex.absorb from seq 0 (what a full scrape pays)
  absorb 1 step  a hook-sized append (one commit + 5 session items) absorbed incrementally
  search_db      one query on an open connection (the index itself)
  scry()         the CLI's whole search: open + health check + query + persona (none)
  HTTP /scry     the service, through a real HTTP client on 127.0.0.1
  LIKE scan      reference: a plain substring scan of the same documents, no index

    /tmp/venv/bin/python bench/bench_scry.py [--events 120000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from patina import store  # noqa: E402
from patina.events import Event, utc_timestamp  # noqa: E402
from patina.scry.index import SearchIndex  # noqa: E402
from patina.scry.search import query_terms, scry, search_db  # noqa: E402

TARGET_MS = 50.0
TYPES = ("decision", "pattern", "work", "context", "observation")


def vocabulary(kind: str) -> tuple[list[str], list[float] | None]:
    """(words, weights) to draw document words from.

    dense: the words of the session fixtures with their repeats, so ~2,500 distinct words
           fill every document (a worst case: every query term is common).
    zipf:  the fixture words by frequency, then a tail of 40,000 rarer word forms, drawn
           with Zipf weights 1/rank: the shape of real notes and commit messages.
    """
    words: list[str] = []
    for path in sorted((ROOT / "tests" / "fixtures" / "sessions").glob("*.md")):
        words += re.findall(r"[A-Za-z][A-Za-z0-9_]{1,}", path.read_text(encoding="utf-8"))
    if kind == "dense":
        return words, None
    counts: dict[str, int] = {}
    for w in words:
        counts[w.lower()] = counts.get(w.lower(), 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    ranked += [f"{a}{b}{c}" for a in ("ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "ze")
               for b in ("bar", "cen", "dol", "fim", "gur", "hex", "jot", "kip", "lum", "mor")
               for c in range(400)]
    return ranked, [1.0 / (i + 1) for i in range(len(ranked))]


def synthetic_events(n: int, rng: random.Random, kind: str = "zipf") -> list[Event]:
    population, weights = vocabulary(kind)
    cum = None
    if weights is not None:
        import itertools

        cum = list(itertools.accumulate(weights))

    class _Words:
        def choices(self, _ignored, k):
            return rng.choices(population, cum_weights=cum, k=k)

    words = population
    rng_words = _Words()
    start = 1_700_000_000
    events: list[Event] = []
    recent: list[tuple[str, str, str]] = []
    i = 0
    while len(events) < n:
        i += 1
        stamp = utc_timestamp(start + i * 600)
        sid = f"{20240101 + i // 500:08d}-{i % 500:06d}"
        path = f"layer/sessions/{sid}.md"
        if i % 4 == 0:
            msg = " ".join(rng_words.choices(words, k=rng.randint(4, 12)))
            body = " ".join(rng_words.choices(words, k=rng.randint(0, 40)))
            events.append(Event("git.commit", stamp, f"{i:040x}", None,
                                {"message": f"{msg}\n\n{body}", "committer_time": stamp}))
            continue
        kind = TYPES[i % 5]
        content = " ".join(rng_words.choices(words, k=rng.randint(5, 25)))
        key = f"k{i}"
        events.append(Event(f"session.{kind}", stamp, sid, path,
                            {"session_id": sid, "type": kind, "content": content, "section": "Key Decisions",
                             "detail": None, "activity": None, "commit": None, "key": key}))
        recent.append((sid, path, key))
        if i % 50 == 0 and recent:  # now and then a revision removes an earlier item
            rsid, rpath, rkey = recent[-3] if len(recent) > 3 else recent[0]
            events.append(Event("session.revised", stamp, rsid, rpath,
                                {"session_id": rsid, "removed": [{"type": kind, "content": "", "key": rkey}],
                                 "deleted_file": False, "session_removed": False}))
    return events[:n]


CPU: dict[str, list[float]] = {}  # per-run CPU ms by label (the machine is shared: wall time alone misleads)


def timed(fn, repeat: int, label: str | None = None) -> list[float]:
    out = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if label is not None:
            CPU.setdefault(label, []).append((time.process_time() - c0) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    p90 = ms[min(len(ms) - 1, int(round(0.90 * (len(ms) - 1))))]
    return (f"median {statistics.median(ms):7.2f} ms   p90 {p90:7.2f} ms   p95 {p95:7.2f} ms   "
            f"max {ms[-1]:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query (after one warm-up)")
    parser.add_argument("--corpus", choices=("zipf", "dense"), default="zipf",
                        help="word distribution (see vocabulary()); dense is the worst case")
    args = parser.parse_args()
    queries = [q["query"] for q in json.loads((ROOT / "tests" / "scry_queries.json").read_text())["queries"]]
    queries += ["error handling", "the session", "patina", "git commit", "patina session log"]  # common words

    with tempfile.TemporaryDirectory(prefix="patina-bench-scry-") as tmp:
        db = os.path.join(tmp, "patina.db")
        rng = random.Random(7)
        events = synthetic_events(args.events, rng, args.corpus)
        conn = store.connect(db)
        store.create_schema(conn)
        conn.execute("BEGIN")
        store.append(conn, events, 0)
        conn.execute("COMMIT")
        index = SearchIndex()
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        index.absorb(conn, 0)
        conn.execute("COMMIT")
        build_s = time.perf_counter() - t0
        from patina.derived.base import last_event, set_meta

        # One hook-sized step: append and absorb 6 events.
        step = synthetic_events(6, random.Random(8), args.corpus)
        last = store.last_seq(conn)
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        store.append(conn, step, last)
        index.absorb(conn, last)
        conn.execute("COMMIT")
        step_ms = (time.perf_counter() - t0) * 1000
        set_meta(conn, index.name, *last_event(conn))
        docs, removed = conn.execute("SELECT count(*), count(removed_seq) FROM scry_docs").fetchone()
        size_mb = os.path.getsize(db) / 1e6

        print(f"corpus: {args.corpus}; log: {store.last_seq(conn):,} events, {docs:,} indexed documents ({removed:,} removed), "
              f"database {size_mb:.0f} MB")
        print(f"index build (absorb from 0): {build_s:.2f} s; one hook step (6 events): {step_ms:.1f} ms")
        print(f"{len(queries)} queries, each run once to warm up then {args.repeat} times; limit 10\n")

        matches = {}
        per_query_db, per_query_scry, per_query_like = [], [], []
        cpu_db: list[float] = []
        cpu_scry: list[float] = []
        for q in queries:
            terms = query_terms(q)
            search_db(conn, terms, limit=10, tag="PROJECT")
            per_query_db.append(statistics.median(timed(lambda: search_db(conn, terms, limit=10, tag="PROJECT"),
                                                         args.repeat, "search_db")))
            cpu_db.append(statistics.median(CPU["search_db"][-args.repeat:]))
            scry(q, projects=[(None, db)], persona_home=None)
            per_query_scry.append(statistics.median(timed(lambda: scry(q, projects=[(None, db)], persona_home=None),
                                                          args.repeat, "scry")))
            cpu_scry.append(statistics.median(CPU["scry"][-args.repeat:]))
            matches[q] = conn.execute("SELECT count(*) FROM scry_fts WHERE scry_fts MATCH ?",
                                      (" OR ".join(f'"{t}"' for t in terms),)).fetchone()[0]
        like_sql = ("SELECT seq FROM scry_docs WHERE removed_seq IS NULL AND (" +
                    " OR ".join(["content LIKE ?"] * 2) + ") LIMIT 10")
        for q in queries[:5]:
            terms = (query_terms(q) + query_terms(q))[:2]
            per_query_like.append(statistics.median(timed(
                lambda: conn.execute(like_sql, [f"%{t}%" for t in terms]).fetchall(), 3)))

        from patina.scry.service import RunningServer

        home = os.path.join(tmp, "home")
        os.makedirs(home)
        http_ms = []
        with RunningServer(home_dir=home) as srv:
            # A registered project whose database is the synthetic one.
            proj = os.path.join(tmp, "proj")
            os.makedirs(os.path.join(proj, ".patina", "data"))
            os.link(db, os.path.join(proj, ".patina", "data", "patina.db"))
            with open(os.path.join(home, "projects.registry"), "w") as fh:
                fh.write(f"bench: {json.dumps(proj)}\n")
            for q in queries:
                body = json.dumps({"query": q, "persona": False}).encode()
                req = urllib.request.Request(srv.url + "/scry", data=body,
                                             headers={"content-type": "application/json"})
                urllib.request.urlopen(req, timeout=30).read()
                http_ms += timed(lambda: urllib.request.urlopen(req, timeout=30).read(), 5)
        conn.close()

    worst = max(range(len(queries)), key=lambda i: per_query_scry[i])
    print(f"{'':24}{'per-query medians':>20}")
    print(f"search_db (open conn)   {summary(per_query_db)}")
    print(f"  CPU time              {summary(cpu_db)}")
    print(f"scry() end to end       {summary(per_query_scry)}")
    print(f"  CPU time              {summary(cpu_scry)}")
    print(f"HTTP POST /scry         {summary(http_ms)}")
    print(f"reference: LIKE scan    {summary(per_query_like)}   (2 terms, first 5 queries, no ranking)")
    print(f"target                  < {TARGET_MS:.0f} ms per query, warm")
    print(f"\nslowest query: {queries[worst]!r} ({matches[queries[worst]]:,} matching documents): "
          f"{per_query_scry[worst]:.2f} ms")
    labelled = per_query_scry[:-5]
    for name, values in (("labelled queries", labelled), ("all queries", per_query_scry),
                         ("all queries, CPU", cpu_scry)):
        within = sum(v < TARGET_MS for v in values)
        print(f"{name:17}: {within}/{len(values)} under {TARGET_MS:.0f} ms; "
              f"median {statistics.median(values):.2f} ms, slowest {max(values):.2f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.exit(main())
