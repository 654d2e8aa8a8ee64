"""Property: whatever git does, with the hooks installed the log equals a fresh full build.

Random sequences of commit, branch, checkout, merge --no-ff, fast-forward, squash merge,
rebase, reset --hard, commit --amend, cherry-pick, revert and pull from a second clone.
Every commit writes its own file, so operations rarely conflict; when one does, it is
aborted (git's state returns to what it was) and the property still has to hold.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitutil import Repo, git
from hookutil import assert_equals_fresh_build, built_head, install_hooks, patina, settle

OPS = ("commit", "commit", "commit", "branch", "checkout", "merge", "ff", "squash", "rebase", "reset",
       "amend", "cherry-pick", "revert", "pull", "session")

SESSION = """# Session: {title}
**ID**: 20251121-0{n:05d}
**Started**: 2025-11-21T10:00:00Z

## Goals
- [ ] goal {n}

## Activity Log
### 10:{m:02d} - entry {n}
**Key Decisions:**
- decision number {n}
"""


class World:
    def __init__(self, root: Path) -> None:
        self.repo = Repo(root / "repo")
        self.counter = itertools.count()
        self.repo.commit("root", {"README.md": "hello\n", "src/lib.py": "def root():\n    return 0\n"})
        install_hooks(self.repo.path)
        assert patina("scrape", "--quiet", cwd=self.repo.path).returncode == 0
        self.other = root / "other"
        subprocess.run(["git", "clone", "-q", str(self.repo.path), str(self.other)], check=True)

    def branches(self) -> list[str]:
        return sorted(git(self.repo.path, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())

    def current(self) -> str:
        return git(self.repo.path, "rev-parse", "--abbrev-ref", "HEAD")

    def _try(self, *args: str, abort: str | None = None) -> None:
        try:
            self.repo.git(*args)
        except AssertionError:
            if abort:
                self.repo.git(abort, "--abort", check=False)
            self.repo.git("reset", "-q", "--hard", check=False)

    def apply(self, op: str, pick: int) -> bool:
        """Run one operation; returns whether git runs a post-* hook when it moves HEAD
        (a no-op such as "Already up to date" runs none)."""
        n = next(self.counter)
        others = [b for b in self.branches() if b != self.current()]
        other = others[pick % len(others)] if others else None
        if op == "commit":
            self.repo.commit(f"commit {n}", {f"f{n}.txt": f"{n}\n", "src/lib.py": f"def f{n}():\n    return {n}\n"}
                             if n % 3 == 0 else {f"f{n}.txt": f"{n}\n"})
        elif op == "session":
            self.repo.commit(f"session {n}", {f"layer/sessions/2025-{n}.md": SESSION.format(title=f"s{n}", n=n, m=n % 60)})
        elif op == "branch":
            self.repo.git("checkout", "-q", "-b", f"b{n}")
        elif op == "checkout" and other:
            self.repo.git("checkout", "-q", other)
        elif op == "merge" and other:
            self._try("merge", "-q", "--no-ff", "--no-edit", other, abort="merge")
        elif op == "ff" and other:
            self._try("merge", "-q", "--ff-only", other)
        elif op == "squash" and other:
            self._try("merge", "-q", "--squash", other)
            self.repo.git("commit", "-q", "--allow-empty", "-m", f"squash {n}", check=False)
        elif op == "rebase" and other:
            self._try("rebase", "-q", other, abort="rebase")
        elif op == "reset":
            self.repo.git("reset", "-q", "--hard", "HEAD~1", check=False)
            return False  # git runs no hook for reset
        elif op == "amend":
            self.repo.git("commit", "-q", "--amend", "--allow-empty", "-m", f"amended {n}")
        elif op == "cherry-pick" and other:
            self._try("cherry-pick", other, abort="cherry-pick")
        elif op == "revert":
            self._try("revert", "--no-edit", "HEAD", abort="revert")
        elif op == "pull":
            other_repo = Repo.__new__(Repo)
            other_repo.path, other_repo.tick = self.other, 10_000 + n
            other_repo.commit(f"upstream {n}", {f"up{n}.txt": f"{n}\n"})
            self._try("pull", "-q", "--no-rebase", "--no-edit", str(self.other), "HEAD", abort="merge")
        else:
            return False
        return True


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 7)), min_size=3, max_size=9))
def test_random_git_operations_keep_the_log_equal_to_a_full_build(tmp_path_factory, ops):
    root = tmp_path_factory.mktemp("world")
    world = World(root)
    try:
        for op, pick in ops:
            before = world.repo.head()
            hooked = world.apply(op, pick)
            if hooked and world.repo.head() != before:  # git ran a post-* hook for the move
                settle(world.repo.path)  # (or handed it to the background job, which catches up)
                assert built_head(world.repo.path) == world.repo.head(), op
            assert_equals_fresh_build(world.repo.path)
        # Whatever happened, the next update catches up and still equals a rebuild.
        assert patina("scrape", "--quiet", cwd=world.repo.path).returncode == 0
        assert built_head(world.repo.path) == world.repo.head()
        assert_equals_fresh_build(world.repo.path)
    finally:
        shutil.rmtree(root, ignore_errors=True)
