"""End to end with the real pre-commit: a team repository whose .pre-commit-config.yaml
points at this project; `pre-commit install`; then commit, merge, checkout and rebase keep
the log current through pre-commit's own post-* hooks.

pre-commit installs Patina from this checkout's HEAD commit (plus dependencies from the
package index) into its own environment, so this is the slowest test (~1 minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import Repo, env_without_git, git
from hookutil import assert_equals_fresh_build, built_head, patina

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _project_rev() -> str | None:
    proc = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.fixture
def team_repo(repo: Repo, tmp_path):
    rev = _project_rev()
    if rev is None:
        pytest.skip("the project is not a git checkout")
    repo.commit("root", {"README.md": "team\n"})
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    proc = patina("init", "--pre-commit", "--hooks-repo", str(PROJECT), "--hooks-rev", rev, cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    config = (repo.path / ".pre-commit-config.yaml").read_text()
    assert "default_install_hook_types" in config and "post-rewrite" in config and "id: patina" in config
    git(repo.path, "add", ".pre-commit-config.yaml", ".patina/config.toml")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.path, capture_output=True,
                          text=True, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for hook in ("post-commit", "post-merge", "post-checkout", "post-rewrite"):
        assert (repo.path / ".git/hooks" / hook).exists()
    repo.env = env  # type: ignore[attr-defined]
    return repo


def _git(repo: Repo, *args: str) -> None:
    proc = subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True,
                          env={**env_without_git(),
                               "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A",
                               "GIT_COMMITTER_EMAIL": "a@x", **repo.env})  # type: ignore[attr-defined]
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_framework_keeps_the_log_current(team_repo):
    repo = team_repo
    _git(repo, "commit", "-q", "-m", "add patina config")  # post-commit: first build
    assert built_head(repo.path) == repo.head()

    _git(repo, "checkout", "-q", "-b", "topic")  # post-checkout
    (repo.path / "t.txt").write_text("t\n")
    _git(repo, "add", "t.txt")
    _git(repo, "commit", "-q", "-m", "topic work")
    assert built_head(repo.path) == repo.head()

    _git(repo, "checkout", "-q", "main")  # branch switch: truncate and replay
    assert built_head(repo.path) == repo.head()
    (repo.path / "m.txt").write_text("m\n")
    _git(repo, "add", "m.txt")
    _git(repo, "commit", "-q", "-m", "main work")

    _git(repo, "merge", "-q", "--no-ff", "--no-edit", "topic")  # post-merge
    assert built_head(repo.path) == repo.head()
    assert_equals_fresh_build(repo.path)

    _git(repo, "checkout", "-q", "-b", "later", "topic")
    (repo.path / "l.txt").write_text("l\n")
    _git(repo, "add", "l.txt")
    _git(repo, "commit", "-q", "-m", "later work")
    _git(repo, "rebase", "-q", "main")  # post-rewrite
    assert built_head(repo.path) == repo.head()
    assert_equals_fresh_build(repo.path)
