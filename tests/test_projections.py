"""Named projections: exact rows on crafted histories, including same-day time boundaries."""

from __future__ import annotations

import json
import re
import sqlite3
from itertools import combinations

import pytest

from derivedutil import add_session_events, commit_event, decision, epoch, seq_of, session_start
from gitutil import Repo
from test_derived import crafted, stamp  # noqa: F401  (a fixture shared with the table tests)

from patina import derived, projections, store
from patina.errors import QueryError, UsageError

K = {  # commit name -> author time (= commit time)
    "k1": "2025-11-14T09:59:59Z",  # 7 days + 1 s before D1: outside its window
    "k2": "2025-11-14T10:00:00Z",  # exactly 7 days before D1: inside
    "k3": "2025-11-21T09:00:00Z",  # D1's day, an hour before
    "k4": "2025-11-21T11:00:00Z",  # D1's day, an hour after
    "k5": "2025-12-05T10:00:00Z",  # exactly 14 days after D1
    "k6": "2025-12-05T10:00:01Z",  # 14 days + 1 s after D1; named by D2
}
D1 = "2025-11-21T10:00:00Z"
D2 = "2025-11-25T00:00:00Z"


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    """Six commits around two decisions; returns (connection, {name: sha})."""
    from patina import repo as patina_repo
    from patina.update import update

    repo = Repo(tmp_path_factory.mktemp("timeline") / "repo")
    shas = {}
    for i, (name, when) in enumerate(K.items()):
        shas[name] = repo.commit(f"{name}: change\n\nbody of {name}\n", {"f.txt": f"{i}\n"}, when=epoch(when))
    r = patina_repo.discover(str(repo.path))
    update(r)
    add_session_events(r.db_path, [
        session_start("s1", D1, "Storage"),
        decision("s1", D1, "Use SQLite"),
        decision("s1", D1, "A pattern, not a decision", kind="pattern"),
        decision("s2", D2, "Cache parses", commit=shas["k6"][:7].upper()),
    ])
    conn = store.connect(r.db_path, readonly=True)
    yield conn, shas
    conn.close()


def rows(conn, name, **params):
    cols, out = projections.run(conn, name, {k: str(v) for k, v in params.items()})
    return [dict(zip(cols, r)) for r in out]


def pick(result, *keys):
    return [tuple(r[k] for k in keys) for r in result]


def test_decision_context_window_is_exact_on_the_same_day(timeline):
    conn, sha = timeline
    got = rows(conn, "decision-context")
    assert pick(got, "decision", "sha", "committed_at") == [
        ("Use SQLite", sha["k2"], K["k2"]),     # exactly 7 days: in; k1 (1 s earlier, same day) out
        ("Use SQLite", sha["k3"], K["k3"]),     # same day, before: in; k4 (same day, after) out
        ("Cache parses", sha["k3"], K["k3"]),
        ("Cache parses", sha["k4"], K["k4"]),
    ]
    assert got[0]["message"] == "k2: change\n\nbody of k2"
    assert got[0]["session_id"] == "s1" and got[0]["decided_at"] == D1


def test_decision_context_params(timeline):
    conn, sha = timeline
    assert pick(rows(conn, "decision-context", days=0, session="s1"), "sha") == [(None,)]  # kept, no commit
    assert pick(rows(conn, "decision-context", days=8, session="s1"), "sha") == [(sha["k1"],), (sha["k2"],),
                                                                               (sha["k3"],)]


def obj(sha: str, name: str) -> dict:
    """A commit as causality lists it (its subject: the message's first line)."""
    return {"sha": sha, "timestamp": K[name], "subject": f"{name}: change"}


