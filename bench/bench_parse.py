"""The parse floor of the code source along real histories: what tree-sitter itself costs, and
what extraction costs on top, parsing every version of every file from scratch or along the
file's history (patina.sources.code.incremental.extract_next).

    python bench/bench_parse.py [--flask /work/real/flask] [--git /work/.mirror/git+git/repo]
                                [--git-files 20] [--skip-git]

For each repository, the versions of each file along the first-parent history (renames
followed; flask: every .py file; git.git: the --git-files .c/.h files changed most often),
each file's versions in history order. CPU seconds of this process (one core) for:

  (a) full parse          parser.parse(version), every version
  (b) incremental parse   Tree.edit per hunk (common prefix/suffix, then a line diff of the
                          middle: incremental.find_edits) + parser.parse(new, old tree)
  (b') ... as extract_next  the same, but broken versions (either tree with an ERROR) parsed
                            from scratch, as extract_next does (route independence)
  (c) full extraction     extract(version): parse + query + facts
  (d) extract_next        along the history, each version from the previous one's state

and the bytes: all versions, covered by tree-sitter's changed ranges plus the edited span
(the union), and re-extracted by (d) (the units it queried again). Blobs are read before the
clocks start; `git log --numstat` (first parent) is timed for scale.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # codeutil.file_histories

from common import table  # noqa: E402


def histories(git_dir: str, wanted: Callable[[str], bool]) -> dict[str, list[str]]:
    """path -> blob ids of its versions along the first-parent history (renames followed)."""
    from codeutil import file_histories

    return file_histories(git_dir, wanted)


def busiest(git_dir: str, exts: tuple[str, ...], n: int) -> set[str]:
    """The n paths with these extensions changed by the most first-parent commits."""
    out = subprocess.run(["git", "--git-dir", git_dir, "log", "--first-parent", "--format=", "--name-only"],
                         capture_output=True, text=True, check=True).stdout
    counts = Counter(p for p in out.splitlines() if p.endswith(exts))
    return {p for p, _ in counts.most_common(n)}


def git_log_seconds(git_dir: str) -> float:
    t = time.perf_counter()
    subprocess.run(["git", "--git-dir", git_dir, "log", "--first-parent", "--numstat", "HEAD"],
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def _union(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def measure_file(lang: str, versions: list[bytes], stats: dict[str, float]) -> None:
    """Add one file's figures to ``stats`` (CPU seconds, bytes)."""
    from patina.sources.code import incremental
    from patina.sources.code.extract import extract
    from patina.sources.code.incremental import extract_next, find_edits
    from patina.sources.code.languages import load

    parser = load(lang).parser
    clock = time.process_time

    t = clock()
    for data in versions:
        parser.parse(data)
    stats["full_parse"] += clock() - t

    for from_scratch_on_error in (False, True):
        t = clock()
        prev = tree = None
        changed = 0
        for data in versions:
            if prev is None:
                tree = parser.parse(data)
            else:
                edits = find_edits(prev, data)
                old = tree.copy()
                edits.apply(old, prev, data)
                had_error = tree.root_node.has_error
                if from_scratch_on_error and had_error:
                    tree = parser.parse(data)
                else:
                    tree = parser.parse(data, old)
                    if from_scratch_on_error and tree.root_node.has_error:
                        tree = parser.parse(data)
                if not from_scratch_on_error:
                    spans = [(r.start_byte, r.end_byte) for r in old.changed_ranges(tree)]
                    changed += _union(spans + edits.spans())
            prev = data
        key = "incr_parse_as_next" if from_scratch_on_error else "incr_parse"
        stats[key] += clock() - t
        if not from_scratch_on_error:
            stats["changed_bytes"] += changed
            stats["later_bytes"] += sum(len(v) for v in versions[1:])

    t = clock()
    for data in versions:
        extract(lang, data)
    stats["full_extract"] += clock() - t

    queried = [0]
    original = incremental._Build._build

    def counting(self: Any, batch: list) -> None:  # (bench only: the bytes re-extracted)
        if self.previous is not None:
            for tg in batch:  # a leaf whole; a container's header and trailer
                if tg.container:
                    queried[0] += tg.header[1] - tg.header[0] + tg.trailer[1] - tg.trailer[0]
                else:
                    queried[0] += tg.unit.end - tg.unit.start
        original(self, batch)

    incremental._Build._build = counting  # type: ignore[method-assign]
    try:
        t = clock()
        state = None
        for data in versions:
            _, state = extract_next(lang, data, state)
        stats["extract_next"] += clock() - t
    finally:
        incremental._Build._build = original  # type: ignore[method-assign]
    stats["reextracted_bytes"] += queried[0]
    stats["bytes"] += sum(len(v) for v in versions)
    stats["versions"] += len(versions)


