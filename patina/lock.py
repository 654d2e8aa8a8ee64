"""One writer at a time: an advisory lock file beside the database, saying who holds it."""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator


def holder(db_path: str) -> str | None:
    """Who holds (or last held) the lock, as "what (pid N, since HH:MM:SS)"; None if unknown."""
    try:
        with open(db_path + ".lock", encoding="utf-8") as fh:
            info = json.loads(fh.read() or "null")
        return f"{info['what']} (pid {info['pid']}, since {info['since']})"
    except (OSError, ValueError, TypeError, KeyError):
        return None


@contextmanager
def locked(db_path: str, *, wait: float | None = None, what: str = "patina",
           waiting: Callable[[str | None], None] | None = None) -> Iterator[bool]:
    """Hold ``<db>.lock``. ``wait``: None waits for ever, 0 tries once, N waits N seconds.

    Yields whether the lock was taken. ``what`` (e.g. "patina hook post-commit") is written
    into the lock file with the pid, so another process can say who it waits for;
    ``waiting(holder)`` is called once if the lock is busy and we wait. The kernel drops the
    lock when the process dies, so a killed update never leaves a stale lock behind. A POSIX
    record lock (lockf), not flock: a forked child (a parser worker) does not share it, so a
    worker orphaned by a killed update cannot keep the lock.
    """
    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
    fd = os.open(db_path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    got = False
    try:
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
                break
            except (BlockingIOError, PermissionError):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if waiting is not None and not told:
                    waiting(holder(db_path))
                    told = True
                time.sleep(0.02)
        if got:
            _write_holder(fd, what)
        yield got
    finally:
        if got:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)


def knock(db_path: str) -> None:
    """Leave word for the lock's holder that HEAD moved while it worked (see :func:`answer`)."""
    try:
        with open(db_path + ".knock", "w", encoding="utf-8"):
            pass
    except OSError:
        pass


def answer(db_path: str) -> bool:
    """Whether someone knocked since the last answer (and clear it). Called after releasing."""
    try:
        os.remove(db_path + ".knock")
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: assume so


def _write_holder(fd: int, what: str) -> None:
    record = json.dumps({"what": what, "pid": os.getpid(), "since": time.strftime("%H:%M:%S")}).encode()
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
    except OSError:
        pass  # the lock holds without its label
