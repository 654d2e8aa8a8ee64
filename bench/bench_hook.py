"""Hook latency: `patina hook post-commit` after a one-file commit on a 5,000-commit,
1,000-file repository, beside a bare `python -c pass` and the `git commit` itself; and, with
``--real CLONE``, what the installed hooks add to git's own commands on a real repository set
up as a user sets it up (`patina init`, `patina hooks install`, the default config).

    python bench/bench_hook.py [--commits 5000] [--files 1000] [--runs 10]
    python bench/bench_hook.py --real /path/to/a/clone/of/flask [--runs 5]

``--real`` times, with the hooks and without them (core.hooksPath=/dev/null), median of runs:
a one-file commit (post-commit), `commit --amend` (post-commit + post-rewrite), a switch
between two branches three commits apart (post-checkout: truncate and replay), and a
one-commit rebase (post-rewrite). The clone is copied to a scratch directory first.

Interpreter start is included (the hook runs `python -m patina hook post-commit` as the
installed hook script does). Rows for a plain file, a Python file (tree-sitter loads) and a
session note (mistune loads) show what lazy imports save.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PY, clean_env, table  # noqa: E402
from gen_repo import generate  # noqa: E402

SESSION = """# Session: bench {n}
**ID**: 20251121-0{n:05d}
**Started**: 2025-11-21T10:00:00Z

