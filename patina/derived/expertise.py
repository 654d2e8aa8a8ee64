"""``author_expertise``: who changed which file, and when last.

Over non-merge commits (a merge's first-parent diff repeats its branch's work), with the
author as ``.mailmap`` names them (the pipeline applies HEAD's .mailmap). A rename counts
for the new path, a deletion for the deleted path.

``last_commit_timestamp`` is the greatest author timestamp seen, not the one absorbed last:
author dates need not follow history order (rebases, cherry-picks), and ``max`` keeps the
incremental result equal to a full rebuild.
"""

from __future__ import annotations

import sqlite3

from patina.derived._common import non_merge_commits

_UPSERT = (
    "INSERT INTO author_expertise(author, file_path, commit_count, last_commit_timestamp, last_updated_seq) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(author, file_path) DO UPDATE SET "
    "commit_count = commit_count + excluded.commit_count, "
    "last_commit_timestamp = max(last_commit_timestamp, excluded.last_commit_timestamp), "
    "last_updated_seq = max(last_updated_seq, excluded.last_updated_seq)"
)


class AuthorExpertise:
    name = "author_expertise"
    tables = ("author_expertise",)
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM author_expertise")

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        acc: dict[tuple[str, str], list] = {}  # (author, path) -> [count, max timestamp, last seq]
        for commit in non_merge_commits(conn, after_seq):
            for path in commit.paths:
                slot = acc.get((commit.author, path))
                if slot is None:
                    acc[(commit.author, path)] = [1, commit.timestamp, commit.seq]
                else:
                    slot[0] += 1
                    slot[1] = max(slot[1], commit.timestamp)
                    slot[2] = commit.seq
        conn.executemany(_UPSERT, ((a, p, n, ts, seq) for (a, p), (n, ts, seq) in sorted(acc.items())))
