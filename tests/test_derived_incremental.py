"""Incremental equals full: derived tables kept current event by event (with truncations,
as a non-linear HEAD change does) equal a fresh full materialization of the same log."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from derivedutil import commit_event, decision, revision, table
from gitutil import Repo

from patina import derived, store
from patina.events import canonical_json, utc_timestamp

MINE = ["patina.derived.files:FileHistory", "patina.derived.terms:TermStats"]
TABLES = ["co_changes", "author_expertise", "file_history", "term_stats", "term_corpus", "term_items"]
PATHS = ["a.py", "b.py", "c.py", "d/e.py", "d/f.py", "g.md"]
AUTHORS = ["Ann", "Bob"]
WORDS = ["fix", "parser", "cache", "the", "speed", "db", "x"]


@pytest.fixture(autouse=True)
def only_these_materializers(monkeypatch):
    """Exercise exactly the three materializers under test (others have their own tests)."""
    monkeypatch.setattr(derived, "MATERIALIZERS", MINE)


def fresh(max_files: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.create_schema(conn)
    store.set_meta(conn, "config_json", canonical_json({"cochange": {"max_files": max_files}}))
    return conn


commit_op = st.tuples(
    st.just("commit"),
    st.sampled_from(AUTHORS),
    st.lists(st.sampled_from(PATHS), min_size=1, max_size=6),
    st.booleans(),  # merge
    st.sampled_from([0, 1, 3600, 86400, 5 * 86400]),  # author time: not monotonic in history order
    st.lists(st.sampled_from(WORDS), max_size=4),
    # renames git reported (chains, swaps and renames onto a name used before included)
    st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(PATHS)).filter(lambda r: r[0] != r[1]),
             max_size=2),
)
# a decision with one of a few keys (a key can come back after a revision dropped it)
session_op = st.tuples(st.just("decision"), st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
                       st.sampled_from("kqz"))
revise_op = st.tuples(st.just("revise"), st.lists(st.sampled_from("kqz"), min_size=1, max_size=2, unique=True))
truncate_op = st.tuples(st.just("truncate"), st.integers(min_value=0, max_value=99))  # percent of the log kept
history = st.lists(st.one_of(commit_op, commit_op, commit_op, session_op, revise_op, truncate_op), min_size=2,
                   max_size=25)


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {name: table(conn, name) for name in TABLES}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=history, max_files=st.integers(min_value=1, max_value=5))
def test_incremental_equals_full(ops, max_files):
    inc = fresh(max_files)
    n = 0
    for op in ops:
        if op[0] == "truncate":  # what the pipeline does: roll derived state back, then cut
            keep = store.last_seq(inc) * op[1] // 100
            derived.rollback(inc, keep)
            store.truncate(inc, keep)
            continue
        n += 1
        if op[0] == "commit":
            _, author, paths, merge, offset, words, renames = op
            renames = [(old, new) for old, new in dict(renames).items() if new not in paths]
            ev = commit_event(f"{n:040x}", utc_timestamp(1_700_000_000 + offset), author, paths, merge=merge,
                              message=" ".join(words), renames=renames)
        elif op[0] == "revise":
            ev = revision("s1", utc_timestamp(1_700_000_000 + n), op[1])
        else:
            ev = decision("s1", utc_timestamp(1_700_000_000 + n), " ".join(op[1]), key=op[2])
        inc.execute("BEGIN")
        store.append(inc, [ev], store.last_seq(inc))
        derived.absorb_all(inc)  # what the pipeline does after each append
        inc.execute("COMMIT")
    assert derived.stale(inc) == []

    full = fresh(max_files)
    rows = inc.execute("SELECT seq, event_type, timestamp, source_id, source_file, data FROM eventlog").fetchall()
    full.executemany("INSERT INTO eventlog VALUES (?, ?, ?, ?, ?, ?)", rows)
    derived.rebuild_all(full)
    assert snapshot(inc) == snapshot(full)
    # the counted session items are exactly the observations view's (items no revision dropped)
    counted = inc.execute("SELECT count(*) FROM term_items WHERE kind = 'session' AND removed_seq IS NULL").fetchone()
    assert counted == inc.execute("SELECT count(*) FROM observations").fetchone()


def test_hook_path_equals_rebuild_on_real_git(tmp_path, monkeypatch):
    """Commit by commit through the real pipeline, then a non-linear HEAD change (reset and
    new commits: the log is truncated), against a full rebuild of the same HEAD."""
    from patina import repo as patina_repo
    from patina.update import update

    repo = Repo(tmp_path / "repo")
    r = patina_repo.discover(str(repo.path))

    def step(message, files, author=("Ann", "ann@example.com")):
        repo.commit(message, files, author=author)
        update(r)

    step("one", {"a.txt": "1\n", "b.txt": "1\n"})
    step("two", {"a.txt": "2\n", "c.txt": "1\n"}, ("Bob", "bob@example.com"))
    keep = repo.head()
    step("three", {"b.txt": "2\n", "c.txt": "2\n"})
    step("four", {"a.txt": "3\n", "b.txt": "3\n", "c.txt": "3\n"})
    repo.git("reset", "-q", "--hard", keep)
    step("three again", {"c.txt": "9\n", "d.txt": "1\n"}, ("Bob", "bob@example.com"))
    conn = store.connect(r.db_path)
    inc = snapshot(conn)
    assert ("b.txt", "c.txt", 1, 3) not in inc["co_changes"]  # the abandoned commit left no trace
    conn.close()
    update(r, full=True)
    conn = store.connect(r.db_path)
    full = snapshot(conn)
    assert inc == full
    assert full["co_changes"] == [("a.txt", "b.txt", 1, 1), ("a.txt", "c.txt", 1, 2), ("c.txt", "d.txt", 1, 3)]
