"""The code source beside `ctags -R`, and a full history build with the blob cache.

    python bench/bench_code.py [--files 1000] [--commits 300] [--workdir /tmp/patina-bench]

1. HEAD tree (~1,000 files of Python, Rust, Go, JavaScript, TypeScript): facts extracted by
   the code source (blobs read from git objects, parsed on 2 processes, no cache) beside
   `ctags -R` over a checkout of the same files: wall time, CPU time and files per second.
   Target: <= 3x. Then the CPU of each stage in one process, and the floor that tree-sitter's
   own parse + query matching put under the wall time on 2 cores.
2. Full history build (`update(full=True)`) with a cold cache, then again with a warm cache:
   parses, parses per second, cache hit rate, wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # codeutil

from common import PY, table  # noqa: E402
from gen_code_tree import generate  # noqa: E402

CTAGS_LANGS = "Python,Rust,Go,JavaScript,TypeScript"


def extract_head(repo: str, workers: int) -> None:
    """(subprocess) The facts of every wanted file in HEAD's tree, no cache: prints counts."""
    from patina import gitcmd
    from patina.config import DEFAULTS
    from patina.sources.code import CodeSource, history
    from patina.sources.code.history import CodeHistory
    from codeutil import _Ctx  # the tests' minimal SourceContext (tests/codeutil.py)

    if workers < 2:
        history.PARALLEL_MIN = 10**9
    git_dir = os.path.join(repo, ".git")
    reader = gitcmd.BlobReader(git_dir)
    ctx = _Ctx({}, git_dir)
    ctx.read_blob = reader  # type: ignore[method-assign]
    hist = CodeHistory(CodeSource(DEFAULTS))
    facts = hist.tree_facts(ctx, "HEAD")  # type: ignore[arg-type]
    reader.close()
    print(json.dumps({"files": len(facts), "facts": sum(len(f) for f in facts.values()),
                      "parsed": hist.stats["parsed"]}))


def stages(repo: str) -> None:
    """(subprocess) CPU seconds of each stage over HEAD's files in one process: the part of
    patina's time that is tree-sitter's own C code (parse, query matching) bounds any speed-up."""
    t0 = time.process_time()
    from patina import gitcmd
    from patina.sources.code import incremental as inc
    from patina.sources.code.languages import language_for_path, load

    imported = time.process_time() - t0
    git_dir = os.path.join(repo, ".git")
    listing = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    reader = gitcmd.BlobReader(git_dir)
    blobs = []
    for line in listing:
        meta, path = line.split("\t", 1)
        lang = language_for_path(path)
        if lang:
            blobs.append((lang, reader(meta.split()[2])))
    reader.close()
    t = time.process_time()
    for lang in sorted({lang for lang, _ in blobs}):
        load(lang)
    compiled = time.process_time() - t
    parse = match = facts = 0.0
    for lang, data in blobs:
        loaded = load(lang)
        t1 = time.process_time()
        tree = loaded.parser.parse(data)
        root = tree.root_node
        t2 = time.process_time()
        loaded.cursor.matches(root)
        t3 = time.process_time()
        inc._Build(loaded, data, tree).run(lang)  # (queries again: its query time is subtracted)
        t4 = time.process_time()
        parse, match, facts = parse + t2 - t1, match + t3 - t2, facts + (t4 - t3) - (t3 - t2)
    print(json.dumps({"imports": imported, "compile": compiled, "parse": parse, "match": match, "facts": facts}))


def build(repo: str) -> None:
    """(subprocess) A full build of the repository's log; prints the code source's counters."""
    from patina import repo as patina_repo
    from patina import update
    from patina.sources.code import history

    seen = []
    orig = history.CodeHistory.__init__

    def spy(self, source):
        orig(self, source)
        seen.append(self)

    history.CodeHistory.__init__ = spy  # type: ignore[method-assign]
    t = time.perf_counter()
    result = update.update(patina_repo.discover(repo), full=True)
    wall = time.perf_counter() - t
    stats = seen[0].stats if seen else {}
    print(json.dumps({"wall": wall, "events": result.events_added, "commits": result.commits_added, **stats}))


