"""Helpers for tests that drive real git with Patina's hooks installed."""

from __future__ import annotations

import os

from gitutil import PATINA, env_without_git, patina  # noqa: F401 (re-exported for the hook tests)
from patina import repo as prepo, store
from patina.verify import run as run_verify


def install_hooks(path) -> None:
    from patina.hooks import install

    install(str(path))


def built_head(path) -> str | None:
    r = prepo.discover(str(path))
    if not os.path.exists(r.db_path):
        return None
    conn = store.connect(r.db_path, readonly=True)
    try:
        return store.get_meta(conn, "head")
    finally:
        conn.close()


def assert_equals_fresh_build(path) -> None:
    """The live database equals a full rebuild (every eventlog row and derived table), once
    the background job (if any) is done; verified under the lock, as `patina verify` does."""
    settle(path)
    result = run_verify(prepo.discover(str(path)))
    assert result.identical, result.summary


def settle(path, timeout: float = 60) -> None:
    """Wait for Patina's background job in the repository at ``path`` (if one runs) to finish."""
    import time

    from patina.hooks import _job_file
    from patina.procs import alive
    from patina.lock import locked

    r = prepo.discover(str(path))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(_job_file(r.data_dir), encoding="utf-8") as fh:
                pid = int(fh.read().strip() or 0)
        except (OSError, ValueError):
            pid = None
        if pid is None or (pid and not alive(pid)):
            break
        time.sleep(0.05)
    with locked(r.db_path, wait=timeout):
        pass