def measure_repo(git_dir: str, wanted: Callable[[str], bool]) -> dict[str, float]:
    """(subprocess-free) The figures of one repository, file by file (bounded memory)."""
    from patina import gitcmd
    from patina.sources.code.languages import language_for_path

    stats: dict[str, float] = Counter()  # type: ignore[assignment]
    seqs = histories(git_dir, wanted)
    reader = gitcmd.BlobReader(git_dir)
    gc.disable()  # as the code source does while extracting (history._parse_all)
    try:
        for path, oids in sorted(seqs.items()):
            lang = language_for_path(path)
            if lang is None:
                continue
            versions = [b for b in (reader(o) for o in oids) if b is not None]
            measure_file(lang, versions, stats)
            stats["files"] += 1
            gc.collect()
    finally:
        reader.close()
        gc.enable()
    stats["git_log"] = git_log_seconds(git_dir)
    return dict(stats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flask", default="/work/real/flask")
    ap.add_argument("--git", default="/work/.mirror/git+git/repo")
    ap.add_argument("--git-files", type=int, default=20)
    ap.add_argument("--skip-git", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = ap.parse_args()

    columns: list[tuple[str, dict[str, float]]] = []
    flask_git = str(Path(args.flask) / ".git")
    columns.append(("flask .py", measure_repo(flask_git, lambda p: p.endswith(".py"))))
    if not args.skip_git:
        chosen = busiest(args.git, (".c", ".h"), args.git_files)
        columns.append((f"git.git {len(chosen)} busiest .c/.h", measure_repo(args.git, lambda p: p in chosen)))

    def cpu(key: str) -> list[str]:
        return [f"{c[key]:.1f}" for _, c in columns]

    def mb(key: str) -> list[str]:
        return [f"{c[key] / 1e6:.1f}" for _, c in columns]

    rows = [
        ("files / versions", *[f"{int(c['files'])} / {int(c['versions'])}" for _, c in columns]),
        ("(a) full parse, CPU s", *cpu("full_parse")),
        ("(b) incremental parse, CPU s", *cpu("incr_parse")),
        ("(b') ... broken versions from scratch", *cpu("incr_parse_as_next")),
        ("(c) full extraction, CPU s", *cpu("full_extract")),
        ("(d) extract_next along history, CPU s", *cpu("extract_next")),
        ("(d) / (c)", *[f"{c['extract_next'] / c['full_extract']:.2f}" for _, c in columns]),
        ("(d) - (b'): query + facts, CPU s", *[f"{c['extract_next'] - c['incr_parse_as_next']:.1f}"
                                              for _, c in columns]),
        ("MB, all versions", *mb("bytes")),
        ("MB, versions after the first", *mb("later_bytes")),
        ("MB in changed ranges + edit", *mb("changed_bytes")),
        ("MB re-extracted by (d) (units queried)", *mb("reextracted_bytes")),
        ("git log --first-parent --numstat, wall s", *[f"{c['git_log']:.1f}" for _, c in columns]),
    ]
    print(table(rows, ("", *[name for name, _ in columns])))
    if args.json:
        print(json.dumps({name: c for name, c in columns}, indent=1))


if __name__ == "__main__":
    main()