def test_causality_window_and_named_links(timeline):
    conn, sha = timeline
    cols, out = projections.run(conn, "causality")
    assert cols == ["decision_seq", "session_id", "decided_at", "decision", "commits", "named_ref", "named",
                    "following"]
    got = [dict(zip(cols, r)) for r in out]
    assert [r["decision_seq"] for r in got] == [seq for (seq,) in conn.execute(
        "SELECT seq FROM observations WHERE type = 'decision' ORDER BY seq")]
    assert [{k: (json.loads(v) if k in ("named", "following") and v else v) for k, v in r.items()
             if k != "decision_seq"} for r in got] == [
        {"session_id": "s1", "decided_at": D1, "decision": "Use SQLite", "commits": 2,
         "named_ref": None, "named": None,
         # same day, an hour after; exactly 14 days: in (k6, 1 s later, out); k3 (an hour before) out
         "following": [obj(sha["k4"], "k4"), obj(sha["k5"], "k5")]},
        {"session_id": "s2", "decided_at": D2, "decision": "Cache parses", "commits": 2,
         "named_ref": sha["k6"][:7],  # named by short sha, upper case: the prefix, lower case
         "named": [obj(sha["k6"], "k6")],
         "following": [obj(sha["k5"], "k5"), obj(sha["k6"], "k6")]},  # a named commit can follow too
    ]


def test_causality_params(timeline):
    conn, sha = timeline
    assert pick(rows(conn, "causality", days=0), "decision", "commits", "named", "following") == [
        ("Use SQLite", 0, None, "[]"),
        ("Cache parses", 0, json.dumps([obj(sha["k6"], "k6")], separators=(",", ":")), "[]")]
    assert pick(rows(conn, "causality", session="s1"), "decision", "commits") == [("Use SQLite", 2)]
    assert pick(rows(conn, "causality", days=11), "commits") == [(1,), (2,)]  # D1 + 11 d < k5


