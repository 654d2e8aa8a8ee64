"""File history: ``co_changes`` and ``author_expertise``, following renames.

Both are aggregates of one index of the log, ``file_history``: for every non-merge commit,
each path it changed, under the *name the file has now*. When git reports a rename (in any
commit, merges included), every earlier row of the old name takes the new one, so after
``flask.py -> flask/app.py -> src/flask/app.py`` the current path holds the whole history, as
``git log --follow`` would show it (code-maat counts the names as unrelated files). A path
deleted and later re-created is one name.

- ``co_changes(file_a, file_b)``: non-merge commits of at most ``cochange.max_files`` paths
  that changed both files (names, ``file_a < file_b``); ``last_updated_seq`` the last of them.
- ``author_expertise(author, file_path)``: non-merge commits per author and file, the
  greatest author timestamp among them (author dates need not follow history order), the last seq.

Every change costs time in proportion to what it touches, never to the tables: an append
adds its commit's pairs; a rename re-keys the two names' rows and recounts them from
``file_history``; a truncation subtracts the cut commits (recounting only the pairs and
authors whose last commit was cut), or, when renames were cut, recounts the names involved.
"""

from __future__ import annotations

import json
import sqlite3
from itertools import combinations
from typing import Iterable, NamedTuple

from patina import store


class _Commit(NamedTuple):
    seq: int
    timestamp: str
    author: str
    paths: tuple[str, ...]  # distinct changed paths (new path of a rename), sorted; () for a merge
    renames: tuple[tuple[str, str], ...]  # (old, new) as git paired them
    merge: bool


def _commits(conn: sqlite3.Connection, after_seq: int) -> Iterable[_Commit]:
    # Only the fields used, read by SQLite: the message is most of a commit's payload.
    for seq, _, timestamp, _, _, author, is_merge, raw_files in store.event_fields(
            conn, after_seq, ("git.commit",), ("$.author", "$.is_merge", "$.files")):
        listed = json.loads(raw_files) if isinstance(raw_files, str) else None
        files = [f for f in listed or () if isinstance(f, dict) and f.get("path")] if isinstance(listed, list) else []
        renames = tuple((f["old_path"], f["path"]) for f in files
                        if f.get("status") == "R" and f.get("old_path") and f["old_path"] != f["path"])
        merge = bool(is_merge)
        paths = () if merge else tuple(sorted({f["path"] for f in files}))
        yield _Commit(seq, timestamp, str(author or ""), paths, renames, merge)


def _names(names: Iterable[str]) -> str:
    """A set of names as one JSON parameter (read back with json_each)."""
    return json.dumps(sorted(set(names)))


_PAIR_UPSERT = (
    "INSERT INTO co_changes(file_a, file_b, count, last_updated_seq) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(file_a, file_b) DO UPDATE SET count = count + excluded.count, "
    "last_updated_seq = max(last_updated_seq, excluded.last_updated_seq)"
)
_EXPERT_UPSERT = (
    "INSERT INTO author_expertise(author, file_path, commit_count, last_commit_timestamp, last_updated_seq) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(author, file_path) DO UPDATE SET "
    "commit_count = commit_count + excluded.commit_count, "
    "last_commit_timestamp = max(last_commit_timestamp, excluded.last_commit_timestamp), "
    "last_updated_seq = max(last_updated_seq, excluded.last_updated_seq)"
)


class _Pending:
    """Increments of a run of commits without renames, written at once."""

    def __init__(self, max_files: int) -> None:
        self.max_files = max_files
        self.pairs: dict[tuple[str, str], list[int]] = {}
        self.experts: dict[tuple[str, str], list] = {}
        self.commits: list[tuple] = []
        self.rows: list[tuple] = []

    def add(self, c: _Commit) -> None:
        self.commits.append((c.seq, c.author, c.timestamp, len(c.paths)))
        self.rows.extend((c.seq, p, p) for p in c.paths)
        if len(c.paths) <= self.max_files:
            for pair in combinations(c.paths, 2):  # sorted: a < b
                slot = self.pairs.get(pair)
                if slot is None:
                    self.pairs[pair] = [1, c.seq]
                else:
                    slot[0] += 1
                    slot[1] = c.seq
        for path in c.paths:
            slot = self.experts.get((c.author, path))
            if slot is None:
                self.experts[(c.author, path)] = [1, c.timestamp, c.seq]
            else:
                slot[0] += 1
                slot[1] = max(slot[1], c.timestamp)
                slot[2] = c.seq

    def flush(self, conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT INTO history_commits(seq, author, timestamp, paths) VALUES (?, ?, ?, ?)",
                         self.commits)
        conn.executemany("INSERT INTO file_history(seq, path, name) VALUES (?, ?, ?)", self.rows)
        conn.executemany(_PAIR_UPSERT, ((a, b, n, s) for (a, b), (n, s) in sorted(self.pairs.items())))
        conn.executemany(_EXPERT_UPSERT, ((a, p, n, t, s) for (a, p), (n, t, s) in sorted(self.experts.items())))
        self.__init__(self.max_files)  # type: ignore[misc]


