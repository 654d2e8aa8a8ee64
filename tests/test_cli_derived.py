"""`patina materialize` and `patina query` end to end, on a real repository."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from gitutil import db_path
from patina.cli import main


@pytest.fixture
def scraped(repo, scrape):
    repo.commit("one", {"a.txt": "1\n", "b.txt": "1\n"}, author=("Ann", "ann@example.com"))
    repo.commit("two", {"a.txt": "2\n", "b.txt": "2\n", "c.txt": "1\n"}, author=("Bob", "bob@example.com"))
    scrape(repo.path)
    return repo


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def db(repo) -> sqlite3.Connection:
    return sqlite3.connect(db_path(repo), isolation_level=None)


def test_query_formats(scraped):
    where = ["--repo", str(scraped.path)]
    code, out, _ = run("query", "co-occurrence", *where, "--format", "csv")
    assert (code, out) == (0, "file_a,file_b,count\na.txt,b.txt,2\na.txt,c.txt,1\nb.txt,c.txt,1\n")
    code, out, _ = run("query", "co-occurrence", *where, "--param", "file=c.txt", "--format", "json", "--limit", "1")
    assert code == 0 and json.loads(out) == [{"file_a": "a.txt", "file_b": "c.txt", "count": 1}]
    code, out, _ = run("query", "collaboration", *where)
    assert code == 0 and out.splitlines() == ["author_a  author_b  shared_files",
                                              "--------  --------  ------------",
                                              "Ann       Bob       2"]


def test_query_list(scraped):
    code, out, _ = run("query", "--list")
    assert code == 0
    for name in ("decision-context", "co-occurrence", "collaboration", "causality", "decisions-between",
                 "commits-around", "as-of"):
        assert f"\n{name}\n" in f"\n{out}"
    assert "--param days=<int>  (default: 7)" in out
    code, out, _ = run("query", "--list", "--format", "json")
    assert {p["name"] for p in json.loads(out)} >= {"as-of", "causality"}


@pytest.mark.parametrize("args, code, message", [
    (["query", "nope"], 3, "no projection named 'nope'"),
    (["query", "co-occurrence", "-p", "fil=a"], 3, "co-occurrence has no parameter 'fil'"),
    (["query", "causality", "-p", "days=x"], 3, "parameter days must be an integer"),
    (["query", "as-of"], 3, "as-of needs --param at="),
    (["query"], 3, "give a projection name"),
])
def test_query_usage_errors(scraped, args, code, message):
    got, out, err = run(*args, "--repo", str(scraped.path))
    assert got == code and message in err and err.count("\n") == 1 and out == ""


def test_no_database(repo):
    repo.commit("one", {"a.txt": "1\n"})
    assert run("query", "co-occurrence", "--repo", str(repo.path))[0] == 4
    assert run("materialize", "--repo", str(repo.path))[0] == 4


def test_materialize_brings_stale_tables_current(scraped):
    where = ["--repo", str(scraped.path)]
    conn = db(scraped)
    assert conn.execute("SELECT term, doc_freq FROM term_stats ORDER BY term").fetchall() == [("one", 1), ("two", 1)]
    before = conn.execute("SELECT * FROM co_changes ORDER BY 1, 2").fetchall()
    # Pretend the file history missed the last event: query warns, materialize fixes.
    from patina import store
    from patina.derived.files import FileHistory

    FileHistory().truncate(conn, 1)
    store.set_progress(conn, "file_history", 1, None)
    assert conn.execute("SELECT * FROM co_changes ORDER BY 1, 2").fetchall() != before
    code, out, err = run("query", "co-occurrence", *where)
    assert code == 0 and "co_changes behind the log: run `patina materialize`" in err
    code, out, _ = run("materialize", *where)
    assert code == 0 and out == "materialized  file_history\n"
    assert conn.execute("SELECT * FROM co_changes ORDER BY 1, 2").fetchall() == before
    assert run("materialize", *where)[1] == "derived state already current\n"
    code, out, _ = run("materialize", "--full", *where)
    assert code == 0 and "file_history" in out and "term_stats" in out
    assert conn.execute("SELECT * FROM co_changes ORDER BY 1, 2").fetchall() == before