def test_causality_named_prefixes_and_same_second_commits():
    """Named links: any case, trimmed, >= 4 hex digits, every commit the prefix matches (in time
    order); commits of one second follow in log order; the subject is the message's first line."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.create_schema(conn)
    t = "2025-03-01T12:00:00Z"
    shas = {"a": "abcd2" + "0" * 35, "b": "abcd1" + "0" * 35, "c": "ffff" + "0" * 36}
    store.append(conn, [
        decision("s", "2025-03-01T11:00:00Z", "ambiguous", commit=" ABCD "),
        decision("s", "2025-03-01T11:00:01Z", "too short", commit="abc"),
        decision("s", "2025-03-01T11:00:02Z", "not hex", commit="abcz1"),
        decision("s", "2025-03-01T11:00:03Z", "unknown", commit="0123456"),
        decision("s", "2025-03-01T11:00:04Z", "exact", commit=shas["b"]),
        commit_event("1" * 40, "2025-03-01T11:00:04Z", "ann", ["x"], message="at 'exact'"),
        commit_event(shas["a"], t, "ann", ["x"], message="first a\n\nbody"),
        commit_event(shas["b"], t, "ann", ["x"], message="only b"),
        commit_event(shas["c"], "2025-03-01T12:00:01Z", "ann", ["x"], message=""),
    ], 0)
    got = rows(conn, "causality", days=1)
    a = {"sha": shas["a"], "timestamp": t, "subject": "first a"}
    b = {"sha": shas["b"], "timestamp": t, "subject": "only b"}
    c = {"sha": shas["c"], "timestamp": "2025-03-01T12:00:01Z", "subject": ""}
    at = {"sha": "1" * 40, "timestamp": "2025-03-01T11:00:04Z", "subject": "at 'exact'"}
    assert [(r["decision"], r["commits"], json.loads(r["following"])) for r in got] == \
        [(d, 4, [at, a, b, c]) for d in ("ambiguous", "too short", "not hex", "unknown")] + \
        [("exact", 3, [a, b, c])]  # a commit at the decision's second is not after it
    assert [(r["named_ref"], r["named"] and json.loads(r["named"])) for r in got] == [
        ("abcd", [a, b]), (None, None), (None, None), ("0123456", []), (shas["b"], [b])]
    cols, first = projections.run(conn, "causality", {"days": "1"}, limit=1)
    assert [r[3] for r in first] == ["ambiguous"]
    nested = json.loads(projections.render(cols, first, "json"))
    assert nested[0]["named"] == [a, b] and nested[0]["following"] == [at, a, b, c]


def test_decisions_between_whole_days(timeline):
    conn, _ = timeline
    assert pick(rows(conn, "decisions-between"), "decision") == [("Use SQLite",), ("Cache parses",)]
    assert pick(rows(conn, "decisions-between", since="2025-11-21", until="2025-11-21"), "decision") == \
        [("Use SQLite",)]
    assert pick(rows(conn, "decisions-between", since="2025-11-22"), "decision", "commit_sha") == \
        [("Cache parses", timeline[1]["k6"][:7].upper())]
    assert rows(conn, "decisions-between", until="2025-11-21T09:59:59Z") == []
    assert pick(rows(conn, "decisions-between", until="2025-11-21T12:00:00+02:00"), "decision") == \
        [("Use SQLite",)]  # 10:00 UTC: inclusive


def test_commits_around_a_session(timeline):
    conn, sha = timeline
    assert pick(rows(conn, "commits-around", session="s1"), "sha", "days_from_start") == [
        (sha["k3"], -0.042), (sha["k4"], 0.042)]
    assert pick(rows(conn, "commits-around", session="s1", days=7), "sha") == [
        (sha["k2"],), (sha["k3"],), (sha["k4"],)]
    assert rows(conn, "commits-around", session="nope") == []
    with pytest.raises(UsageError, match="needs --param session"):
        rows(conn, "commits-around")


def test_as_of_is_the_log_at_a_first_parent_commit(timeline):
    conn, sha = timeline
    s = seq_of(conn)
    got = rows(conn, "as-of", at="2025-11-21")  # a bare date: through 23:59:59
    assert [r["seq"] for r in got] == list(range(1, s[sha["k4"]] + 1))
    got = rows(conn, "as-of", at="2025-11-21T10:59:59Z", type="git.*")
    assert [r["source_id"] for r in got] == [sha["k1"], sha["k2"], sha["k3"]]
    assert rows(conn, "as-of", at="2025-01-01") == []


def test_as_of_leaves_out_what_a_later_merge_brought_in(crafted):  # noqa: F811
    db, c = crafted
    conn = store.connect(db, readonly=True)
    s = seq_of(conn)
    got = rows(conn, "as-of", at=stamp(4), type="git.commit")
    # c4 (authored at t(3), on a branch) was not in HEAD's history until the merge at t(5).
    assert [r["source_id"] for r in got] == [c["c1"], c["c2"], c["c3"], c["c5"]]
    assert [r["seq"] for r in got] == [s[c["c1"]], s[c["c2"]], s[c["c3"]], s[c["c5"]]]


def test_co_occurrence(crafted):  # noqa: F811
    db, _ = crafted
    conn = store.connect(db, readonly=True)
    # b.txt became e.txt: its past is e.txt's (see test_derived).
    assert pick(rows(conn, "co-occurrence"), "file_a", "file_b", "count") == [
        ("a.txt", "e.txt", 4), ("c.txt", "d.txt", 2),
        (".mailmap", ".patina/config.toml", 1), ("a.txt", "c.txt", 1), ("a.txt", "d.txt", 1),
        ("c.txt", "e.txt", 1), ("d.txt", "e.txt", 1)]
    assert pick(rows(conn, "co-occurrence", file="e.txt"), "file_a", "file_b", "count") == [
        ("a.txt", "e.txt", 4), ("c.txt", "e.txt", 1), ("d.txt", "e.txt", 1)]
    assert pick(rows(conn, "co-occurrence", file="a.txt", min_count=2), "file_b") == [("e.txt",)]
    cols, limited = projections.run(conn, "co-occurrence", {}, limit=2)
    assert cols == ["file_a", "file_b", "count"] and len(limited) == 2


def test_collaboration_on_the_crafted_history(crafted):  # noqa: F811
    db, _ = crafted
    conn = store.connect(db, readonly=True)
    assert pick(rows(conn, "collaboration"), "author_a", "author_b", "shared_files") == [
        ("Ann Author", "Bob Builder", 4)]  # a b c d: Bob's old and new identities are one author
    assert rows(conn, "collaboration", min_files=5) == []


def test_collaboration_equals_the_quadratic_definition():
    """Against the spec's definition (two authors, a file both changed in non-merge commits)."""
    import random

    rnd = random.Random(7)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.create_schema(conn)
    paths = [f"f{i}.py" for i in range(12)]
    authors = ["ann", "bob", "cy", "dee"]
    events = [commit_event(f"{i:040x}", "2025-01-01T00:00:00Z", rnd.choice(authors),
                           rnd.sample(paths, rnd.randint(1, 4)), merge=rnd.random() < 0.2) for i in range(60)]
    store.append(conn, events, 0)
    derived.rebuild_all(conn, only=["file_history"])
    touched: dict[str, set[str]] = {}
    for ev in events:
        if not ev.data["is_merge"]:
            for f in ev.data["files"]:
                touched.setdefault(ev.data["author"], set()).add(f["path"])
    expected = sorted(((a, b, len(touched[a] & touched[b])) for a, b in combinations(sorted(touched), 2)
                       if touched[a] & touched[b]), key=lambda r: (-r[2], r[0], r[1]))
    assert pick(rows(conn, "collaboration"), "author_a", "author_b", "shared_files") == expected
    assert pick(rows(conn, "collaboration", author="cy"), "author_a", "author_b", "shared_files") == \
        [r for r in expected if "cy" in r[:2]]


