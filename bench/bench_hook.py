"""Hook latency: `patina hook post-commit` after a one-file commit on a 5,000-commit,
1,000-file repository, beside a bare `python -c pass` and the `git commit` itself.

    python bench/bench_hook.py [--commits 5000] [--files 1000] [--runs 10]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workdir", default="/tmp/patina-bench")
    a = ap.parse_args()
    repo = Path(a.workdir) / f"hook-{a.commits}-{a.files}"
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        generate(repo, a.commits, a.files, seed=2)
    env = clean_env()
    t = time.perf_counter()
    subprocess.run([PY, "-m", "patina", "scrape", "--quiet"], cwd=repo, env=env, check=True)
    print(f"first build (or catch-up): {time.perf_counter() - t:.1f} s")
    git = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=Bench", "-c", "user.email=b@x"]
    hook = [PY, "-m", "patina", "hook", "post-commit"]

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
