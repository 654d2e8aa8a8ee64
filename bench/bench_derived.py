"""Derived state and projections on a synthetic log of >= 50,000 commits.

Prints, beside the targets of issue 5:
  - full materialization of each derived table;
  - incremental materialization of ONE new commit (the hook path), for a typical
    3-file commit and for a max_files (30-path) commit: target < 20 ms;
  - every projection, all rows fetched (wall and CPU time: the machine is shared): target < 2 s;
    a few with --limit 10 (an index-ordered projection stops early); and, as the reference, the
    spec's quadratic collaboration query (EXISTS over json_each), stopped after 10 s.

    python bench/bench_derived.py [--commits 50000] [--db /tmp/patina-bench-derived.db]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import table  # noqa: E402
from synth_log import generate  # noqa: E402

from patina import derived, projections, store  # noqa: E402
from patina.events import Event, utc_timestamp  # noqa: E402

MINE = ["co_changes", "author_expertise", "term_stats"]

SPEC_COLLABORATION = """
SELECT a.data ->> '$.author' AS author_a, b.data ->> '$.author' AS author_b,
       count(DISTINCT fa.value ->> '$.path') AS shared_files
FROM eventlog a, json_each(a.data, '$.files') fa, eventlog b
WHERE a.event_type = 'git.commit' AND b.event_type = 'git.commit'
  AND a.data ->> '$.author' < b.data ->> '$.author'
  AND EXISTS (SELECT 1 FROM json_each(b.data, '$.files') fb WHERE fb.value ->> '$.path' = fa.value ->> '$.path')
GROUP BY 1, 2
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def new_commit(i: int, when: int, paths: list[str]) -> Event:
    sha = f"{0xbe7c4 + i:040x}"
    files = [{"path": p, "status": "M", "lines_added": 3, "lines_removed": 1, "binary": False} for p in paths]
    data = {"sha": sha, "message": f"bench commit {i}\n", "author": "Dev 01", "email": "dev01@example.com",
            "author_offset": "+00:00", "committer": "Dev 01", "committer_email": "dev01@example.com",
            "committer_time": utc_timestamp(when), "committer_offset": "+00:00", "parents": ["0" * 40],
            "is_merge": False, "first_parent": True, "files": files}
    return Event("git.commit", utc_timestamp(when), sha, None, data)


def bench_incremental(conn: sqlite3.Connection, facts: dict, width: int,
                      runs: int = 15) -> tuple[float, float, float]:
    """(median absorb, max absorb, median whole transaction) seconds for one commit of ``width``
    paths: derived.absorb_all alone, and append + absorb + COMMIT (whose fsync is the
    pipeline's cost whatever the materializers do), each commit in its own transaction."""
    paths = [p for (p,) in conn.execute("SELECT DISTINCT file_a FROM co_changes ORDER BY file_a LIMIT ?",
                                        (width,))]
    absorb, whole = [], []
    when = facts["last_time"] + width * 100_000
    for i in range(runs):
        when += 60
        ev = new_commit(width * 1000 + i + len(derived.MATERIALIZERS) * 100, when, paths)
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        store.append(conn, [ev], store.last_seq(conn))
        t1 = time.perf_counter()
        derived.absorb_all(conn, None)
        absorb.append(time.perf_counter() - t1)
        conn.execute("COMMIT")
        whole.append(time.perf_counter() - t)
    return statistics.median(absorb), max(absorb), statistics.median(whole)


def timed_query(conn: sqlite3.Connection, name: str, params: dict[str, str],
                limit: int | None = None) -> tuple[float, float, int]:
    """(wall, CPU, rows) of the fastest of 3 runs of ``projections.run``."""
    best = (float("inf"), 0.0)
    n = 0
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        _, rows = projections.run(conn, name, params, limit)
        took = (time.perf_counter() - t, time.process_time() - c)
        n = len(rows)
        best = min(best, took)
    return best[0], best[1], n


