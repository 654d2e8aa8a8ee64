"""``co_changes``: how often two files were changed by the same (non-merge) commit.

Logical coupling as in code-maat: a merge's first-parent diff repeats its branch's
commits, so merges are skipped; commits touching more than ``cochange.max_files`` paths
(mass reformats, vendoring) say nothing about coupling and are skipped too.
"""

from __future__ import annotations

import sqlite3
from itertools import combinations

from patina.derived._common import non_merge_commits, team_config

_UPSERT = (
    "INSERT INTO co_changes(file_a, file_b, count, last_updated_seq) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(file_a, file_b) DO UPDATE SET count = count + excluded.count, "
    "last_updated_seq = max(last_updated_seq, excluded.last_updated_seq)"
)


def pair_counts(conn: sqlite3.Connection, after_seq: int, max_files: int) -> dict[tuple[str, str], list[int]]:
    """{(file_a, file_b): [count, last seq]} over the commits after ``after_seq`` (file_a < file_b)."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for commit in non_merge_commits(conn, after_seq):
        if len(commit.paths) > max_files:
            continue
        for pair in combinations(commit.paths, 2):  # paths are sorted: a < b, no self pairs
            slot = pairs.get(pair)
            if slot is None:
                pairs[pair] = [1, commit.seq]
            else:
                slot[0] += 1
                slot[1] = commit.seq
    return pairs


class CoChanges:
    name = "co_changes"
    tables = ("co_changes",)
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM co_changes")

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        pairs = pair_counts(conn, after_seq, team_config(conn).cochange.max_files)
        conn.executemany(_UPSERT, ((a, b, n, seq) for (a, b), (n, seq) in sorted(pairs.items())))
