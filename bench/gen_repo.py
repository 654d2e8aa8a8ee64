"""Generate a synthetic git repository: N commits over M files, with realistic edit sizes,
renames, deletions, binary files, several authors and time zones, and merged side branches.

Deterministic for a given seed. Uses `git fast-import`, so 5,000 commits take seconds.

    python bench/gen_repo.py /tmp/synth --commits 5000 --files 1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
from pathlib import Path

WORDS = ("alpha beta gamma delta store event commit parse index query cache merge branch value "
         "result error handle config build update append token stream graph order table view").split()
AUTHORS = [("Ann Author", "ann@example.com", "+0000"), ("Bo Builder", "bo@example.com", "-0500"),
           ("Cy Coder", "cy@example.com", "+0530"), ("Di Dev", "di@example.com", "+0100"),
           ("ann", "ann@old.example.com", "+0000")]
EXTS = (".py", ".rs", ".md", ".txt", ".go", ".js")


GIT_ONLY = "[sources]\nenabled = []\n"


class Gen:
    def __init__(self, seed: int, files: int) -> None:
        self.rng = random.Random(seed)
        self.target_files = files
        self.mark = 0
        self.time = 1_600_000_000
        self.out: list[bytes] = []

    def line(self) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 9)))

    def new_content(self) -> list[str]:
        return [self.line() for _ in range(self.rng.randint(20, 300))]

    def new_path(self, state: dict) -> str:
        while True:
            d = f"src/m{self.rng.randint(0, 40)}"
            p = f"{d}/f{self.rng.randint(0, 10**6)}{self.rng.choice(EXTS)}"
            if p not in state:
                return p

    def edit(self, lines: list[str]) -> list[str]:
        lines = list(lines)
        for _ in range(self.rng.randint(1, 4)):
            i = self.rng.randint(0, max(0, len(lines) - 1))
            op = self.rng.random()
            if op < 0.4 and lines:
                lines[i] = self.line()
            elif op < 0.7:
                lines[i:i] = [self.line() for _ in range(self.rng.randint(1, 12))]
            elif lines:
                del lines[i:i + self.rng.randint(1, 6)]
        return lines

    def changes(self, state: dict, avoid: set[str], touched: set[str]) -> list[bytes]:
        """Random file operations applied to ``state``; returns fast-import commands."""
        ops: list[bytes] = []
        n = self.rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 10))
        if len(state) < self.target_files:
            n += 2
        for _ in range(n):
            r = self.rng.random()
            paths = [p for p in state if p not in avoid]
            if len(state) < self.target_files and (r < 0.3 or not paths):
                p = self.new_path(state)
                state[p] = self.new_content() if self.rng.random() > 0.02 else self.binary()
                ops.append(blob_op(p, state[p]))
                touched.add(p)
            elif r < 0.33 and paths:
                p = self.rng.choice(sorted(paths))
                del state[p]
                ops.append(b"D " + p.encode() + b"\n")
                touched.add(p)
            elif r < 0.38 and paths:
                p = self.rng.choice(sorted(paths))
                q = self.new_path(state)
                state[q] = state.pop(p)
                ops.append(f"R {p} {q}\n".encode())
                touched.update((p, q))
            elif paths:
                p = self.rng.choice(sorted(paths))
                state[p] = self.edit(state[p]) if isinstance(state[p], list) else self.binary()
                ops.append(blob_op(p, state[p]))
                touched.add(p)
        return ops

    def binary(self) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(64)) + b"\0"

    def commit(self, ref: str, msg: str, ops: list[bytes], parents: list[int]) -> int:
        self.mark += 1
        self.time += self.rng.randint(30, 20000)
        name, email, tz = self.rng.choice(AUTHORS)
        head = [f"commit {ref}", f"mark :{self.mark}", f"author {name} <{email}> {self.time} {tz}",
                f"committer {name} <{email}> {self.time} {tz}"]
        data = msg.encode()
        chunk = ("\n".join(head) + f"\ndata {len(data)}\n").encode() + data + b"\n"
        if parents:
            chunk += f"from :{parents[0]}\n".encode()
            for p in parents[1:]:
                chunk += f"merge :{p}\n".encode()
        self.out.append(chunk + b"".join(ops) + b"\n")
        return self.mark


def generate(path: str | Path, commits: int, files: int, seed: int = 1, patina_config: str | None = None) -> Path:
    """``patina_config``: text of a .patina/config.toml committed in the first commit."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    g = Gen(seed, files)
    main: dict = {}
    tip: int | None = None
    side: tuple[dict, int, set[str], int] | None = None  # state, tip mark, touched, commits left
    made = 0
    while made < commits:
        if side is None and tip is not None and g.rng.random() < 0.06 and commits - made > 8:
            side = (dict(main), tip, set(), g.rng.randint(1, 6))
        if side is not None and g.rng.random() < 0.5:
            state, stip, touched, left = side
            ops = g.changes(state, set(), touched)
            stip = g.commit("refs/heads/side", f"side: {g.line()}", ops, [stip])
            made += 1
            side = (state, stip, touched, left - 1)
            if left - 1 == 0:
                ops = _restate(main, state, touched)
                tip = g.commit("refs/heads/main", f"Merge side branch\n\n{g.line()}", ops, [tip, stip])
                made += 1
                side = None
            continue
        avoid = side[2] if side else set()
        ops = g.changes(main, avoid | (set(side[0]) - set(main) if side else set()), set())
        if tip is None and patina_config is not None:
            ops.append(blob_op(".patina/config.toml", patina_config.encode()))
        tip = g.commit("refs/heads/main", f"{g.line().capitalize()}\n\n{g.line()}.", ops, [tip] if tip else [])
        made += 1
    stream = b"".join(g.out) + b"done\n"
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet", "--done"], input=stream, check=True)
    subprocess.run(["git", "-C", str(path), "update-ref", "-d", "refs/heads/side"], check=False)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)
    return path


def _restate(main: dict, side_state: dict, touched: set[str]) -> list[bytes]:
    """A merge commit's ops: the side branch's version of each path it touched. Blobs are
    byte-identical to the side tip's, so the merge adds nothing of its own (main avoided
    those paths while the branch was open)."""
    ops = []
    for p in sorted(touched):
        if p in side_state:
            main[p] = side_state[p]
            ops.append(blob_op(p, side_state[p]))
        elif p in main:
            del main[p]
            ops.append(b"D " + p.encode() + b"\n")
    return ops


def blob_op(path: str, content: list[str] | bytes) -> bytes:
    body = content if isinstance(content, bytes) else ("\n".join(content) + "\n").encode()
    return f"M 100644 inline {path}\ndata {len(body)}\n".encode() + body + b"\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--git-only", action="store_true", help="commit a Patina config that enables no diff source")
    a = ap.parse_args()
    if os.path.exists(a.path) and os.listdir(a.path):
        raise SystemExit(f"{a.path} exists and is not empty")
    generate(a.path, a.commits, a.files, a.seed, GIT_ONLY if a.git_only else None)
    print(f"generated {a.commits} commits over ~{a.files} files in {a.path}")


if __name__ == "__main__":
    main()