## Activity Log
### 10:05 - entry
**Key Decisions:**
- decision {n}
"""


def run(cmd, cwd, env=None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or clean_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def real(clone: str, runs: int, workdir: str) -> None:
    """git's commands on a real clone, with Patina's hooks and without."""
    repo = Path(workdir) / "hook-real"
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", clone, str(repo)], check=True)
    env = clean_env()
    env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="Bench",
               GIT_COMMITTER_EMAIL="b@x")
    patina = [PY, "-m", "patina"]
    for args in (["init"], ["hooks", "install"]):
        subprocess.run(patina + args, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
    # As the README says: commit what `patina init` wrote (the team config and recipe).
    subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "add", ".patina"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Use Patina"], cwd=repo,
                   env=env, check=True)
    t = time.perf_counter()
    subprocess.run(patina + ["scrape", "--quiet"], cwd=repo, env=env, check=True)
    print(f"{repo}: first build {time.perf_counter() - t:.1f} s")

    def git(*args: str, hooks: bool = True) -> float:
        cmd = ["git"] + ([] if hooks else ["-c", "core.hooksPath=/dev/null"]) + list(args)
        t = time.perf_counter()
        subprocess.run(cmd, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    def settle() -> None:  # a background job (if any) must not overlap the next timing
        subprocess.run(patina + ["status"], cwd=repo, env=env, stdout=subprocess.DEVNULL)
        from patina.lock import locked

        with locked(str(repo / ".patina/data/patina.db")):
            pass

    main_branch = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=repo, env=env,
                                 capture_output=True, text=True).stdout.strip()
    rows = []
    for label, prepare, op in (
        ("commit (one file)", lambda i: ((repo / "BENCH.txt").write_text(f"{i}\n"), git("add", "BENCH.txt")),
         lambda hooks, i: git("commit", "-q", "-m", f"bench {i}", hooks=hooks)),
        ("commit --amend", lambda i: None,
         lambda hooks, i: git("commit", "-q", "--amend", "-m", f"amended {i}", hooks=hooks)),
        ("checkout (3 commits apart)", lambda i: None,
         lambda hooks, i: git("checkout", "-q", "side" if i % 2 == 0 else main_branch, hooks=hooks)),
        ("rebase (one commit)", lambda i: None, None),
    ):
        times: dict[bool, list[float]] = {True: [], False: []}
        for hooks in (False, True):
            for i in range(runs):
                if label.startswith("checkout") and i == 0:
                    git("checkout", "-q", "-B", "side", f"{main_branch}~3", hooks=hooks)
                    for k in range(3):
                        (repo / "SIDE.txt").write_text(f"{k}\n")
                        git("add", "SIDE.txt")
                        git("commit", "-q", "-m", f"side {k}", hooks=hooks)
                    git("checkout", "-q", main_branch, hooks=hooks)
                    settle()
                if label.startswith("rebase"):
                    git("checkout", "-q", "-B", "onto", main_branch, hooks=hooks)
                    (repo / "ONTO.txt").write_text(f"{i}\n")
                    git("add", "ONTO.txt")
                    git("commit", "-q", "-m", f"onto {i}", hooks=hooks)
                    git("checkout", "-q", "-B", "topic", f"{main_branch}", hooks=hooks)
                    (repo / "TOPIC.txt").write_text(f"{i}\n")
                    git("add", "TOPIC.txt")
                    git("commit", "-q", "-m", f"topic {i}", hooks=hooks)
                    settle()
                    times[hooks].append(git("rebase", "-q", "onto", hooks=hooks))
                    git("checkout", "-q", main_branch, hooks=hooks)
                    settle()
                    continue
                prepare(i)
                settle()
                times[hooks].append(op(hooks, i))
                settle()
        bare, hooked = statistics.median(times[False]), statistics.median(times[True])
        rows.append((label, f"{bare * 1000:.0f}", f"{hooked * 1000:.0f}", f"{(hooked - bare) * 1000:.0f}",
                     f"{max(times[True]) * 1000:.0f}"))
    print(f"\n{repo} ({runs} runs each, median ms)")
    print(table(rows, ("git command", "without hooks", "with hooks", "added by Patina", "max with hooks")))
    subprocess.run(patina + ["verify"], cwd=repo, env=env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workdir", default="/tmp/patina-bench")
    ap.add_argument("--real", metavar="CLONE", help="time git's commands on (a copy of) this real clone instead")
    a = ap.parse_args()
    if a.real:
        real(a.real, a.runs, a.workdir)
        return
    repo = Path(a.workdir) / f"hook-{a.commits}-{a.files}"
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        generate(repo, a.commits, a.files, seed=2)
    env = clean_env()
    t = time.perf_counter()
    subprocess.run([PY, "-m", "patina", "scrape", "--quiet"], cwd=repo, env=env, check=True)
    print(f"first build (or catch-up): {time.perf_counter() - t:.1f} s")
    git = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=Bench", "-c", "user.email=b@x"]
    hook = [PY, "-P", "-m", "patina", "hook", "post-commit"]  # as the installed scripts run it

    rows = []
    base = [run([PY, "-c", "pass"], repo) for _ in range(a.runs)]
    rows.append(("python -c pass", statistics.median(base) * 1000, max(base) * 1000))
    for label, make in (
        ("plain file", lambda n: (f"notes/n{n}.txt", f"note {n}\n")),
        ("python file", lambda n: (f"src/bench_{n}.py", f"def bench_{n}(x):\n    return helper(x) + {n}\n")),
        ("session note", lambda n: (f"layer/sessions/20251121-0{n:05d}.md", SESSION.format(n=n))),
    ):
        commits, hooks = [], []
        for i in range(a.runs):
            n = int(time.time() * 1000) % 10**5 + i
            path, text = make(n)
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text)
            subprocess.run(git + ["add", path], cwd=repo, check=True, env=env)
            commits.append(run(git + ["commit", "-q", "-m", f"bench {label} {n}"], repo))
            hooks.append(run(hook, repo))
        if label == "plain file":
            rows.append(("git commit (one file, no hooks)", statistics.median(commits) * 1000, max(commits) * 1000))
        rows.append((f"patina hook post-commit ({label})", statistics.median(hooks) * 1000, max(hooks) * 1000))
    print(f"\n{a.commits} commits, ~{a.files} files; {a.runs} runs each")
    print(table([(r[0], f"{r[1]:.1f}", f"{r[2]:.1f}") for r in rows], ("command", "median ms", "max ms")))
    subprocess.run([PY, "-m", "patina", "verify"], cwd=repo, env=env)


if __name__ == "__main__":
    main()
