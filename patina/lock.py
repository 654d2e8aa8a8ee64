"""One writer at a time: an advisory lock file beside the database."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def locked(db_path: str, *, wait: float | None = None) -> Iterator[bool]:
    """Hold ``<db>.lock``. ``wait``: None waits for ever, 0 tries once, N waits N seconds.

    Yields whether the lock was taken. The kernel drops it when the process dies, so a
    killed update never leaves a stale lock behind. A POSIX record lock (lockf), not flock:
    a forked child (a parser pool worker) does not share it, so a worker orphaned by a
    killed update cannot keep the lock.
    """
    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
    fd = os.open(db_path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    got = False
    try:
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
                break
            except (BlockingIOError, PermissionError):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                time.sleep(0.02)
        yield got
    finally:
        if got:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)
