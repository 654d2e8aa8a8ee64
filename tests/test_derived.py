"""Derived tables on a crafted real-git history: exact rows, computed by hand."""

from __future__ import annotations

import pytest

from derivedutil import epoch, seq_of, table
from gitutil import Repo

from patina import derived, repo as patina_repo, store
from patina.derived import terms

ANN = ("Ann Author", "ann@example.com")
BOB_OLD = ("bob", "bob@old.example.com")  # .mailmap: -> Bob Builder <bob@example.com>
BOB = ("Bob Builder", "bob@example.com")
T0 = epoch("2025-11-01T12:00:00Z")


def t(hours: int) -> int:
    return T0 + hours * 3600


def stamp(hours: int) -> str:
    from patina.events import utc_timestamp

    return utc_timestamp(t(hours))


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """The history of the module docstring's tables; returns (db path, {name: sha})."""
    repo = Repo(tmp_path_factory.mktemp("crafted") / "repo")
    c = {}
    c["c1"] = repo.commit("Setup: mailmap and config", {
        ".mailmap": "Bob Builder <bob@example.com> <bob@old.example.com>\n",
        ".patina/config.toml": "[cochange]\nmax_files = 3\n"}, when=t(0), author=ANN)
    c["c2"] = repo.commit("Add a b c", {"a.txt": "a1\n", "b.txt": "b1\n", "c.txt": "c1\n"}, when=t(1), author=ANN)
    c["c3"] = repo.commit("Bob edits a and b", {"a.txt": "a2\n", "b.txt": "b2\n"}, when=t(2), author=BOB_OLD)
    repo.git("checkout", "-q", "-b", "feature")
    c["c4"] = repo.commit("Feature: c and d", {"c.txt": "c2\n", "d.txt": "d1\n"}, when=t(3), author=ANN)
    repo.git("checkout", "-q", "main")
    c["c5"] = repo.commit("Bob edits a", {"a.txt": "a3\n"}, when=t(4), author=BOB)
    c["m"] = repo.merge("feature", "Merge feature", when=t(5))
    repo.git("mv", "b.txt", "e.txt")
    c["c6"] = repo.commit("Rename b to e, edit a", {"a.txt": "a4\n"}, when=t(6), author=ANN)
    c["c7"] = repo.commit("Drop c, edit d", {"c.txt": None, "d.txt": "d2\n"}, when=t(7), author=BOB)
    c["c8"] = repo.commit("Too big", {"a.txt": "a5\n", "d.txt": "d3\n", "e.txt": "b2 e\n", "f.txt": "f1\n"},
                          when=t(8), author=ANN)
    # Author date earlier than c8's: last_commit_timestamp is the max, not the last absorbed.
    c["c9"] = repo.commit("Just enough", {"a.txt": "a6\n", "d.txt": "d4\n", "e.txt": "b2 e2\n"},
                          when=t(9), author=ANN)
    from patina.update import update

    r = patina_repo.discover(str(repo.path))
    update(r)
    return r.db_path, c


def test_co_changes_exact_rows(crafted):
    db, c = crafted
    conn = store.connect(db, readonly=True)
    s = seq_of(conn)
    # b.txt was renamed to e.txt by c6: its past is e.txt's (as `git log --follow e.txt` shows it).
    assert table(conn, "co_changes") == [
        (".mailmap", ".patina/config.toml", 1, s[c["c1"]]),
        ("a.txt", "c.txt", 1, s[c["c2"]]),
        ("a.txt", "d.txt", 1, s[c["c9"]]),        # c8 (4 paths > max_files 3) skipped
        ("a.txt", "e.txt", 4, s[c["c9"]]),        # c2, c3 as b.txt (mailmap'd bob counts the same), c6, c9
        ("c.txt", "d.txt", 2, s[c["c7"]]),        # c4 (brought in by the merge), c7 (deletion); merge skipped
        ("c.txt", "e.txt", 1, s[c["c2"]]),        # c2 as b.txt
        ("d.txt", "e.txt", 1, s[c["c9"]]),
    ]