# --- the catalogue -----------------------------------------------------------------------------


def test_every_shipped_projection_is_well_formed():
    assert projections.names() == ["as-of", "causality", "co-occurrence", "collaboration",
                                   "commits-around", "decision-context", "decisions-between", "function-history"]
    for proj in projections.all_projections():
        assert proj.description and re.match(r"^(SELECT|WITH)\b", _strip_comments(proj.sql)), proj.name
        used = set(re.findall(r":(\w+)", _strip_comments(proj.sql).replace("'%Y-%m-%dT%H:%M:%SZ'", "")))
        assert used == {p.name for p in proj.params}, proj.name


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--")[0] for line in sql.splitlines()).strip()


def test_parameter_binding_and_errors():
    proj = projections.load("decisions-between")
    assert projections.bind(proj, {"since": "2025-11-21", "until": "2025-11-21"}) == {
        "since": "2025-11-21T00:00:00Z", "until": "2025-11-21T23:59:59Z"}
    assert projections.bind(proj, {}) == {"since": None, "until": None}
    assert projections.bind(projections.load("causality"), {"days": "3"}) == {"days": 3, "session": None}
    with pytest.raises(UsageError, match="must be an integer"):
        projections.bind(projections.load("causality"), {"days": "soon"})
    with pytest.raises(UsageError, match="no parameter 'dayz'"):
        projections.bind(projections.load("causality"), {"dayz": "3"})
    with pytest.raises(UsageError, match="not an ISO date"):
        projections.bind(proj, {"since": "yesterday"})
    with pytest.raises(UsageError, match="no projection named 'nope'"):
        projections.load("nope")
    with pytest.raises(UsageError, match="NAME=VALUE"):
        projections.parse_assignments(["days"])
    assert projections.parse_assignments(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}


def test_missing_session_views_is_a_query_error():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.create_schema(conn)
    conn.execute("DROP VIEW observations")  # a database built before the session views existed
    with pytest.raises(QueryError, match="no session data"):
        projections.run(conn, "decision-context")


def test_render_formats():
    cols, data = ["a", "b"], [(1, "x\ny"), (None, "z" * 70)]
    assert projections.render(cols, data, "csv") == 'a,b\n1,"x\ny"\n,' + "z" * 70 + "\n"
    assert projections.render(cols, data[:1], "json") == '[\n  {\n    "a": 1,\n    "b": "x\\ny"\n  }\n]\n'
    table = projections.render(cols, data, "table").splitlines()
    assert table[0] == "a  b" and table[2] == "1  x y"
    assert table[3] == "   " + "z" * 59 + "…"
    assert projections.render(cols, [], "json") == "[]\n"
    nested = [(projections.JsonText('[{"x":1}]'), '["not", "nested"]')]
    assert projections.render(cols, nested, "json") == \
        '[\n  {\n    "a": [{"x":1}],\n    "b": "[\\"not\\", \\"nested\\"]"\n  }\n]\n'
    assert projections.render(cols, nested, "csv") == 'a,b\n"[{""x"":1}]","[""not"", ""nested""]"\n'
    with pytest.raises(ValueError):
        projections.render(cols, [(projections.JsonText("[1,"), None)], "json")


def test_json_columns_header():
    proj = projections.parse("x", "-- X.\n--\n-- @param n int 1 N.\n-- @json a b\nSELECT 1")
    assert proj.json_columns == ("a", "b") and proj.description == "X."
    assert projections.load("causality").json_columns == ("named", "following")
    with pytest.raises(ValueError, match="malformed @json"):
        projections.parse("x", "-- @json\nSELECT 1")


