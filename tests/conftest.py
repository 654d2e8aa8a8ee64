from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gitutil import Repo  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty repository on branch main, in a temp dir."""
    return Repo(tmp_path / "repo")


def build(repo_path, **kw):
    """Run the one pipeline on a repository; returns (UpdateResult, rows of eventlog)."""
    from patina import repo as patina_repo, store, update

    r = patina_repo.discover(str(repo_path))
    result = update.update(r, **kw)
    conn = store.connect(r.db_path)
    rows = conn.execute("SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog ORDER BY seq").fetchall()
    conn.close()
    return result, rows


@pytest.fixture
def scrape():
    return build
