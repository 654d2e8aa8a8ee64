"""Full git build time beside `git log --numstat` on the same synthetic repository, and
peak memory as the number of commits grows (it should stay flat).

    python bench/bench_git.py [--commits 5000] [--files 1000] [--workdir /tmp/patina-bench]

The repositories commit a Patina config enabling no diff source, so this measures the git
source and the pipeline (sessions and code have their own benches); a second row builds
with every source enabled for reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PY, table, timed  # noqa: E402
from gen_repo import GIT_ONLY, generate  # noqa: E402


def ensure_repo(workdir: Path, commits: int, files: int, config: str | None, tag: str) -> Path:
    path = workdir / f"synth-{commits}-{files}-{tag}"
    if not (path / ".git").exists():
        shutil.rmtree(path, ignore_errors=True)
        generate(path, commits, files, seed=1, patina_config=config)
    return path


def measure(repo: Path, runs: int) -> dict:
    git_log = ["git", "-C", str(repo), "log", "-z", "--numstat", "--diff-merges=first-parent", "HEAD"]
    git_log_full = ["git", "-C", str(repo), "log", "-z", "--raw", "--numstat", "--diff-merges=first-parent",
                    "--no-abbrev", "--format=%H%x00%P%x00%aN%x00%aE%x00%ad%x00%cN%x00%cE%x00%cd%x00%B", "HEAD"]
    db = repo / ".patina/data/bench.db"
    patina = [PY, "-m", "patina", "scrape", "--full", "--quiet", "--repo", str(repo), "--db", str(db)]
    # The git build alone: the same pipeline with no materializer registered (no derived tables).
    git_only = [PY, "-c", "import sys, patina.derived as d; d.MATERIALIZERS[:] = [];"
                "from patina import repo, update; update.update(repo.discover(sys.argv[1]), full=True, db_path=sys.argv[2])",
                str(repo), str(db)]
    g_wall, g_mem = timed(git_log, runs=runs)
    gf_wall, _ = timed(git_log_full, runs=runs)
    b_wall, b_mem = timed(git_only, runs=runs)
    p_wall, p_mem = timed(patina, runs=runs)
    return {"git": g_wall, "git_full": gf_wall, "git_mem": g_mem, "patina": p_wall, "patina_mem": p_mem,
            "build": b_wall, "build_mem": b_mem}


def python_own_peak(repo: Path) -> int:
    """Peak RSS (KiB) of the Python process alone during a git build (git's processes excluded)."""
    import subprocess

    code = ("import sys, resource, patina.derived as d; d.MATERIALIZERS[:] = [];"
            "from patina import repo, update;"
            "update.update(repo.discover(sys.argv[1]), full=True, db_path=sys.argv[2]);"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([PY, "-c", code, str(repo), str(repo / ".patina/data/bench-mem.db")],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/patina-bench")
    ap.add_argument("--all-sources", action="store_true", help="also build with every diff source enabled")
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median of {a.runs} runs\n")

    repo = ensure_repo(work, a.commits, a.files, GIT_ONLY, "gitonly")
    m = measure(repo, a.runs)
    rows = [
        ("git log -z --numstat --diff-merges=first-parent", f"{m['git']:.2f}", "1.00x", f"{m['git_mem'] / 1024:.0f}"),
        ("git log (same + --raw and the metadata Patina reads)", f"{m['git_full']:.2f}",
         f"{m['git_full'] / m['git']:.2f}x", ""),
        ("patina: git build into eventlog (no derived tables)", f"{m['build']:.2f}",
         f"{m['build'] / m['git']:.2f}x", f"{m['build_mem'] / 1024:.0f}"),
        ("patina scrape --full (+ co_changes, expertise, terms, search index)", f"{m['patina']:.2f}",
         f"{m['patina'] / m['git']:.2f}x", f"{m['patina_mem'] / 1024:.0f}"),
    ]
    if a.all_sources:
        full = ensure_repo(work, a.commits, a.files, None, "all")
        m2 = measure(full, 1)
        rows.append(("patina scrape --full (all sources, cold cache)", f"{m2['patina']:.2f}",
                     f"{m2['patina'] / m['git']:.2f}x", f"{m2['patina_mem'] / 1024:.0f}"))
    print(f"{a.commits} commits, ~{a.files} files")
    print(table(rows, ("command", "wall s", "vs git", "peak MiB")))

    print("\npeak memory as history grows (git source):")
    mem_rows = []
    for n in (a.commits // 5, a.commits, a.commits * 2):
        r = ensure_repo(work, n, a.files, GIT_ONLY, "gitonly")
        mm = measure(r, 1)
        mem_rows.append((n, f"{mm['git']:.2f}", f"{mm['build']:.2f}", f"{mm['patina']:.2f}",
                         f"{mm['git_mem'] / 1024:.0f}", f"{mm['build_mem'] / 1024:.0f}",
                         f"{python_own_peak(r) / 1024:.0f}"))
    print(table(mem_rows, ("commits", "git log s", "build s", "scrape s", "git log MiB", "build MiB",
                           "python alone MiB")))
    print("(build MiB: the largest process of the build, git's own included; python alone: Patina's process)")


if __name__ == "__main__":
    main()