# --- real session files, committed in git ------------------------------------------------------

SESSION = """# Session: cache the parses
**ID**: 20251121-050000
**Started**: 2025-11-21T10:00:00Z

## Activity Log
### 05:00 - Session Start
Working on branch: main

### 06:00 - Cache work [main@{sha}]

**Key Decisions:**
- Cache parses by blob id
"""


def test_projections_over_a_committed_session_file(repo, scrape):
    """The session source's own events: a decision at 06:00 local = 11:00Z naming k1."""
    k1 = repo.commit("k1: early", {"f.txt": "1\n"}, when=epoch("2025-11-14T10:59:59Z"))  # 7 d + 1 s before
    k2 = repo.commit("k2: same day", {"f.txt": "2\n"}, when=epoch("2025-11-21T10:30:00Z"))
    k3 = repo.commit("k3: after", {"f.txt": "3\n"}, when=epoch("2025-11-21T11:30:00Z"))
    notes = repo.commit("Session notes", {"layer/sessions/20251121-050000.md": SESSION.format(sha=k1[:8])},
                        when=epoch("2025-12-10T00:00:00Z"))
    scrape(repo.path)
    from patina import repo as patina_repo

    conn = store.connect(patina_repo.discover(str(repo.path)).db_path, readonly=True)
    assert conn.execute("SELECT session_id, timestamp, commit_sha, content FROM observations "
                        "WHERE type = 'decision'").fetchall() == [
        ("20251121-050000", "2025-11-21T11:00:00Z", k1[:8], "Cache parses by blob id")]
    assert pick(rows(conn, "decision-context"), "decision", "sha") == [("Cache parses by blob id", k2)]
    (got,) = rows(conn, "causality")
    assert (got["commits"], got["named_ref"], json.loads(got["named"]), json.loads(got["following"])) == (
        1, k1[:8], [{"sha": k1, "timestamp": "2025-11-14T10:59:59Z", "subject": "k1: early"}],
        [{"sha": k3, "timestamp": "2025-11-21T11:30:00Z", "subject": "k3: after"}])
    assert pick(rows(conn, "commits-around", session="20251121-050000", days=1), "sha", "days_from_start") == [
        (k2, 0.021), (k3, 0.063)]
    assert pick(rows(conn, "decisions-between", since="2025-11-21", until="2025-11-21"), "seq") == \
        [(conn.execute("SELECT seq FROM observations WHERE type = 'decision'").fetchone()[0],)]
    assert [r["source_id"] for r in rows(conn, "as-of", at="2025-12-09", type="git.commit")] == [k1, k2, k3]
    assert notes in [r["source_id"] for r in rows(conn, "as-of", at="2025-12-10", type="git.commit")]


def test_every_projection_runs_on_the_fixture_sessions(repo, scrape):
    from patina import repo as patina_repo
    from conftest import FIXTURES

    files = {f"layer/sessions/{p.name}": p.read_text()
             for p in (FIXTURES / "sessions").glob("*.md") if p.name != "README.md"}
    repo.commit("before", {"x.txt": "1\n"}, when=epoch("2025-11-20T00:00:00Z"))
    repo.commit("Sessions", files, when=epoch("2026-02-06T00:00:00Z"))
    scrape(repo.path)
    conn = store.connect(patina_repo.discover(str(repo.path)).db_path, readonly=True)
    n_decisions = conn.execute("SELECT count(*) FROM observations WHERE type = 'decision'").fetchone()[0]
    assert n_decisions > 0
    assert len(rows(conn, "decisions-between")) == n_decisions
    context = rows(conn, "decision-context")
    assert len({r["decision_seq"] for r in context}) == n_decisions
    for r in context:  # every listed commit lies in its decision's 7-day window
        if r["sha"] is not None:
            assert r["committed_at"] <= r["decided_at"]
    session_id = conn.execute("SELECT session_id FROM sessions ORDER BY started LIMIT 1").fetchone()[0]
    for name in projections.names():
        params = {"at": "2030-01-01"} if name == "as-of" else {"name": "main"} if name == "function-history" else {}
        if name == "commits-around":
            params = {"session": session_id, "days": "400"}
        cols, out = projections.run(conn, name, params)
        assert cols, name
