"""The whole history build on a real repository, beside `git log --numstat`, as a user gets it
(`patina init` in a fresh clone, the default config: every source on).

    python bench/bench_history.py /work/real/flask [--runs 3] [--python PY] [--profile]
    python bench/bench_history.py /work/.mirror/git+git/repo --runs 1

Prints, side by side: `git log --numstat` (first-parent diffs, what the git source reads),
the full build cold (no `.patina/data` at all: no cache) and warm (`scrape --full` with the
cache the cold build left), events per type, the database and cache sizes beside `.git`.
``--python``: the interpreter whose Patina is measured (an older checkout's venv, for a
before/after). ``--profile``: one extra cold build in a single process under cProfile,
with its CPU split into stages (git, blob reads, parse, query, facts, events, SQLite, derived).
A bare repository (a mirror) is cloned to a scratch directory first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PY, clean_env, table, timed  # noqa: E402

# Stage -> the functions that are it: (module stem, function name), or a substring of a C
# method's cProfile name. A stage's CPU is the cumulative time of its outermost such frames.
STAGES = [
    ("git", [("git", "parse_log"), ("git", "read_graph"), ("git", "iter_records"), ("update", "_shared_base")]),
    ("blob reads", [("gitcmd", "__call__"), ("gitcmd", "many")]),
    ("parse", ["'parse' of 'tree_sitter.Parser'"]),
    ("query", ["'matches' of 'tree_sitter.QueryCursor'", "'captures' of 'tree_sitter.QueryCursor'"]),
    # facts: building them from the query matches (incremental._Build.run, or extract's builder
    # before it), less the query matching inside it (subtracted below)
    ("facts", [("extract", "build"), ("incremental", "run")]),
    ("events", [("facts", "delta"), ("facts", "events_of"), ("facts", "diff_events"), ("git", "commit_event")]),
    ("SQLite", [("store", "append"), ("store", "chain_append")]),
    ("derived", [("__init__", "absorb_all")]),
]


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def prepare(source: str, workdir: Path) -> Path:
    repo = workdir / ("history-" + Path(source.rstrip("/")).name.replace(".git", ""))
    if repo.name == "history-repo":
        repo = workdir / ("history-" + Path(source).parent.name)
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", source, str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--no-progress", "HEAD", "--", "."],
                       check=False, capture_output=True)
    return repo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", help="a clone (or a bare mirror) of the repository to measure")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default=PY, help="the Python whose Patina builds the log")
    ap.add_argument("--workdir", default="/tmp/patina-bench")
    ap.add_argument("--profile", action="store_true", help="also split one cold build's CPU into stages")
    a = ap.parse_args()
    repo = prepare(a.repo, Path(a.workdir))
    env = clean_env()
    data = repo / ".patina" / "data"
    patina = [a.python, "-m", "patina"]
    subprocess.run(patina + ["init"], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)

    git_log = ["git", "-C", str(repo), "log", "-z", "--numstat", "--diff-merges=first-parent", "HEAD"]
    g_wall, _ = timed(git_log, runs=a.runs)
    colds, warms = [], []
    peak = 0
    for _ in range(a.runs):
        shutil.rmtree(data, ignore_errors=True)
        wall, mem = timed(patina + ["scrape", "--quiet", "--repo", str(repo)], cwd=repo, runs=1, env=env)
        colds.append(wall)
        peak = max(peak, mem)
        wall, _ = timed(patina + ["scrape", "--full", "--quiet", "--repo", str(repo)], cwd=repo, runs=1, env=env)
        warms.append(wall)
    cold, warm = sorted(colds)[len(colds) // 2], sorted(warms)[len(warms) // 2]
    db = data / "patina.db"
    conn = sqlite3.connect(db)
    events = dict(conn.execute("SELECT event_type, count(*) FROM eventlog GROUP BY 1 ORDER BY 2 DESC"))
    commits = conn.execute("SELECT count(*) FROM eventlog WHERE event_type = 'git.commit'").fetchone()[0]
    conn.close()
    git_dir = Path(subprocess.run(["git", "-C", str(repo), "rev-parse", "--absolute-git-dir"], capture_output=True,
                                  text=True, check=True).stdout.strip())
    source_git = Path(a.repo) if (Path(a.repo) / "objects").is_dir() else Path(a.repo) / ".git"
    print(f"\n{a.repo}: {commits} commits; {a.python}; median of {a.runs}; load {os.getloadavg()[0]:.2f}")
    print(table([
        ("git log --numstat (first-parent)", f"{g_wall:.2f}", "1.00x"),
        ("patina scrape, cold (no .patina/data)", f"{cold:.2f}", f"{cold / g_wall:.2f}x"),
        ("patina scrape --full, warm (cache)", f"{warm:.2f}", f"{warm / g_wall:.2f}x"),
    ], ("build", "wall s", "vs git")))
    print(f"peak memory (largest process): {peak / 1024:.0f} MiB")
    sizes = [("database", du(db)), ("cache", du(data / "cache")), (".git (the clone's)", du(git_dir)),
             (".git (the source's)", du(source_git) if source_git.exists() else 0)]
    print(table([(n, f"{s / 1e6:.1f}") for n, s in sizes], ("file", "MB")))
    print(table([(k, v) for k, v in events.items()] + [("total", sum(events.values()))], ("event type", "events")))
    if a.profile:
        profile(repo, a.python, env)


def query_inside_facts(stats: dict) -> float:
    """The query stage's time spent under incremental._Build.run (which calls the query cursor)."""
    total = 0.0
    for fn, (_, _, _, cum, callers) in stats.items():
        if fn[0] == "~" and any(n in fn[2] for n in STAGES[3][1]):
            total += sum(c[3] for caller, c in callers.items() if Path(caller[0]).stem == "incremental")
    return total


def profile(repo: Path, python: str, env: dict) -> None:
    """One cold build in one process (no parse worker) under cProfile, its CPU by stage."""
    out = Path(repo) / ".patina" / "profile.out"
    shutil.rmtree(repo / ".patina" / "data", ignore_errors=True)
    code = ("import cProfile, sys; import patina.sources.code.history as h; h.PARALLEL_MIN = 10**9\n"
            "from patina import repo, update\n"
            "cProfile.run('update.update(repo.discover(sys.argv[1]))', sys.argv[2])\n")
    t = time.perf_counter()
    subprocess.run([python, "-c", code, str(repo), str(out)], cwd=repo, env=env, check=True)  # cwd: not this checkout on sys.path
    wall = time.perf_counter() - t
    import pstats

    stats = pstats.Stats(str(out)).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    rows = []
    total_cpu = max(cum for _, _, _, cum, _ in stats.values())
    for stage, names in STAGES:
        def matches(fn, names=names) -> bool:
            for n in names:
                if isinstance(n, str) and fn[0] == "~" and n in fn[2]:
                    return True
                if isinstance(n, tuple) and fn[0] != "~" and (Path(fn[0]).stem, fn[2]) == n:
                    return True
            return False

        total = sum(cum for fn, (_, _, _, cum, callers) in stats.items()
                    if matches(fn) and not any(matches(c) for c in callers))
        if stage == "facts":
            total -= query_inside_facts(stats)
        rows.append((stage, f"{total:.2f}"))
    rows.append(("(the whole build)", f"{total_cpu:.2f}"))
    print(f"\none cold build in one process under cProfile: {wall:.1f} s wall (profiling adds overhead)")
    print(table(rows, ("stage", "CPU s")))


if __name__ == "__main__":
    main()
