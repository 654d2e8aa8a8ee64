"""Small helpers shared by the bench scripts: timing whole commands, peak memory, tables."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

PY = sys.executable


def clean_env() -> dict[str, str]:
    """The environment a user's git hook or shell has: no GIT_* variables, and Python free to
    cache bytecode (a sandbox's PYTHONDONTWRITEBYTECODE would make every start recompile)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd=None, runs: int = 3, env=None, stdout=subprocess.DEVNULL) -> tuple[float, int]:
    """(median wall seconds, peak RSS in KiB of the command and its children) over ``runs``."""
    walls, peaks = [], []
    probe = ("import resource, subprocess, sys, time, json;"
             "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL);"
             "w = time.perf_counter() - t;"
             "print(json.dumps([w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode]))")
    for _ in range(runs):
        out = subprocess.run([PY, "-c", probe, *cmd], cwd=cwd, env=env or clean_env(),
                             capture_output=True, text=True, check=True).stdout
        wall, peak, code = json.loads(out)
        if code != 0:
            raise SystemExit(f"command failed ({code}): {' '.join(cmd)}")
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks)


def wall(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def table(rows: list[tuple], header: tuple) -> str:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
