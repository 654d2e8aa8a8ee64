"""Helpers for tests that drive real git with Patina's hooks installed."""

from __future__ import annotations

import os
import subprocess
import sys

from patina import repo as prepo, store
from patina.verify import verify

PATINA = [sys.executable, "-m", "patina"]


def env_without_git() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def patina(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    full = env_without_git()
    full.update(env or {})
    return subprocess.run([*PATINA, *args], cwd=cwd, capture_output=True, text=True, env=full)


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
    """The live database equals a full rebuild (every eventlog row and derived table)."""
    result = verify(prepo.discover(str(path)))
    assert result.identical, result.summary
