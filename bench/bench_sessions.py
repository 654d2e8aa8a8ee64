"""The session part of a post-commit update that adds one session file.

    python bench/bench_sessions.py [--runs 7] [--workdir /tmp/patina-bench-sessions]

For each real fixture (tests/fixtures/sessions), a repository with some history is built
and scraped; then one commit adds the session file under layer/sessions/, and the
incremental update for that commit (what ``patina hook post-commit`` runs) is timed in a
fresh interpreter each run, so mistune's import is cold every time, as in a hook:

- sessions ms: time inside ``SessionSource.events`` (lazy mistune import, parse, diff, events):
  wall median, wall of the best run, and CPU median (the last two are less disturbed by other
  load on a shared machine);
- update ms: the whole ``update()`` call (git, all diff sources, append, materializers);
- hook ms: the whole ``python -m patina hook post-commit`` process, for reference;
- reference: the same three for a commit that adds a plain text file instead.

Target: sessions ms < 30 for every fixture. Figures are medians over ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PY, clean_env, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "sessions"
TARGET_MS = 30.0

# Runs in a fresh interpreter: times SessionSource.events (cold mistune import) inside update().
DRIVER = r"""
import json, sys, time
t_start = time.perf_counter()
from patina import repo as prepo, update
import patina.sources.sessions as S
spent = [0.0, 0, 0.0]
original = S.SessionSource.events
def timed(self, ctx, commit, changes):
    t, c = time.perf_counter(), time.thread_time()
    out = list(original(self, ctx, commit, changes))
    spent[0] += time.perf_counter() - t
    spent[2] += time.thread_time() - c
    spent[1] += len(out)
    return out
S.SessionSource.events = timed
r = prepo.discover(sys.argv[1])
t = time.perf_counter()
res = update.update(r)
t_update = time.perf_counter() - t
print(json.dumps({"sessions_ms": spent[0] * 1000, "sessions_cpu_ms": spent[2] * 1000, "events": spent[1],
                  "update_ms": t_update * 1000,
                  "action": res.action, "mistune": "mistune" in sys.modules}))
"""


def git(cwd: Path, *args: str) -> None:
    env = clean_env()
    env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="Bench",
               GIT_COMMITTER_EMAIL="b@example.com", GIT_AUTHOR_DATE="@1700000000 +0000",
               GIT_COMMITTER_DATE="@1700000000 +0000", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def prepare(workdir: Path, name: str, content: bytes, history: int) -> tuple[Path, Path]:
    """A repo with ``history`` commits scraped into a database, then one commit adding ``name``.
    Returns (repo, saved database before that commit)."""
    slug = name.replace("/", "_")
    repo = workdir / f"repo-{slug}"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for i in range(history):
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / f"f{i % 20}.txt").write_text(f"line {i}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"commit {i}")
    subprocess.run([PY, "-m", "patina", "scrape", "--quiet", "--repo", str(repo)], check=True, env=clean_env())
    db = repo / ".patina/data/patina.db"
    saved = workdir / f"base-{slug}.db"
    shutil.copyfile(db, saved)
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")
    return repo, saved


def bench_env() -> dict[str, str]:
    """Like an installed Patina: bytecode is written and reused (a hook never compiles sources)."""
    env = clean_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(repo: Path, saved: Path) -> dict:
    db = repo / ".patina/data/patina.db"
    cache = repo / ".patina/data/cache/sessions"  # a file just committed was never parsed before
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copyfile(saved, db)
    out = subprocess.run([PY, "-c", DRIVER, str(repo)], capture_output=True, text=True, check=True, env=bench_env())
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shutil.copyfile(saved, db)
    shutil.rmtree(cache, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([PY, "-m", "patina", "hook", "post-commit"], cwd=repo, capture_output=True, env=bench_env())
    result["hook_ms"] = (time.perf_counter() - t) * 1000
    return result


def measure(workdir: Path, name: str, content: bytes, runs: int, history: int) -> dict:
    repo, saved = prepare(workdir, name, content, history)
    run_once(repo, saved)  # warm-up: bytecode caches, OS file cache
    results = [run_once(repo, saved) for _ in range(runs)]
    if any(r["action"] != "append" for r in results):
        raise SystemExit(f"{name}: expected an incremental append, got {[r['action'] for r in results]}")
    out = {key: statistics.median(r[key] for r in results)
           for key in ("sessions_ms", "sessions_cpu_ms", "update_ms", "hook_ms")}
    out["sessions_min_ms"] = min(r["sessions_ms"] for r in results)  # the run least disturbed by other load
    return out | {"events": results[0]["events"], "mistune": results[0]["mistune"], "bytes": len(content)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--history", type=int, default=50, help="commits before the session commit")
    ap.add_argument("--workdir", default="/tmp/patina-bench-sessions")
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median of {a.runs} runs, "
          f"fresh interpreter each run (cold mistune import)\n")
    rows = []
    worst = best_worst = 0.0
    names = sorted(p.name for p in FIXTURES.glob("*.md") if p.name != "README.md")
    for name in names:
        m = measure(work, f"layer/sessions/{name}", (FIXTURES / name).read_bytes(), a.runs, a.history)
        worst = max(worst, m["sessions_ms"])
        best_worst = max(best_worst, m["sessions_min_ms"])
        rows.append((name, m["bytes"], m["events"], f"{m['sessions_ms']:.1f}", f"{m['sessions_min_ms']:.1f}",
                     f"{m['sessions_cpu_ms']:.1f}", f"{m['update_ms']:.1f}", f"{m['hook_ms']:.1f}"))
    ref = measure(work, "docs/plain.txt", b"not a session\n", a.runs, a.history)
    rows.append(("(reference: plain file, no session)", ref["bytes"], 0, f"{ref['sessions_ms']:.1f}",
                 f"{ref['sessions_min_ms']:.1f}", f"{ref['sessions_cpu_ms']:.1f}", f"{ref['update_ms']:.1f}",
                 f"{ref['hook_ms']:.1f}"))
    print(table(rows, ("file added in the commit", "bytes", "session events", "sessions ms", "min", "cpu ms",
                       "update ms", "hook ms")))
    verdict = "OK" if worst < TARGET_MS else "OVER"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nslowest session part: {worst:.1f} ms wall median, {best_worst:.1f} ms best run "
          f"(target < {TARGET_MS:.0f} ms): {verdict}; "
          f"load average {load:.2f} on {os.cpu_count()} cores (wall times grow with load; cpu ms less so)")


if __name__ == "__main__":
    main()
