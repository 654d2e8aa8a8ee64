"""Building real git repositories for tests (never mocks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z
PATINA = [sys.executable, "-P", "-m", "patina"]  # -P: as the hook scripts run it (no working directory on sys.path)


def env_without_git(**extra: str) -> dict[str, str]:
    """This process's environment without the GIT_* variables a hook or CI run may carry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra)
    return env


def patina(*args: str, cwd=None, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``patina`` command (a new process, as a user's shell or hook does)."""
    return subprocess.run([*PATINA, *args], cwd=cwd, capture_output=True, text=True, input=input,
                          env=env_without_git(**(env or {})))


def db_path(repo: "Repo | Path | str") -> str:
    """Where Patina keeps a repository's database."""
    root = repo.path if isinstance(repo, Repo) else Path(repo)
    return str(root / ".patina" / "data" / "patina.db")


def git(repo: Path | str, *args: str, env: dict | None = None, check: bool = True) -> str:
    full_env = env_without_git()
    full_env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="Ann Author",
        GIT_AUTHOR_EMAIL="ann@example.com", GIT_COMMITTER_NAME="Ann Author",
        GIT_COMMITTER_EMAIL="ann@example.com", LC_ALL="C",
    )
    full_env.update(env or {})
    proc = subprocess.run(["git", *args], cwd=str(repo), capture_output=True, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8", "replace").strip()


class Repo:
    """A throwaway repository with deterministic commit times (one minute apart)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        git(self.path, "init", "-q", "-b", "main")
        git(self.path, "config", "commit.gpgsign", "false")
        self.tick = 0

    def _dates(self, when: int | None, tz: str = "+0000") -> dict:
        if when is None:
            self.tick += 60
            when = BASE_TIME + self.tick
        stamp = f"@{when} {tz}"
        return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

    def write(self, files: dict[str, str | bytes | None]) -> None:
        added, removed = [], []
        for name, content in files.items():
            target = self.path / name
            if content is None:
                if target.exists():
                    removed.append(name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            added.append(name)
        for i in range(0, len(removed), 500):
            git(self.path, "rm", "-q", "--", *removed[i:i + 500])
        for i in range(0, len(added), 500):
            git(self.path, "add", "--", *added[i:i + 500])

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None, *,
               when: int | None = None, tz: str = "+0000", author: tuple[str, str] | None = None) -> str:
        """Write ``files`` (None deletes), commit everything staged, return the sha."""
        self.write(files or {})
        env = self._dates(when, tz)
        if author:
            env.update(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1])
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def merge(self, branch: str, message: str | None = None, *, when: int | None = None) -> str:
        git(self.path, "merge", "-q", "--no-ff", branch, "-m", message or f"Merge {branch}", env=self._dates(when))
        return self.head()

    def git(self, *args: str, check: bool = True, when: int | None = None) -> str:
        return git(self.path, *args, env=self._dates(when), check=check)

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")


def query(repo: "Repo", sql: str, *args) -> list[tuple]:
    """Rows of a read query against the repository's Patina database."""
    from patina import store

    conn = store.connect(db_path(repo))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
