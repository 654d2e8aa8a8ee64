"""`patina verify`: rebuild from scratch into a temporary database and compare.

Compares every eventlog row and every derived table. FTS5 indexes are compared by their
content (their internal segments depend on insertion history, not on what they hold).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass, field

from patina import store
from patina.repo import Repo


@dataclass
class VerifyResult:
    identical: bool
    events: int
    sha256: str
    built_for: str | None
    first_difference: int | None = None  # seq of the first differing eventlog row
    summary: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # table -> "identical" | "different" | "skipped: ..."
    notes: list[str] = field(default_factory=list)  # what was not compared exactly, and why (never silent)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _tables(conn: sqlite3.Connection) -> dict[str, str]:
    """Comparable tables -> ORDER BY clause. Virtual tables by rowid; their shadow tables skipped."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    virtual = {n for n, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
    out = {}
    for name, _ in rows:
        if any(name.startswith(v + "_") for v in virtual):
            continue
        if name in virtual:
            out[name] = "rowid"
        else:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            out[name] = ", ".join(f'"{c}"' for c in cols)
    return out


def _rows(conn: sqlite3.Connection, table: str, order: str):
    select = "rowid, *" if order == "rowid" else "*"
    return conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {order}')  # noqa: S608


def _first_difference(live: sqlite3.Connection, fresh: sqlite3.Connection) -> tuple[int, str]:
    a = store.events(live)
    b = store.events(fresh)
    while True:
        x, y = a.fetchone(), b.fetchone()
        if x == y:
            if x is None:
                return 0, ""
            continue
        if x is None:
            return y[0], f"seq {y[0]}: missing from the live log (rebuild has {y[1]} {y[3]})"
        if y is None:
            return x[0], f"seq {x[0]}: extra in the live log ({x[1]} {x[3]})"
        what = [c for c, u, v in zip(("seq", "event_type", "timestamp", "source_id", "source_file", "data"), x, y) if u != v]
        return x[0], f"seq {x[0]}: {x[1]} {x[3]} differs in {', '.join(what)} (rebuild: {y[1]} {y[3]})"


def run(repo: Repo, waiting=None) -> VerifyResult:
    """``patina verify``: :func:`verify` under the update lock (no update runs meanwhile);
    ``waiting(holder)`` is told once if the lock is busy."""
    from patina.lock import locked

    store.require(repo.db_path)
    with locked(repo.db_path, what="patina verify", waiting=waiting):
        return verify(repo)


def verify(repo: Repo) -> VerifyResult:
    """Compare the live database with a fresh build for the commit it was built for.

    The caller holds the lock, so no update runs meanwhile.
    """
    from patina import derived
    from patina.update import update

    live = store.connect(repo.db_path, readonly=True)
    try:
        state = store.health(live)
        if state != "ok":
            return VerifyResult(False, 0, "", None, summary=[f"live database is {state}: run `patina scrape --full`"])
        built_for = store.get_meta(live, "head")
        with tempfile.TemporaryDirectory(prefix="patina-verify-") as tmp:
            fresh_path = os.path.join(tmp, "fresh.db")
            if built_for:
                update(repo, full=True, db_path=fresh_path, at=built_for)
            else:
                update(repo, full=True, db_path=fresh_path)
            fresh = store.connect(fresh_path)
            try:
                # Batch materializers current in the live log must be current in the fresh one too.
                batch = [m.name for m in derived.load_all() if not m.incremental]
                live_current = set(batch) - set(derived.stale(live))
                if live_current:
                    with store.transaction(fresh, immediate=False):
                        derived.rebuild_all(fresh, only=sorted(live_current))
                stale_batch = set(batch) - live_current
                return _compare(live, fresh, built_for, stale_batch, fresh_path, repo.data_dir)
            finally:
                fresh.close()
    finally:
        live.close()


def _compare(live, fresh, built_for, stale_batch, fresh_path, data_dir) -> VerifyResult:
    from patina import derived

    n, digest = store.digest_rows(store.events(live))
    result = VerifyResult(True, n, digest, built_for)
    skip = {t for m in derived.load_all() if m.name in stale_batch for t in getattr(m, "tables", ())}
    # Lazy materializers (vectors: made by a model, not bit-exact across machines) compare their
    # own way, within a tolerance, or say why they were skipped.
    lazy = [m for m in derived.load_all() if getattr(m, "lazy", False)]
    own = _compare_lazy(live, fresh_path, data_dir, result) if lazy else set()
    stale_batch = set(stale_batch) | {m.name for m in lazy}  # their progress rows: compared by them
    live_tables, fresh_tables = _tables(live), _tables(fresh)
    for table in sorted(set(live_tables) | set(fresh_tables)):
        if table in own:
            continue
        if table in skip:
            result.tables[table] = "skipped: stale (run `patina materialize`)"
            continue
        if table not in live_tables or table not in fresh_tables:
            result.tables[table] = "different"
            result.identical = False
            result.summary.append(f"table {table} exists in only one database")
            continue
        order = fresh_tables[table]
        if table == "scrape_meta":
            # Rows of stale batch materializers legitimately differ.
            same = (store.digest_rows(store.meta_rows_except(live, stale_batch))
                    == store.digest_rows(store.meta_rows_except(fresh, stale_batch)))
        else:
            same = store.digest_rows(_rows(live, table, order)) == store.digest_rows(_rows(fresh, table, order))
        result.tables[table] = "identical" if same else "different"
        if not same:
            result.identical = False
            if table == "eventlog":
                seq, why = _first_difference(live, fresh)
                result.first_difference = seq
                result.summary.insert(0, why)
            else:
                result.summary.append(f"table {table} differs from a fresh build")
    return result


def _compare_lazy(live, fresh_path: str, data_dir: str, result: VerifyResult) -> set[str]:
    """The vectors' tables: re-embedded and compared within a tolerance, or skipped with a reason
    (:mod:`patina.oxidize.check`). Returns the tables it reported on."""
    from patina.oxidize import check

    verdicts, problems = check.compare(live, fresh_path, data_dir)
    result.tables.update(verdicts)
    result.notes.extend(f"{table}: {verdict}" for table, verdict in sorted(verdicts.items())
                        if not verdict.startswith("identical (") and verdict != "identical")
    if problems:
        result.identical = False
        result.summary.extend(problems)
    return set(verdicts)
