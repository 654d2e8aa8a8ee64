"""Running an update under the lock, and catching HEAD moves that happened meanwhile."""

from __future__ import annotations

from patina.lock import locked
from patina.repo import Repo
from patina.update import UpdateResult, current_head, update


def run_update(repo: Repo, *, wait: float | None = None, **kw) -> UpdateResult:
    """Update under the lock; raises LockBusy if the lock was not had within ``wait``.

    After releasing the lock, if HEAD moved while we worked (a hook that found the lock
    taken gives up and relies on this), update again.
    """
    from patina.errors import LockBusy

    while True:
        with locked(repo.db_path, wait=wait) as got:
            if not got:
                raise LockBusy("another patina update holds the lock")
            result = update(repo, **kw)
        if kw.get("until") or kw.get("full") or current_head(repo) == result.head:
            return result
        kw = {k: v for k, v in kw.items() if k != "full"}
