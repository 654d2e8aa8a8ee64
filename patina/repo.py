"""Finding the repository and Patina's paths inside it."""

from __future__ import annotations

import os
import subprocess
from typing import NamedTuple

from patina.errors import NotARepository, UsageError
from patina.gitcmd import git_env

DATA_DIR = ".patina/data"
DB_NAME = "patina.db"


class Repo(NamedTuple):
    git_dir: str  # absolute
    common_dir: str  # absolute; differs from git_dir in a linked worktree
    work_tree: str | None  # absolute; None when bare
    db_path: str

    @property
    def data_dir(self) -> str:
        return os.path.dirname(self.db_path)


def discover(path: str | None = None, db: str | None = None) -> Repo:
    """The repository containing ``path`` (default: the current directory)."""
    start = os.path.abspath(path or os.getcwd())
    if not os.path.isdir(start):
        raise NotARepository(f"not a directory: {start}")
    env = git_env()
    proc = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir",
         "--is-bare-repository", "--show-toplevel"],
        cwd=start, capture_output=True, env=env,
    )
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if proc.returncode != 0 and len(lines) < 3:
        raise NotARepository(f"not a git repository: {start}")
    git_dir, common_dir, bare = lines[0], lines[1], lines[2] == "true"
    work_tree = None if bare or len(lines) < 4 else lines[3]
    if db:
        db_path = os.path.abspath(db)
    elif work_tree is None:
        raise UsageError(f"bare repository {git_dir}: give the database path with --db PATH")
    else:
        db_path = os.path.join(work_tree, DATA_DIR, DB_NAME)
    return Repo(git_dir=git_dir, common_dir=common_dir, work_tree=work_tree, db_path=db_path)


def ensure_data_dir(repo: Repo) -> str:
    """Create the data directory, ignored by git whatever the team's .gitignore says.
    (os.path, not pathlib: this is on the hook path.)"""
    data = repo.data_dir
    os.makedirs(data, exist_ok=True)
    ignore = os.path.join(data, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as fh:
            fh.write("# Patina's local database: never committed.\n*\n")
    return data


def init(repo: Repo, *, pre_commit: bool = False, hooks_repo: str | None = None,
         hooks_rev: str | None = None) -> list[tuple[str, str, str]]:
    """``patina init``: the team config (``.patina/config.toml``) and the oxidize recipe
    (``.patina/oxidize.yaml``), both to commit, and the ignored data
    directory; with ``pre_commit``, Patina's entry in ``.pre-commit-config.yaml``. Safe to run
    again. Returns (what happened, path, note) per file, for the CLI to print."""
    from pathlib import Path

    from patina import config

    if repo.work_tree is None:  # bare: only the database's directory
        Path(repo.data_dir).mkdir(parents=True, exist_ok=True)
        return [("database", repo.db_path, "bare repository")]
    done = []
    cfg = Path(repo.work_tree, config.CONFIG_PATH)
    if cfg.exists():
        done.append(("kept", config.CONFIG_PATH, ""))
    else:
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(config.DEFAULT_TEXT, encoding="utf-8")
        done.append(("created", config.CONFIG_PATH, "team config: commit it"))
    from patina.oxidize import recipe

    rcp = Path(repo.work_tree, recipe.RECIPE_PATH)
    if rcp.exists():
        done.append(("kept", recipe.RECIPE_PATH, ""))
    else:
        rcp.write_text(recipe.DEFAULT_TEXT, encoding="utf-8")
        done.append(("created", recipe.RECIPE_PATH, "embedding recipe (`patina oxidize`): commit it"))
    ensure_data_dir(repo)
    done.append(("ignored", os.path.relpath(repo.data_dir, repo.work_tree) + "/", "local database"))
    if pre_commit:
        from patina.precommit import add_to_config

        path, changed = add_to_config(repo.work_tree, hooks_repo, hooks_rev)
        done.append(("updated" if changed else "kept", os.path.relpath(path, repo.work_tree),
                     "then: pre-commit install"))
    return done