def recount(conn: sqlite3.Connection, names: Iterable[str], max_files: int) -> None:
    """Recompute every ``co_changes`` and ``author_expertise`` row of these names from
    ``file_history`` (the work grows with those files' history only)."""
    wanted = _names(names)
    conn.execute("DELETE FROM co_changes WHERE file_a IN (SELECT value FROM json_each(?)) "
                 "OR file_b IN (SELECT value FROM json_each(?))", (wanted, wanted))
    conn.execute("DELETE FROM author_expertise WHERE file_path IN (SELECT value FROM json_each(?))", (wanted,))
    conn.execute(
        "WITH touched AS (SELECT DISTINCT f.seq FROM file_history f WHERE f.name IN (SELECT value FROM json_each(?))), "
        "names AS (SELECT DISTINCT f.seq, f.name FROM touched t JOIN history_commits c ON c.seq = t.seq "
        "          JOIN file_history f ON f.seq = t.seq WHERE c.paths <= ?) "
        "INSERT INTO co_changes(file_a, file_b, count, last_updated_seq) "
        "SELECT x.name, y.name, count(*), max(x.seq) FROM names x JOIN names y ON y.seq = x.seq AND x.name < y.name "
        "WHERE x.name IN (SELECT value FROM json_each(?)) OR y.name IN (SELECT value FROM json_each(?)) "
        "GROUP BY x.name, y.name", (wanted, max_files, wanted, wanted))
    conn.execute(
        "INSERT INTO author_expertise(author, file_path, commit_count, last_commit_timestamp, last_updated_seq) "
        "SELECT c.author, f.name, count(DISTINCT f.seq), max(c.timestamp), max(f.seq) "
        "FROM file_history f JOIN history_commits c ON c.seq = f.seq "
        "WHERE f.name IN (SELECT value FROM json_each(?)) GROUP BY c.author, f.name", (wanted,))


def _rename(conn: sqlite3.Connection, seq: int, renames: tuple[tuple[str, str], ...]) -> set[str]:
    """Give every earlier row of each old name its new name, all of a commit's renames at
    once (a commit may rotate names: a -> b and b -> c); the names whose rows changed."""
    mapping = {old: new for old, new in renames}
    conn.executemany("INSERT OR IGNORE INTO history_renames(seq, old_path, new_path) VALUES (?, ?, ?)",
                     ((seq, old, new) for old, new in sorted(mapping.items())))
    moved = {r[0] for r in conn.execute(
        "SELECT DISTINCT name FROM file_history WHERE name IN (SELECT key FROM json_each(?))", (json.dumps(mapping),))}
    conn.execute("UPDATE file_history SET name = (SELECT j.value FROM json_each(?1) j WHERE j.key = file_history.name) "
                 "WHERE name IN (SELECT key FROM json_each(?1))", (json.dumps(mapping),))
    return moved | {mapping[old] for old in moved}


