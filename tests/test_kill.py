"""A process killed at any point leaves the previous consistent database."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hookutil import assert_equals_fresh_build, built_head, env_without_git, patina

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory):
    from gen_repo import generate

    return generate(tmp_path_factory.mktemp("kill") / "repo", commits=400, files=150, seed=11)


def _start(args, cwd, extra_env=None):
    env = env_without_git()
    env.update(extra_env or {})
    return subprocess.Popen([sys.executable, "-P", "-m", "patina", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _patina_processes_in(path: Path) -> list[int]:
    """Live patina processes (a killed update's pool workers, say) working in ``path``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            cwd = os.readlink(proc / "cwd")
            state = next((line for line in (proc / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except OSError:
            continue
        if b"patina" in cmd and cwd == str(path) and "Z" not in state:
            found.append(int(proc.name))
    return found


def _no_orphans(path: Path) -> None:
    deadline = time.monotonic() + 5
    while _patina_processes_in(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _patina_processes_in(path) == []


def _consistent(path: Path, allowed_heads: set[str | None]) -> None:
    from patina import repo as prepo, store

    r = prepo.discover(str(path))
    if not os.path.exists(r.db_path):
        assert None in allowed_heads
        return
    conn = store.connect(r.db_path, readonly=True)
    try:
        assert store.health(conn) == "ok"
        assert store.get_meta(conn, "head") in allowed_heads
        # fp_chain and eventlog agree: the last step's last seq is the log's last seq.
        last = conn.execute("SELECT last_seq FROM fp_chain ORDER BY pos DESC LIMIT 1").fetchone()
        assert (last[0] if last else 0) == store.last_seq(conn)
    finally:
        conn.close()


def test_sigkill_during_incremental_append(big_repo):
    git = lambda *a: subprocess.run(["git", *a], cwd=big_repo, check=True, capture_output=True, text=True).stdout.strip()  # noqa: E731
    new = git("rev-parse", "main")
    old = git("rev-parse", "main~300")
    rng = random.Random(5)
    for delay in sorted(rng.uniform(0.05, 1.5) for _ in range(5)):
        git("checkout", "-q", "--detach", old)
        assert patina("scrape", "--quiet", cwd=big_repo).returncode == 0
        git("checkout", "-q", "main")
        proc = _start(["hook", "post-commit"], big_repo, {"PATINA_HOOK_FOREGROUND_MAX": "100000"})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _no_orphans(big_repo)
        _consistent(big_repo, {old, new})
        assert patina("scrape", "--quiet", cwd=big_repo).returncode == 0
        assert built_head(big_repo) == new
    assert_equals_fresh_build(big_repo)


def test_sigkill_during_full_rebuild_keeps_the_old_file(big_repo):
    from patina import repo as prepo

    r = prepo.discover(str(big_repo))
    assert patina("scrape", "--quiet", cwd=big_repo).returncode == 0
    head = built_head(big_repo)
    for delay in (0.1, 0.4, 0.8):
        proc = _start(["scrape", "--full", "--quiet"], big_repo)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _no_orphans(big_repo)
        _consistent(big_repo, {head})
    assert patina("scrape", "--quiet", cwd=big_repo).returncode == 0
    assert not list(Path(r.db_path).parent.glob("patina.db.tmp-*"))  # stale temp files cleaned
    assert_equals_fresh_build(big_repo)


def test_readers_recover_a_hot_journal_left_by_a_killed_writer(tmp_path):
    """A writer SIGKILLed inside its transaction leaves a hot journal; a read-only command
    (status, sql, scry) must still read the last consistent state, not fail."""
    from patina import store

    db = str(tmp_path / "p.db")
    conn = store.connect(db)
    store.create_schema(conn)
    conn.close()
    child = ("import os, signal, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
             "c.execute('PRAGMA journal_mode = DELETE'); c.execute('BEGIN IMMEDIATE');"
             "c.execute(\"INSERT INTO scrape_meta(key, value) VALUES ('x', 'y')\");"
             "c.execute('PRAGMA cache_size = 1'); c.executemany('INSERT INTO eventlog(event_type, timestamp, "
             "source_id, data) VALUES (?, ?, ?, ?)', [('t', 'ts', str(i), '{}') for i in range(20000)]);"
             "os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", child, db])
    assert os.path.exists(db + "-journal")
    ro = store.connect(db, readonly=True)
    try:
        assert store.health(ro) == "ok"
        assert store.last_seq(ro) == 0 and store.get_meta(ro, "x") is None
    finally:
        ro.close()