def test_author_expertise_exact_rows(crafted):
    db, c = crafted
    conn = store.connect(db, readonly=True)
    s = seq_of(conn)
    ann, bob = "Ann Author", "Bob Builder"
    assert table(conn, "author_expertise") == [
        (ann, ".mailmap", 1, stamp(0), s[c["c1"]]),
        (ann, ".patina/config.toml", 1, stamp(0), s[c["c1"]]),
        (ann, "a.txt", 4, stamp(9), s[c["c9"]]),   # c2 c6 c8 c9 (max_files does not apply here)
        (ann, "c.txt", 2, stamp(3), s[c["c4"]]),   # c2, c4 (the merge's diff is not Ann's work)
        (ann, "d.txt", 3, stamp(9), s[c["c9"]]),
        (ann, "e.txt", 4, stamp(9), s[c["c9"]]),   # c2 as b.txt, c6, c8, c9
        (ann, "f.txt", 1, stamp(8), s[c["c8"]]),
        (bob, "a.txt", 2, stamp(4), s[c["c5"]]),   # c3 as "bob <bob@old...>" and c5: one identity
        (bob, "c.txt", 1, stamp(7), s[c["c7"]]),   # the deletion
        (bob, "d.txt", 1, stamp(7), s[c["c7"]]),
        (bob, "e.txt", 1, stamp(2), s[c["c3"]]),   # c3 as b.txt
    ]


def test_materializers_record_seq_and_event_timestamp(crafted):
    db, c = crafted
    conn = store.connect(db, readonly=True)
    last = conn.execute("SELECT seq, timestamp FROM eventlog ORDER BY seq DESC LIMIT 1").fetchone()
    for name in ("file_history",):
        row = conn.execute("SELECT last_seq, last_timestamp FROM scrape_meta WHERE key = ?",
                           (f"materializer:{name}",)).fetchone()
        assert row == last
    assert derived.stale(conn) == []  # every materializer is incremental: current after any update


def test_term_stats_exact(crafted):
    db, c = crafted
    conn = store.connect(db, readonly=True)
    # 10 commit messages (the merge's included). Terms per message, stopwords and 1-letter
    # words dropped: setup mailmap config | add | bob edits | feature | bob edits |
    # merge feature | rename edit | drop edit | big | enough  -> 17 tokens.
    assert table(conn, "term_corpus") == [("all", 10, 17), ("commit", 10, 17)]
    rows = {r[0]: r[1:] for r in table(conn, "term_stats")}
    assert len(rows) == 13
    n = 10
    assert rows["edit"] == (2, 2, round(terms.idf(n, 2), 9))      # "Rename b to e, edit a" / "Drop c, edit d"
    assert rows["edits"] == (2, 2, round(terms.idf(n, 2), 9))     # "Bob edits a and b" / "Bob edits a"
    assert rows["bob"] == (2, 2, round(terms.idf(n, 2), 9))
    assert rows["feature"] == (2, 2, round(terms.idf(n, 2), 9))   # "Feature: c and d", "Merge feature"
    assert rows["setup"] == (1, 1, round(terms.idf(n, 1), 9))
    assert "and" not in rows and "a" not in rows and "too" not in rows
    assert rows["edit"][2] == 1.481604541  # ln(1 + (10 - 2 + 0.5) / (2 + 0.5)) = ln 4.4


def test_tokens_rules():
    # Words as scry's FTS5 index splits them (patina.text): an identifier's parts are words.
    assert terms.tokens("Fix the DB_path bug in 3fa9c1e2b, 2025 v2 α-test") == ["fix", "db", "path", "bug", "v2", "test"]
    assert terms.tokens("") == []


SESSION = """# Session: cache the parses
**ID**: 20251121-050000
**Started**: 2025-11-21T10:00:00Z

## Activity Log
### 05:00 - Session Start
Working on branch: main

### 06:00 - Cache work

**Key Decisions:**
- Cache parses by blob id
- Drop the old cache
"""