class FileHistory:
    name = "file_history"
    tables = ("file_history", "history_commits", "history_renames", "co_changes", "author_expertise")
    incremental = True

    def reset(self, conn: sqlite3.Connection) -> None:
        for table in self.tables:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        from patina.derived._common import team_config

        max_files = team_config(conn).cochange.max_files
        pending = _Pending(max_files)
        for commit in _commits(conn, after_seq):
            if commit.renames:
                pending.flush(conn)
                touched = _rename(conn, commit.seq, commit.renames)
                if not commit.merge:
                    pending.add(commit)
                    pending.flush(conn)
                if touched:
                    recount(conn, touched, max_files)
            elif not commit.merge:
                pending.add(commit)
        pending.flush(conn)

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Undo every commit after ``keep_through`` (its rows are still in ``file_history``)."""
        from patina.derived._common import team_config

        max_files = team_config(conn).cochange.max_files
        cut_renames = conn.execute("SELECT old_path, new_path FROM history_renames WHERE seq > ? ORDER BY seq",
                                   (keep_through,)).fetchall()
        if cut_renames:
            self._undo_with_renames(conn, keep_through, cut_renames, max_files)
        else:
            self._subtract(conn, keep_through, max_files)
        for table in ("file_history", "history_commits", "history_renames"):
            conn.execute(f"DELETE FROM {table} WHERE seq > ?", (keep_through,))  # noqa: S608

    @staticmethod
    def _subtract(conn: sqlite3.Connection, keep: int, max_files: int) -> None:
        """No rename was cut: take the cut commits' contributions off, then recount the last
        seq/time of the rows whose last commit was cut, from the kept history."""
        cut: dict[int, tuple[str, str, int, list[str]]] = {}
        for seq, author, timestamp, paths, name in conn.execute(
                "SELECT c.seq, c.author, c.timestamp, c.paths, f.name FROM history_commits c "
                "JOIN file_history f ON f.seq = c.seq WHERE c.seq > ? ORDER BY c.seq, f.name", (keep,)):
            cut.setdefault(seq, (author, timestamp, paths, []))[3].append(name)
        pairs: dict[tuple[str, str], int] = {}
        experts: dict[tuple[str, str], int] = {}
        for author, _, width, names in cut.values():
            if width <= max_files:
                for pair in combinations(sorted(set(names)), 2):
                    pairs[pair] = pairs.get(pair, 0) + 1
            for name in set(names):
                experts[(author, name)] = experts.get((author, name), 0) + 1
        conn.executemany("UPDATE co_changes SET count = count - ? WHERE file_a = ? AND file_b = ?",
                         ((n, a, b) for (a, b), n in sorted(pairs.items())))
        conn.executemany("UPDATE author_expertise SET commit_count = commit_count - ? WHERE author = ? AND file_path = ?",
                         ((n, a, p) for (a, p), n in sorted(experts.items())))
        conn.execute("DELETE FROM co_changes WHERE count <= 0")
        conn.execute("DELETE FROM author_expertise WHERE commit_count <= 0")
        conn.executemany(
            "UPDATE co_changes SET last_updated_seq = (SELECT max(x.seq) FROM file_history x "
            "  JOIN history_commits c ON c.seq = x.seq AND c.paths <= ? "
            "  JOIN file_history y ON y.seq = x.seq AND y.name = co_changes.file_b "
            "  WHERE x.name = co_changes.file_a AND x.seq <= ?) "
            "WHERE file_a = ? AND file_b = ? AND last_updated_seq > ?",
            ((max_files, keep, a, b, keep) for a, b in sorted(pairs)))
        conn.executemany(
            "UPDATE author_expertise SET (last_commit_timestamp, last_updated_seq) = "
            "(SELECT max(c.timestamp), max(c.seq) FROM file_history f JOIN history_commits c ON c.seq = f.seq "
            " WHERE f.name = author_expertise.file_path AND c.author = author_expertise.author AND f.seq <= ?) "
            "WHERE author = ? AND file_path = ? AND last_updated_seq > ?",
            ((keep, a, p, keep) for a, p in sorted(experts)))

    @staticmethod
    def _undo_with_renames(conn: sqlite3.Connection, keep: int, cut_renames: list[tuple[str, str]],
                           max_files: int) -> None:
        """Renames were cut: give the rows their names under the kept renames, then recount
        every name involved."""
        affected = {n for r in cut_renames for n in r}
        affected.update(r[0] for r in conn.execute(
            "SELECT DISTINCT name FROM file_history WHERE seq > ?", (keep,)))
        rows = conn.execute(
            "SELECT seq, path, name FROM file_history WHERE name IN (SELECT value FROM json_each(?)) AND seq <= ?",
            (_names(affected), keep)).fetchall()
        kept: dict[str, list[tuple[int, str]]] = {}  # old name -> [(seq, new name)] in seq order
        for r_seq, old, new in conn.execute(
                "SELECT seq, old_path, new_path FROM history_renames WHERE seq <= ? ORDER BY seq", (keep,)):
            kept.setdefault(old, []).append((r_seq, new))
        fixes = []
        for seq, path, name in rows:
            now, at = path, seq
            while True:  # follow the renames after the row, in order
                step = next(((r, new) for r, new in kept.get(now, ()) if r > at), None)
                if step is None:
                    break
                at, now = step
            if now != name:
                fixes.append((now, seq, path))
                affected.add(now)
        conn.executemany("UPDATE file_history SET name = ? WHERE seq = ? AND path = ?", fixes)
        conn.execute("DELETE FROM file_history WHERE seq > ?", (keep,))
        conn.execute("DELETE FROM history_commits WHERE seq > ?", (keep,))
        recount(conn, affected, max_files)
