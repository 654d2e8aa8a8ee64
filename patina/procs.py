"""Process hygiene for worker pools."""

from __future__ import annotations

import signal
import sys


def die_with_parent() -> None:
    """Pool initializer: on Linux, have the kernel kill this worker when its parent dies,
    so a SIGKILLed update leaves no orphaned workers behind."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts as alive)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
