"""The dump sha256 of a full build of the generated benchmark repository, per table.

Generates (deterministically) the bench repository, adds the real session notes and code
fixtures of tests/fixtures/ as later commits (so every source has real input), builds it with
`patina scrape --full` and prints the row count and sha256 of every table. Two Patina
versions that print the same lines build byte-identical databases.

    python bench/log_digest.py [--commits 5000] [--files 1000] [--python PY]

``--python``: the interpreter of the Patina to measure (default: this one), so an older
checkout's venv can be compared with the current one on the same repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PY, clean_env  # noqa: E402
from gen_repo import generate  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def _git(repo: Path, *args: str, when: int) -> None:
    env = clean_env()
    env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com", GIT_COMMITTER_NAME="Bench",
               GIT_COMMITTER_EMAIL="bench@example.com", GIT_AUTHOR_DATE=f"@{when} +0000",
               GIT_COMMITTER_DATE=f"@{when} +0000", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def make_repo(path: Path, commits: int, files: int) -> Path:
    if (path / ".git").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    generate(path, commits, files, seed=1)
    when = 1_800_000_000
    for src in sorted((FIXTURES / "sessions").glob("*.md")):
        dest = path / "layer" / "sessions" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
        _git(path, "add", ".", when=when)
        _git(path, "commit", "-q", "-m", f"session {src.stem}", when=when)
        when += 600
    for src in sorted((FIXTURES / "code").glob("*/*")):
        if src.name.endswith(".expected.json"):
            continue
        dest = path / "fixtures" / src.parent.name / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
        _git(path, "add", ".", when=when)
        _git(path, "commit", "-q", "-m", f"code {src.name}", when=when)
        when += 600
        # A second version: a line above every definition (moves them), then one body edit.
        text = src.read_bytes()
        dest.write_bytes(b"\n" + text.replace(b"return", b"return  ", 1))
        _git(path, "commit", "-q", "-am", f"edit {src.name}", when=when)
        when += 600
    return path


def digests(db: Path) -> list[tuple[str, int, str]]:
    """(table, rows, sha256) of every table; FTS5 tables by their rows (their shadow tables,
    whose segments depend on insertion history, are left out, as `patina verify` does)."""
    conn = sqlite3.connect(db)
    tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    virtual = {n for n, sql in tables if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
    out = []
    for name, _ in tables:
        if any(name.startswith(v + "_") for v in virtual):
            continue
        if name in virtual:
            select, order = "rowid, *", "rowid"
        else:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            select, order = "*", ", ".join(f'"{c}"' for c in cols)
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(f'SELECT {select} FROM "{name}" ORDER BY {order}'):  # noqa: S608
            row = [v.hex() if isinstance(v, bytes) else v for v in row]
            digest.update(json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
            digest.update(b"\n")
            count += 1
        out.append((name, count, digest.hexdigest()))
    conn.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--python", default=PY, help="the Python whose Patina builds the log")
    ap.add_argument("--workdir", default="/tmp/patina-bench")
    a = ap.parse_args()
    repo = make_repo(Path(a.workdir) / f"digest-{a.commits}-{a.files}", a.commits, a.files)
    db = Path(a.workdir) / f"digest-{a.commits}-{a.files}-{hashlib.sha256(a.python.encode()).hexdigest()[:8]}.db"
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    t = time.perf_counter()
    subprocess.run([a.python, "-m", "patina", "scrape", "--full", "--quiet", "--db", str(db)], cwd=repo,
                   env=clean_env(), check=True)
    took = time.perf_counter() - t
    rows = digests(db)
    print(f"{repo} built by {a.python} in {took:.1f} s")
    for name, count, digest in rows:
        print(f"{name:<24} {count:>9}  {digest}")
    whole = hashlib.sha256("".join(d for _, _, d in rows).encode()).hexdigest()
    eventlog = next(d for n, _, d in rows if n == "eventlog")
    print(f"eventlog dump sha256  {eventlog}")
    print(f"all tables sha256     {whole}")


if __name__ == "__main__":
    main()