def test_term_stats_include_session_texts(repo, scrape):
    repo.commit("Parser: cache parses", {"p.txt": "1\n"})
    repo.commit("Session notes", {"layer/sessions/20251121-050000.md": SESSION})
    scrape(repo.path)
    from patina import repo as patina_repo

    conn = store.connect(patina_repo.discover(str(repo.path)).db_path)
    texts = [r[0] for r in conn.execute("SELECT content FROM observations ORDER BY seq")]
    assert "Cache parses by blob id" in texts and "Drop the old cache" in texts
    corpus = dict((k, (d, n)) for k, d, n in table(conn, "term_corpus"))
    assert corpus["commit"] == (2, 5)  # parser cache parses | session notes
    assert corpus["session"][0] == len(texts)
    assert corpus["all"] == (2 + len(texts), 5 + corpus["session"][1])
    stats = {r[0]: r[1:3] for r in table(conn, "term_stats")}
    in_sessions = sum(1 for t in texts if "cache" in terms.tokens(t))
    assert stats["cache"] == (1 + in_sessions, 1 + sum(terms.tokens(t).count("cache") for t in texts))
    assert stats["blob"][0] == sum(1 for t in texts if "blob" in terms.tokens(t)) >= 1


def _commit_log(events):
    """An in-memory log of synthetic commits, absorbed event by event as the pipeline does."""
    import sqlite3

    from patina.events import canonical_json

    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.create_schema(conn)
    store.set_meta(conn, "config_json", canonical_json({"cochange": {"max_files": 30}}))
    for ev in events:
        store.append(conn, [ev], store.last_seq(conn))
        derived.absorb_all(conn)
    return conn


def _derived_rows(conn):
    return {name: table(conn, name) for name in ("co_changes", "author_expertise")}


def test_a_cut_subtracts_and_recounts_only_what_it_touched():
    from derivedutil import commit_event

    events = [commit_event(f"{i:040x}", stamp(i), author, paths) for i, (author, paths) in enumerate([
        ("Ann", ["a", "b"]), ("Bob", ["a", "b", "c"]), ("Ann", ["c"]), ("Bob", ["a", "b"])])]
    conn = _commit_log(events)
    assert table(conn, "co_changes")[0] == ("a", "b", 3, 4)
    derived.rollback(conn, 2)  # cut the last two commits: (a, b)'s last commit is now seq 2
    store.truncate(conn, 2)
    assert _derived_rows(conn) == _derived_rows(_commit_log(events[:2]))
    assert table(conn, "co_changes")[0] == ("a", "b", 2, 2)


def test_a_rename_carries_the_past_and_a_cut_rename_gives_it_back():
    from derivedutil import commit_event

    events = [
        commit_event("1" * 40, stamp(1), "Ann", ["old.py", "x.py"]),
        commit_event("2" * 40, stamp(2), "Bob", ["x.py"], renames=[("old.py", "new.py")]),
        commit_event("3" * 40, stamp(3), "Ann", ["new.py", "x.py"]),
    ]
    conn = _commit_log(events)
    assert table(conn, "co_changes") == [("new.py", "x.py", 3, 3)]
    assert ("Ann", "new.py", 2, stamp(3), 3) in table(conn, "author_expertise")
    derived.rollback(conn, 1)
    store.truncate(conn, 1)
    assert table(conn, "co_changes") == [("old.py", "x.py", 1, 1)]
    assert _derived_rows(conn) == _derived_rows(_commit_log(events[:1]))


def test_the_sha_check_is_the_regex_it_replaced():
    """text.is_sha_like (no regex per word, on the term statistics' path) equals the rule as a regex."""
    import re

    from hypothesis import given, settings, strategies as st

    from patina.text import WORD, is_sha_like

    rule = re.compile(r"^(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}$")

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet="0123456789abcdefgxyzABF²é_", min_size=0, max_size=70))
    def same(text: str) -> None:
        for word in WORD.findall(text.casefold()) + [text]:
            assert is_sha_like(word) == bool(rule.match(word)), word

    same()
    assert is_sha_like("deadbeef1") and not is_sha_like("deadbeef") and not is_sha_like("abc1234" + "0" * 60)