def timed_cpu(cmd: list[str], cwd=None, runs: int = 3) -> tuple[float, float]:
    """(median wall s, median CPU s = user + sys of the command and its children) over ``runs``.
    CPU time is shown because the bench machine may be shared: wall time then depends on load."""
    import resource
    import statistics

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def run_json(args: list[str]) -> dict:
    out = subprocess.run([PY, __file__, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/patina-bench"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--extract-head", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--build", help=argparse.SUPPRESS)
    ap.add_argument("--stages", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stages:
        return stages(args.stages)
    if args.extract_head:
        return extract_head(args.extract_head, args.workers)
    if args.build:
        return build(args.build)

    repo = args.workdir / f"code-synth-{args.files}-{args.commits}"
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        generate(repo, args.files, args.commits, seed=1)
    n_files = int(subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, text=True,
                                 check=True).stdout.count("\n"))
    if shutil.which("ctags") is None:
        raise SystemExit("ctags (Universal Ctags) is needed for the comparison")

    ctags_wall, ctags_cpu = timed_cpu(["ctags", "-R", f"--languages={CTAGS_LANGS}", "--exclude=.git",
                                       "--exclude=.patina", "-f", os.devnull, "."], cwd=repo, runs=args.runs)
    p2_wall, p2_cpu = timed_cpu([PY, __file__, "--extract-head", str(repo), "--workers", "2"], runs=args.runs)
    p1_wall, p1_cpu = timed_cpu([PY, __file__, "--extract-head", str(repo), "--workers", "1"], runs=args.runs)
    counts = run_json(["--extract-head", str(repo)])
    rows = [
        ("ctags -R", n_files, f"{ctags_wall:.2f}", f"{ctags_cpu:.2f}", f"{n_files / ctags_wall:.0f}", "1.00x"),
        ("patina code, 2 workers", counts["files"], f"{p2_wall:.2f}", f"{p2_cpu:.2f}",
         f"{counts['files'] / p2_wall:.0f}", f"{p2_wall / ctags_wall:.2f}x"),
        ("patina code, 1 process", counts["files"], f"{p1_wall:.2f}", f"{p1_cpu:.2f}",
         f"{counts['files'] / p1_wall:.0f}", f"{p1_wall / ctags_wall:.2f}x"),
    ]
    print(f"HEAD tree of {repo.name}: {n_files} files, {counts['facts']} facts extracted "
          "(python process start-up included in patina's wall time)")
    print(table(rows, ("tool", "files", "wall s", "cpu s", "files/s", "wall vs ctags")))
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    st = run_json(["--stages", str(repo)])
    c_code = st["parse"] + st["match"]
    print(f"where patina's CPU goes (1 process, CPU s): imports {st['imports']:.2f}, query compile "
          f"{st['compile']:.2f}, tree-sitter parse {st['parse']:.2f}, query matching {st['match']:.2f}, "
          f"Python fact building {st['facts']:.2f}")
    print(f"floor on 2 cores from tree-sitter's C code alone: {c_code / 2:.2f} s + start-up "
          f"= {(c_code / 2 + st['imports'] + st['compile'] / 2) / ctags_wall:.1f}x ctags' wall time "
          "(start-up: imports + half the query compile; interpreter start not counted)")
    print()

    cache = repo / ".patina" / "data" / "cache" / "code-facts.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(str(cache) + suffix):
            os.remove(str(cache) + suffix)
    cold = run_json(["--build", str(repo)])
    warm = run_json(["--build", str(repo)])
    hist_rows = []
    for label, s in (("cold cache", cold), ("warm cache", warm)):
        lookups = s["parsed"] + s["cache_hits"] + s["memo_hits"]
        hist_rows.append((label, s["commits"], s["events"], f"{s['wall']:.2f}", s["parsed"],
                          f"{s['parsed'] / s['wall']:.0f}",
                          f"{(s['cache_hits'] + s['memo_hits']) / max(1, lookups):.1%}"))
    print(f"Full history build of {repo.name} (update(full=True), every source enabled)")
    print(table(hist_rows, ("run", "commits", "events", "wall s", "parses", "parses/s", "cache+memo hit rate")))


if __name__ == "__main__":
    main()