def spec_reference(conn: sqlite3.Connection, limit_s: float = 10.0) -> str:
    start = time.perf_counter()
    conn.set_progress_handler(lambda: int(time.perf_counter() - start > limit_s), 100_000)
    try:
        conn.execute(SPEC_COLLABORATION).fetchall()
        return f"{time.perf_counter() - start:.2f} s"
    except sqlite3.OperationalError:
        return f"> {limit_s:.0f} s (stopped)"
    finally:
        conn.set_progress_handler(None, 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=50_000)
    ap.add_argument("--db", default="/tmp/patina-bench-derived.db")
    ap.add_argument("--no-reference", action="store_true", help="Skip the spec's quadratic query.")
    args = ap.parse_args()
    for suffix in ("", "-journal"):
        if os.path.exists(args.db + suffix):
            os.remove(args.db + suffix)
    conn = store.connect(args.db)
    t = time.perf_counter()
    facts = generate(conn, args.commits)
    print(f"synthetic log: {args.commits} commits, {facts['last_seq']} events "
          f"({time.perf_counter() - t:.1f} s to generate)\n")

    print("full materialization (materialize --full), per table:")
    rows = []
    for name in MINE:
        conn.execute("BEGIN")
        t = time.perf_counter()
        derived.rebuild_all(conn, only=[name])
        took = time.perf_counter() - t
        conn.execute("COMMIT")
        count = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # noqa: S608
        rows.append((name, f"{took:.2f} s", count))
    others = [m.name for m in derived.load_all() if m.name not in MINE]
    if others:  # the other registered materializers, so absorb_all below starts current
        conn.execute("BEGIN")
        t = time.perf_counter()
        derived.rebuild_all(conn, only=others)
        conn.execute("COMMIT")
        rows.append(("(others: " + ", ".join(others) + ")", f"{time.perf_counter() - t:.2f} s", ""))
    print(table(rows, ("table", "time", "rows")), "\n")

    print("incremental: one new commit; derived.absorb_all alone (target < 20 ms), and the whole\n"
          "transaction: append + absorb + COMMIT with the store's synchronous=FULL fsync:")
    rows = []
    for width in (3, 30):
        saved = derived.MATERIALIZERS
        mine = [s for s in saved if s.rsplit(":", 1)[0].rsplit(".", 1)[-1] in ("cochange", "expertise", "terms")]
        derived.MATERIALIZERS = mine
        med, worst, whole = bench_incremental(conn, facts, width)
        derived.MATERIALIZERS = saved
        rows.append((f"{width}-path commit", "co_changes + author_expertise", ms(med), ms(worst), ms(whole), "20 ms"))
        med, worst, whole = bench_incremental(conn, facts, width)
        rows.append((f"{width}-path commit", "all registered", ms(med), ms(worst), ms(whole), "20 ms"))
    print(table(rows, ("commit", "materializers", "absorb median", "absorb max", "transaction", "target")), "\n")

    conn.close()
    ro = store.connect(args.db, readonly=True)
    cases: list[tuple[str, dict[str, str], int | None]] = [(name, params, None) for name, params in [
        ("decision-context", {}),
        ("decision-context", {"session": facts["session"]}),
        ("co-occurrence", {}),
        ("co-occurrence", {"file": facts["busiest_file"]}),
        ("collaboration", {}),
        ("collaboration", {"author": facts["author"]}),
        ("causality", {}),
        ("decisions-between", {"since": facts["mid"][:10]}),
        ("commits-around", {"session": facts["session"], "days": "7"}),
        ("as-of", {"at": facts["mid"]}),
        ("as-of", {"at": facts["mid"], "type": "session.*"}),
    ]]
    cases += [(name, {}, 10) for name in ("decision-context", "co-occurrence", "collaboration", "causality")]
    cases.append(("causality", {"session": facts["session"]}, None))
    rows = []
    for name, params, limit in cases:
        wall, cpu, n = timed_query(ro, name, params, limit)
        shown = " ".join([f"{k}={v}" for k, v in params.items()] + ([f"--limit {limit}"] if limit else []))
        rows.append((name, shown, n, f"{wall:.3f} s", f"{cpu:.3f} s", "2 s"))
    print("projections, all rows fetched unless --limit (best of 3; target < 2 s):")
    print(table(rows, ("projection", "params", "rows", "wall", "CPU", "target")), "\n")
    if not args.no_reference:
        print("reference: the spec's collaboration query (quadratic EXISTS over json_each):",
              spec_reference(ro), " vs collaboration above")


if __name__ == "__main__":
    main()
