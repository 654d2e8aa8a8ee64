"""Running an update under the lock, and catching HEAD moves that happened meanwhile."""

from __future__ import annotations

from typing import Callable

from patina.lock import holder, locked
from patina.repo import Repo
from patina.update import UpdateResult, current_head, update


def run_update(repo: Repo, *, wait: float | None = None, what: str = "patina scrape",
               waiting: Callable[[str | None], None] | None = None, **kw) -> UpdateResult:
    """Update under the lock; raises LockBusy (naming the holder) if it was not had within ``wait``.

    After releasing the lock, if HEAD moved while we worked (a hook that found the lock
    taken gives up and relies on this), update again.
    """
    from patina.errors import LockBusy

    while True:
        with locked(repo.db_path, wait=wait, what=what, waiting=waiting) as got:
            if not got:
                raise LockBusy(f"the lock is held by {holder(repo.db_path) or 'another patina'}")
            result = update(repo, **kw)
        if kw.get("until") or kw.get("full") or current_head(repo) == result.head:
            return result
        kw = {k: v for k, v in kw.items() if k != "full"}
