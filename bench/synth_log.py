"""A synthetic Patina log: N git.commit events (plus sessions) written straight into a database.

Shapes follow patina.sources.git.commit_event and the session source, with realistic skew:
files cluster in directories, most commits touch 1-3 files, a few touch hundreds (vendoring,
reformats), ~4% are merges, authors follow a long tail, one session every ~50 commits with
decisions that sometimes name a commit. Deterministic for a given seed.

    python bench/synth_log.py /tmp/synth.db --commits 50000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time

from patina import store
from patina.events import Event, canonical_json, utc_timestamp

START = 1_420_070_400  # 2015-01-01T00:00:00Z
WORDS = ("fix add remove refactor parser cache index query session config test docs build release "
         "merge update bump speed memory leak schema migration api handler route auth token user "
         "error logging retry timeout deadlock race flaky ci lint format typo").split()


def _files_per_commit(rnd: random.Random) -> int:
    r = rnd.random()
    if r < 0.70:
        return rnd.randint(1, 3)
    if r < 0.92:
        return rnd.randint(4, 10)
    if r < 0.99:
        return rnd.randint(11, 30)
    return rnd.randint(31, 300)


def generate(conn: sqlite3.Connection, commits: int, seed: int = 1, max_files: int = 30) -> dict:
    """Fill an empty database; returns facts the bench uses (a busy file, a session id, times)."""
    rnd = random.Random(seed)
    dirs = [f"src/mod{d:03d}" for d in range(120)]
    paths = [f"{d}/file{f:03d}.py" for d in dirs for f in range(rnd.randint(5, 40))]
    by_dir: dict[str, list[str]] = {}
    for p in paths:
        by_dir.setdefault(p.rsplit("/", 1)[0], []).append(p)
    authors = [(f"Dev {i:02d}", f"dev{i:02d}@example.com") for i in range(60)]
    weights = [1.0 / (i + 1) for i in range(len(authors))]
    store.create_schema(conn)
    store.set_meta(conn, "config_json", canonical_json({"cochange": {"max_files": max_files}}))
    conn.execute("BEGIN")
    now = START
    seq = 0
    shas: list[str] = []
    sessions: list[str] = []
    batch: list[Event] = []
    fp_rows: list[tuple[int, str, int]] = []
    for i in range(commits):
        now += rnd.randint(60, 4 * 3600)
        sha = f"{rnd.getrandbits(160):040x}"
        author, email = rnd.choices(authors, weights)[0]
        merge = rnd.random() < 0.04 and len(shas) > 2
        n = _files_per_commit(rnd)
        home = rnd.choice(dirs)
        chosen = set()
        while len(chosen) < min(n, len(paths)):
            chosen.add(rnd.choice(by_dir[home]) if rnd.random() < 0.7 else rnd.choice(paths))
        files = [{"path": p, "status": rnd.choice("MMMMMAD"), "lines_added": rnd.randint(0, 80),
                  "lines_removed": rnd.randint(0, 40), "binary": False} for p in sorted(chosen)]
        words = " ".join(rnd.choices(WORDS, k=rnd.randint(2, 8)))
        data = {"sha": sha, "message": f"{words}\n\nDetails of change {i}.\n", "author": author, "email": email,
                "author_offset": "+00:00", "committer": author, "committer_email": email,
                "committer_time": utc_timestamp(now), "committer_offset": "+00:00",
                "parents": [shas[-1], shas[-2]] if merge else ([shas[-1]] if shas else []),
                "is_merge": merge, "first_parent": True, "files": files}
        batch.append(Event("git.commit", utc_timestamp(now), sha, None, data))
        shas.append(sha)
        if i % 50 == 25:  # a session around this commit
            sid = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}"
            path = f"layer/sessions/{sid}.md"
            sessions.append(sid)
            batch.append(Event("session.started", utc_timestamp(now), sid, path,
                               {"session_id": sid, "title": f"session {len(sessions)}", "goals": []}))
            for k in range(8):
                kind = "decision" if k < 3 else rnd.choice(("pattern", "work", "context", "observation"))
                named = rnd.choice(shas[-20:])[:8] if kind == "decision" and rnd.random() < 0.3 else None
                batch.append(Event(f"session.{kind}", utc_timestamp(now + 600 * k), sid, path, {
                    "session_id": sid, "type": kind, "content": " ".join(rnd.choices(WORDS, k=6)),
                    "section": "Key Decisions", "detail": None, "activity": None, "commit": named,
                    "key": f"{kind}:{k}"}))
        seq = store.append(conn, batch, seq)
        fp_rows.append((i + 1, sha, seq))
        batch = []
    conn.executemany("INSERT INTO fp_chain(pos, sha, last_seq) VALUES (?, ?, ?)", fp_rows)
    store.set_meta(conn, "head", shas[-1])
    conn.execute("COMMIT")
    busiest = conn.execute("SELECT file_a FROM (SELECT value ->> '$.path' AS file_a FROM eventlog, "
                           "json_each(data, '$.files') WHERE event_type = 'git.commit') "
                           "GROUP BY file_a ORDER BY count(*) DESC, file_a LIMIT 1").fetchone()[0]
    return {"busiest_file": busiest, "session": sessions[len(sessions) // 2], "author": authors[0][0],
            "mid": utc_timestamp(START + (now - START) // 2), "last_time": now, "last_seq": seq,
            "shas": shas[-2:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--commits", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    conn = sqlite3.connect(args.db, isolation_level=None)
    t0 = time.perf_counter()
    facts = generate(conn, args.commits, args.seed)
    print(f"{args.commits} commits, {facts['last_seq']} events in {time.perf_counter() - t0:.1f} s -> {args.db}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
