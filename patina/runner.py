"""Running an update under the lock, and catching HEAD moves that happened meanwhile."""

from __future__ import annotations

from typing import Callable

from patina.lock import answer, holder, knock, locked
from patina.repo import Repo
from patina.update import UpdateResult, current_head, update


def run_update(repo: Repo, *, wait: float | None = None, what: str = "patina scrape",
               waiting: Callable[[str | None], None] | None = None, recheck: bool = True,
               **kw) -> UpdateResult:
    """Update under the lock; raises LockBusy (naming the holder) if it was not had within ``wait``.

    One that gives up on a busy lock (a hook: ``wait=0``) first knocks, then tries once more:
    so either it gets the lock, or the holder, which looks for a knock after releasing, sees
    it. After releasing, if HEAD moved while we worked, update again. Whether it moved is
    asked of git when someone knocked, or always with ``recheck`` (commands; a hook passes
    False: a HEAD move that runs no hook, such as a reset, is caught by the next update).
    """
    while True:
        result = _update_locked(repo, wait, what, waiting, kw)
        knocked = answer(repo.db_path)
        if kw.get("until") or kw.get("full") or not (recheck or knocked) or current_head(repo) == result.head:
            return result
        kw = {k: v for k, v in kw.items() if k != "full"}


def _update_locked(repo: Repo, wait: float | None, what: str,
                   waiting: Callable[[str | None], None] | None, kw: dict) -> UpdateResult:
    """update() under the lock; if it is busy: knock, then one more try (LockBusy if that fails too)."""
    from patina.errors import LockBusy

    with locked(repo.db_path, wait=wait, what=what, waiting=waiting) as got:
        if got:
            return update(repo, **kw)
    knock(repo.db_path)
    with locked(repo.db_path, wait=0, what=what) as got:
        if got:
            return update(repo, **kw)
    raise LockBusy(f"the lock is held by {holder(repo.db_path) or 'another patina'}")
