"""The search index and search: exact rows, revisions, --until, scores, determinism,
incremental == rebuild. Hand-made logs (patina.store) and real git repositories."""

from __future__ import annotations

import json
import sqlite3

import hypothesis
import pytest

from gitutil import db_path, patina
from patina import store
from patina.errors import UsageError
from patina.events import Event
from patina.scry import index as scry_index
from patina.scry.index import SearchIndex
from patina.scry.search import cutoff_seq, match_expression, merge, query_terms, scry, search_db

SF = "layer/sessions/s1.md"


def item(kind: str, content: str, stamp: str = "2025-11-21T10:00:00Z", session: str = "s1", **extra) -> Event:
    data = {"session_id": session, "content": content, "type": kind, "section": extra.get("section"),
            "detail": extra.get("detail"), "activity": extra.get("activity"), "commit": None}
    return Event(f"session.{kind}", stamp, session, f"layer/sessions/{session}.md", data)


def commit(sha: str, message: str, stamp: str = "2025-11-20T09:00:00Z") -> Event:
    return Event("git.commit", stamp, sha, None, {"message": message, "committer_time": stamp})


def revised(removed: list[tuple[str, str]], stamp: str = "2025-11-22T10:00:00Z", session: str = "s1") -> Event:
    return Event("session.revised", stamp, session, f"layer/sessions/{session}.md",
                 {"session_id": session, "removed": [{"type": t, "content": c} for t, c in removed],
                  "deleted_file": False})


def new_db(events: list[Event], *, absorb: bool = True) -> sqlite3.Connection:
    conn = store.connect(":memory:")
    store.create_schema(conn)
    store.append(conn, events, 0)
    if absorb:
        SearchIndex().absorb(conn, 0)
    return conn


def docs(conn) -> list[tuple]:
    return conn.execute("SELECT * FROM scry_docs ORDER BY seq").fetchall()


def contents(hits) -> list[str]:
    return [h.content for h in hits]


# --- the index ------------------------------------------------------------------------------

def test_index_rows_are_exact():
    conn = new_db([
        commit("a" * 40, "Fix error handling in the parser\n\nUse Result types everywhere."),
        item("decision", "REST over gRPC for the mothership", section="Key Decisions", detail="axum is simpler",
             activity="11:26 - Update"),
        Event("session.goal", "2025-11-21T10:00:00Z", "s1", SF, {"session_id": "s1", "content": "review specs",
                                                               "completed": False}),
        Event("session.started", "2025-11-21T10:00:00Z", "s1", SF, {"session_id": "s1", "title": "t"}),
        item("observation", "   "),  # nothing to search: no row
        Event("git.commit", "2025-11-21T10:00:00Z", "b" * 40, None, {"message": ""}),  # empty message
    ])
    assert docs(conn) == [
        (1, "commit", "a" * 40, "2025-11-20T09:00:00Z", None, "Fix error handling in the parser",
         "Use Result types everywhere.", "", None, None),
        (2, "decision", "s1", "2025-11-21T10:00:00Z", SF, "REST over gRPC for the mothership", "axum is simpler",
         "Key Decisions\n11:26 - Update", None, None),
        (3, "goal", "s1", "2025-11-21T10:00:00Z", SF, "review specs", "", "", None, None),
    ]
    assert scry_index.check(conn) is None


def test_bad_payloads_never_raise():
    conn = new_db([
        Event("session.decision", "2025-11-21T10:00:00Z", "s1", SF, {"content": ["a", 3, None, {"x": 1}]}),
        Event("session.pattern", "2025-11-21T10:00:00Z", "s1", SF, {"content": {"no": "text"}}),
        Event("session.revised", "2025-11-21T10:00:00Z", "s1", SF, {"removed": "not a list"}),
        Event("session.revised", "2025-11-21T10:00:00Z", "s1", SF, {"removed": [1, {"type": None}]}),
        Event("git.commit", "2025-11-21T10:00:00Z", "c", None, {"message": 42}),
    ])
    assert docs(conn) == [
        (1, "decision", "s1", "2025-11-21T10:00:00Z", SF, "a 3", "", "", None, None),
        (5, "commit", "c", "2025-11-21T10:00:00Z", None, "42", "", "", None, None),
    ]


def test_revision_marks_removed_items_and_search_drops_them():
    conn = new_db([
        item("decision", "Use SQLite FTS5 for search"),
        item("decision", "Use SQLite FTS5 for search", session="s2"),  # same words, other session: stays
        revised([("decision", "Use SQLite FTS5 for search")]),
    ])
    assert [(r[0], r[2], r[9]) for r in docs(conn)] == [(1, "s1", 3), (2, "s2", None)]
    hits = search_db(conn, query_terms("sqlite search"), limit=5, tag="PROJECT")
    assert [(h.seq, h.origin) for h in hits] == [(2, "s2")]
    # Before the revision, both were known.
    hits = search_db(conn, query_terms("sqlite search"), limit=5, tag="PROJECT", until="2025-11-21T23:00:00Z")
    assert [h.seq for h in hits] == [1, 2]


def test_item_removed_then_added_again_is_found_once():
    conn = new_db([
        item("pattern", "Log builder, not watcher"),
        revised([("pattern", "Log builder, not watcher")]),
        item("pattern", "Log builder, not watcher", stamp="2025-11-23T10:00:00Z"),
    ])
    hits = search_db(conn, ["watcher"], limit=5, tag="PROJECT")
    assert [h.seq for h in hits] == [3]


# --- queries --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, terms", [
    ("error handling", ["error", "handling"]),
    ("Error-Handling: the AND/OR of it", ["error", "handling"]),
    ('"unbalanced quote', ["unbalanced", "quote"]),
    ("the and or", ["the", "and", "or"]),  # only stopwords: keep them
    ("snake_case NEAR(x y) col:value *", ["snake", "case", "near", "x", "y", "col", "value"]),
    ("Ünïcödé café", ["ünïcödé", "café"]),
    ("--- ::: \"\" ()", []),
])
def test_query_terms(text, terms):
    assert query_terms(text) == terms


@pytest.mark.parametrize("text", [
    '"', "a\"b", "error AND", "OR", "NOT NOT", "x:y", "-x", "^start", "NEAR(a b, 2)", "(", "{col1 col2}: x",
    "a*", "'; DROP TABLE eventlog; --", "\x00null", "日本語のテキスト",
])
def test_fts_syntax_in_queries_never_raises(text):
    conn = new_db([item("decision", "error handling with NEAR and OR in the text")])
    terms = query_terms(text)
    if terms:
        search_db(conn, terms, limit=5, tag="PROJECT")  # must not raise
    assert match_expression(["a", "b"]) == '"a" OR "b" OR "a b"'


def test_scry_rejects_bad_arguments(tmp_path):
    with pytest.raises(UsageError, match="no words"):
        scry("--- ???", projects=[], persona_home=None)
    with pytest.raises(UsageError, match="unknown type"):
        scry("x", projects=[], persona_home=None, types=["decisions"])
    with pytest.raises(UsageError, match="not an ISO date") as bad:
        scry("x", projects=[], persona_home=None, until="yesterday")
    assert bad.value.param == "until" and bad.value.worded("--").startswith("--until: ")
    with pytest.raises(UsageError) as bad:
        scry("x", projects=[], persona_home=None, limit=0)
    assert bad.value.param == "limit"
    with pytest.raises(UsageError) as bad:
        scry("x", projects=[], persona_home=None, mode="fuzzy")
    assert bad.value.param == "mode"


# --- scores, ties, determinism ----------------------------------------------------------------

def test_scores_are_normalised_per_query():
    conn = new_db([
        item("decision", "error handling: errors are values"),
        item("pattern", "handling of configuration"),
        item("work", "unrelated filler about parsing"),
        item("work", "more unrelated filler"),
        commit("c" * 40, "error handling everywhere"),
    ])
    hits = search_db(conn, query_terms("error handling"), limit=10, tag="PROJECT")
    assert hits[0].score == 1.0
    assert all(0 < h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "unrelated filler about parsing" not in contents(hits)
    assert contents(hits)[-1] == "handling of configuration"  # fewer terms, lower score


def test_ties_are_broken_by_seq_and_results_are_deterministic():
    events = [item("decision", "identical words here", session=f"s{i}") for i in range(6)]
    conn = new_db(events + [item("work", "padding text one"), item("work", "padding text two")])
    first = search_db(conn, ["identical"], limit=4, tag="PROJECT")
    assert [h.seq for h in first] == [1, 2, 3, 4]
    assert len({h.score for h in first}) == 1
    assert search_db(conn, ["identical"], limit=4, tag="PROJECT") == first


def test_merge_tags_and_orders():
    conn = new_db([item("decision", "prefer explicit error types"), item("work", "filler one"),
                   item("work", "filler two")])
    project = search_db(conn, ["error"], limit=5, tag="PROJECT")
    persona = search_db(conn, ["error"], limit=5, tag="PERSONA", weight=0.95)
    merged = merge([persona, project], 5)
    assert [(h.tag, h.score) for h in merged] == [("PROJECT", 1.0), ("PERSONA", 0.95)]
    assert merge([persona, project], 1)[0].tag == "PROJECT"


def test_type_filter():
    conn = new_db([item("decision", "cache the parse"), item("pattern", "cache everything"),
                   commit("d" * 40, "cache invalidation")])
    assert {h.type for h in search_db(conn, ["cache"], limit=5, tag="PROJECT", types=["pattern", "commit"])} == \
        {"pattern", "commit"}
    assert search_db(conn, ["cache"], limit=5, tag="PROJECT", types=["code"]) == []


# --- --until on hand-made logs (no commit chain): the prefix before the first later event -------

def test_cutoff_without_commit_chain():
    conn = new_db([item("decision", "a", stamp="2025-01-01T00:00:00Z"),
                   item("decision", "b", stamp="2025-03-01T00:00:00Z"),
                   item("decision", "c", stamp="2025-02-01T00:00:00Z")])  # later in the log: not in the prefix
    assert cutoff_seq(conn, None) is None
    assert cutoff_seq(conn, "2024-12-31T00:00:00Z") == 0
    assert cutoff_seq(conn, "2025-02-15T00:00:00Z") == 1
    assert cutoff_seq(conn, "2026-01-01T00:00:00Z") is None


# --- incremental == rebuild ---------------------------------------------------------------------

def _history() -> list[Event]:
    events = []
    for i in range(30):
        events.append(commit(f"{i:040x}", f"commit {i}: touch module{i % 4} error path {i % 3}",
                             stamp=f"2025-11-{1 + i % 28:02d}T09:00:00Z"))
        events.append(item(("decision", "pattern", "work")[i % 3], f"item {i} about module{i % 4}",
                           session=f"s{i % 5}"))
        if i % 7 == 6:
            events.append(revised([(("decision", "pattern", "work")[(i - 3) % 3], f"item {i - 3} about module{(i - 3) % 4}")],
                                  session=f"s{(i - 3) % 5}"))
    return events


def test_incremental_absorb_equals_full_rebuild():
    events = _history()
    full = new_db(events)
    step = new_db([], absorb=False)
    seq = 0
    for start in range(0, len(events), 7):
        seq = store.append(step, events[start:start + 7], seq)
        SearchIndex().absorb(step, seq - len(events[start:start + 7]))
    assert scry_index.digest(step) == scry_index.digest(full)
    assert docs(step) == docs(full)
    assert any(r[9] is not None for r in docs(full))  # revisions were exercised
    q = query_terms("module2 error")
    assert search_db(step, q, limit=10, tag="PROJECT") == search_db(full, q, limit=10, tag="PROJECT")


def test_truncate_equals_rebuild_of_the_prefix():
    events = _history()
    conn = new_db(events)
    keep = 40
    SearchIndex().truncate(conn, keep)  # as the pipeline does: while the events to undo are in the log
    store.truncate(conn, keep)
    prefix = new_db(events[:keep])
    assert scry_index.digest(conn) == scry_index.digest(prefix)
    assert scry_index.check(conn) is None


# --- the real pipeline: commit messages, --until by first-parent commit, incremental == full ----

def test_pipeline_indexes_commits_and_until_follows_commit_time(repo, scrape, tmp_path):
    from gitutil import BASE_TIME
    from patina.events import utc_timestamp

    repo.commit("Add the parser", {"a.txt": "1"}, when=BASE_TIME + 100)
    repo.commit("Parser: better error handling", {"a.txt": "2"}, when=BASE_TIME + 86400 * 2)
    repo.commit("Error messages for the CLI", {"a.txt": "3"}, when=BASE_TIME + 86400 * 4)
    scrape(repo.path)
    db = db_path(repo)
    answer = scry("error", projects=[(None, db)], persona_home=None)
    # Same term frequency; the shorter subject ranks first (BM25 length normalisation).
    assert [h.content for h in answer.hits] == ["Parser: better error handling", "Error messages for the CLI"]
    until = utc_timestamp(BASE_TIME + 86400 * 3)
    answer = scry("error", projects=[(None, db)], persona_home=None, until=until)
    assert [h.content for h in answer.hits] == ["Parser: better error handling"]
    answer = scry("error parser", projects=[(None, db)], persona_home=None, until=utc_timestamp(BASE_TIME))
    assert answer.hits == []


def test_pipeline_incremental_index_equals_full_build(repo, scrape, tmp_path):
    from patina import repo as patina_repo, update

    for i in range(5):
        repo.commit(f"step {i}: search index work {i}", {"f.txt": str(i)})
        scrape(repo.path)
    repo.git("checkout", "-q", "-b", "side", "HEAD~2")
    repo.commit("side branch: replay the index", {"g.txt": "x"})
    repo.git("checkout", "-q", "main")
    repo.merge("side", "Merge side into main")
    scrape(repo.path)
    repo.git("commit", "-q", "--amend", "-m", "Merge side, amended")  # truncate + replay
    result, _ = scrape(repo.path)
    assert result.action == "replay"
    r = patina_repo.discover(str(repo.path))
    live = store.connect(r.db_path)
    fresh_path = str(tmp_path / "fresh.db")
    update.update(r, full=True, db_path=fresh_path)
    fresh = store.connect(fresh_path)
    assert scry_index.digest(live) == scry_index.digest(fresh)
    assert [row[5] for row in docs(live)][-1] == "Merge side, amended"


def test_pipeline_keeps_postings_through_appends_and_replays(repo, scrape, monkeypatch):
    """Through the real pipeline (appends, then an amend that truncates and replays), the
    common-word tables equal a fresh build: `patina verify` compares them like any table."""
    from patina import repo as patina_repo
    from patina.verify import verify

    monkeypatch.setattr(scry_index, "HOT_DF", 3)
    for i in range(6):
        repo.commit(f"index work {i}: search index postings" + (" again" if i % 2 else ""), {"f.txt": str(i)})
        scrape(repo.path)
    repo.git("commit", "-q", "--amend", "-m", "index work 5: amended")  # truncate + replay
    result, _ = scrape(repo.path)
    assert result.action == "replay"
    r = patina_repo.discover(str(repo.path))
    live = store.connect(r.db_path)
    words = dict(live.execute("SELECT term, docs FROM scry_words"))
    assert words["index"] == 6 and words["again"] == 2 and "amend" in words
    assert {t for (t,) in live.execute("SELECT DISTINCT term FROM scry_postings")} >= {"index", "work", "search"}
    assert "again" not in {t for (t,) in live.execute("SELECT DISTINCT term FROM scry_postings")}
    outcome = verify(r)
    assert outcome.identical and outcome.tables["scry_postings"] == outcome.tables["scry_words"] == "identical"


def test_pruned_search_equals_scoring_everything(monkeypatch):
    """The MaxScore shortcut returns exactly the hits (and float scores) of full scoring."""
    import random

    from patina.scry import search

    rng = random.Random(3)
    common = ["patina", "session", "log", "index", "build"]
    rare = ["zebra", "quokka", "axolotl", "narwhal"]
    events = []
    for i in range(600):
        words = rng.choices(common, k=rng.randint(2, 8)) + rng.choices(rare, k=rng.randint(0, 1))
        events.append(item(("decision", "pattern", "work")[i % 3], " ".join(words), session=f"s{i % 7}"))
    events.append(revised([("decision", events[3].data["content"])], session="s3"))
    conn = new_db(events)
    monkeypatch.setattr(search, "PRUNE_BUDGET", 60)
    for q in ["zebra patina", "quokka session log", "axolotl narwhal index build", "patina session", "zebra"]:
        terms = query_terms(q)
        for kw in ({}, {"types": ["decision", "pattern"]}, {"until": "2025-11-21T23:00:00Z"}):
            assert search_db(conn, terms, limit=5, tag="PROJECT", **kw) == \
                search_db(conn, terms, limit=5, tag="PROJECT", prune=False, **kw), (q, kw)


@pytest.mark.parametrize("max_groups", [64, 0])
def test_second_try_stays_exact(monkeypatch, max_groups):
    """When the rarest terms' candidates cannot beat the rest's bound, the second try scores only
    documents whose terms can reach the first try's floor (AND-groups) or, with too many groups,
    leaves out only the word that matches nearly everything (its bound is below the floor)."""
    import random

    from patina.scry import search

    rng = random.Random(5)
    events = []
    for i in range(400):
        words = ["patina"] * rng.randint(1, 3) + rng.choices(["alpha", "beta", "gamma"], k=rng.randint(0, 2))
        words += rng.choices(["delta", "omega"], k=rng.randint(0, 1)) + ["filler"] * rng.randint(0, 6)
        events.append(item(("decision", "pattern", "work")[i % 3], " ".join(words), session=f"s{i % 7}"))
    # Short documents without the rarest words: only a sound bound keeps them in the answer.
    events += [item("work", "alpha beta gamma", session="s9"), item("work", "beta gamma alpha beta", session="s9")]
    events.append(revised([("decision", events[3].data["content"])], session="s3"))
    conn = new_db(events)
    monkeypatch.setattr(search, "PRUNE_BUDGET", 40)
    monkeypatch.setattr(search, "MAX_GROUPS", max_groups)
    seen: list[tuple[str, str | None]] = []
    ranked = search._ranked
    monkeypatch.setattr(search, "_ranked", lambda c, e, w, a, lim, only=None: seen.append((e, only))
                        or ranked(c, e, w, a, lim, only))
    second_tries = 0
    for q in ["delta alpha beta patina", "omega gamma patina", "delta omega alpha beta gamma patina"]:
        terms = query_terms(q)
        full = match_expression(sorted(terms, key=lambda t: (conn.execute(
            "SELECT count(*) FROM scry_fts WHERE scry_fts MATCH ?", (f'"{t}"',)).fetchone()[0], t)))
        full = full.rsplit(" OR ", 1)[0] + ' OR "' + " ".join(terms) + '"'  # the phrase keeps the query's order
        for kw in ({}, {"types": ["decision", "pattern"]}):
            seen.clear()
            assert search_db(conn, terms, limit=5, tag="PROJECT", **kw) == \
                search_db(conn, terms, limit=5, tag="PROJECT", prune=False, **kw), (q, kw)
            pruned = seen[:-1]  # the last call is the unpruned reference
            ands = [e.partition(") AND (") for e, _ in pruned if ") AND (" in e]
            if max_groups and any(e == full and only for e, only in pruned):
                second_tries += 1  # the full expression, filtered to the groups that can reach the floor
            elif not max_groups and len(ands) == 2:  # the fallback: a larger E
                (first, _, _), (second, _, right) = ands
                assert second.count('"') > first.count('"') and '"patina"' in right, pruned
                second_tries += 1
    assert second_tries >= 2


def test_scry_code_merges_current_code_definitions(repo, tmp_path):

    repo.commit("Add retry", {"src/net.py": "class Client:\n    def retry_request(self, n):\n        return n\n"})
    repo.commit("Rename it", {"src/net.py": "class Client:\n    def retry_send(self, n):\n        return n\n"})
    def scry(*args):
        return patina(*args, cwd=repo.path, env={"PATINA_HOME": str(tmp_path / "home")})

    assert scry("scrape", "--quiet").returncode == 0
    proc = scry("scry", "retry", "--code", "--type", "code", "--json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    # Only the current definition: the renamed method's old name is gone from the index.
    assert [(r["type"], r["origin"], r["detail"], r["score"]) for r in results] == [
        ("code", "src/net.py::Client.retry_send", "src/net.py:2", 1.0)]
    without = json.loads(scry("scry", "retry", "--json").stdout)["results"]
    assert all(r["type"] != "code" for r in without)
    proc = scry("scry", "retry", "--code", "--until", "2020-01-01")
    assert proc.returncode == 3 and "--until" in proc.stderr


# --- common words: scry_words, scry_postings, and the searches that use them -------------------

def _reference_postings(conn) -> tuple[list[tuple], list[tuple]]:
    """scry_words and scry_postings as they must be, computed from FTS5's own tables."""
    words = conn.execute("SELECT term, doc FROM scry_terms ORDER BY term").fetchall()
    hot = {w for w, n in words if n >= scry_index.HOT_DF}
    sizes = {d: sum(scry_index._varints(sz)) for d, sz in conn.execute("SELECT id, sz FROM scry_fts_docsize")}
    counts: dict[tuple[str, int], list[int]] = {}
    for term, doc, col in conn.execute("SELECT term, doc, col FROM scry_vocab"):
        if term in hot:
            counts.setdefault((term, doc), [0, 0, 0])[scry_index.FTS_COLUMNS.index(col)] += 1
    postings = sorted((t, scry_index.weighted_freq(c) * 2, sizes[d], d) for (t, d), c in counts.items())
    return words, postings


def _postings(conn) -> tuple[list[tuple], list[tuple]]:
    return (conn.execute("SELECT * FROM scry_words ORDER BY term").fetchall(),
            conn.execute("SELECT * FROM scry_postings ORDER BY term, freq2, length, seq").fetchall())


def _common_words_history(n: int = 240) -> list[Event]:
    import random

    rng = random.Random(11)
    events = []
    for i in range(n):
        words = rng.choices(["patina", "session", "log", "index"], k=rng.randint(1, 6))
        words += rng.choices(["zebra", "quokka", "axolotl"], k=rng.randint(0, 2)) + ["filler"] * rng.randint(0, 5)
        if i % 5 == 0:
            events.append(commit(f"{i:040x}", " ".join(words) + "\n\n" + " ".join(words[:2]),
                                 stamp=f"2025-11-{1 + i % 28:02d}T09:00:00Z"))
        else:
            events.append(item(("decision", "pattern", "work")[i % 3], " ".join(words), session=f"s{i % 7}",
                               section="Key Decisions" if i % 2 else "Patina log", detail=" ".join(words[-2:])))
        if i % 40 == 39:
            events.append(revised([(events[-3].data.get("type", "work"), events[-3].data.get("content", ""))],
                                  session=events[-3].source_id))
    return events


def test_postings_hold_exactly_the_common_words_incrementally_and_after_truncate(monkeypatch):
    """Words cross HOT_DF upward while the log grows and downward when it is truncated; at every
    step scry_words equals FTS5's own counts and scry_postings equals what FTS5's tables say."""
    monkeypatch.setattr(scry_index, "HOT_DF", 25)
    events = _common_words_history()
    conn = new_db([], absorb=False)
    seq, crossed = 0, set()
    for start in range(0, len(events), 17):
        chunk = events[start:start + 17]
        seq = store.append(conn, chunk, seq)
        SearchIndex().absorb(conn, seq - len(chunk))
        words, postings = _postings(conn)
        assert (words, postings) == _reference_postings(conn)
        crossed |= {p[0] for p in postings}
    assert {"patina", "session", "log", "index", "filler"} <= crossed and "zebra" in crossed
    assert _postings(conn) == _postings(new_db(events))  # incremental == built at once
    for keep in (150, 60, 20):  # back down: words fall under HOT_DF and lose their postings
        SearchIndex().truncate(conn, keep)  # the pipeline's order: before the cut
        store.truncate(conn, keep)
        assert _postings(conn) == _reference_postings(conn) == _postings(new_db(events[:keep]))
    assert scry_index.digest(conn) == scry_index.digest(new_db(events[:20]))


def test_forget_drops_postings(monkeypatch):
    monkeypatch.setattr(scry_index, "HOT_DF", 3)
    conn = new_db([item("decision", f"patina note {i}") for i in range(4)])
    assert {p[0] for p in _postings(conn)[1]} == {"patina", "note"}
    assert SearchIndex().forget(conn, 2) is True
    assert _postings(conn) == _reference_postings(conn)
    assert {p[0] for p in _postings(conn)[1]} == {"patina", "note"}
    assert SearchIndex().forget(conn, 3) is True
    assert _postings(conn)[1] == []  # both words are now in 2 documents: no longer common


def test_one_common_word_ranks_from_postings_exactly(monkeypatch):
    """A one-word query on a common word is answered from scry_postings: the same hits and the
    same float scores as FTS5's bm25() over every document, with every filter and limit."""
    from patina.scry import search

    monkeypatch.setattr(scry_index, "HOT_DF", 25)
    monkeypatch.setattr(search, "PRUNE_BUDGET", 25)
    conn = new_db(_common_words_history())
    answered = []  # words the postings answered (not handed back to full scoring)
    one = search._one_common_word

    def spy(*a):
        rows = one(*a)
        if rows is not None:
            answered.append(a[1])
        return rows

    monkeypatch.setattr(search, "_one_common_word", spy)
    for q in ["patina", "sessions", "log", "filler", "index", "zebra"]:
        for kw in ({}, {"types": ["decision", "commit"]}, {"types": ["goal"]}, {"until": "2025-11-10T00:00:00Z"}):
            for limit in (1, 3, 10, 200):
                assert search_db(conn, [q], limit=limit, tag="PROJECT", **kw) == \
                    search_db(conn, [q], limit=limit, tag="PROJECT", prune=False, **kw), (q, kw, limit)
    common = {q for q in ["patina", "sessions", "log", "filler", "index", "zebra"]
              if scry_index.doc_frequency(conn, scry_index.query_tokens(q)[0]) >= scry_index.HOT_DF}
    assert "sessions" in common and set(answered) == common  # "sessions": its stem has postings


def test_bound_of_a_common_word_is_its_best_score(monkeypatch):
    """A common word's bound is exactly its best contribution: the top one-word bm25() score."""
    from patina.scry import search

    monkeypatch.setattr(scry_index, "HOT_DF", 25)
    conn = new_db(_common_words_history())
    n_row, n_token = scry_index.totals(conn)
    for word in ["patina", "session", "filler"]:
        n_hit = conn.execute("SELECT count(*) FROM scry_fts WHERE scry_fts MATCH ?", (f'"{word}"',)).fetchone()[0]
        best = conn.execute("SELECT bm25(scry_fts, 1.0, 0.5, 0.2) AS r FROM scry_fts WHERE scry_fts MATCH ? "
                            "ORDER BY r LIMIT 1", (f'"{word}"',)).fetchone()[0]
        bound = search._bound(conn, word, n_hit, n_row, n_token)
        assert bound == -best < search._idf(n_row, n_hit) * (search.K1 + 1)
    assert search._bound(conn, "zanzibar", 5, n_row, n_token) == search._idf(n_row, 5) * (search.K1 + 1)


def test_not_side_is_filtered_by_bounds_and_stays_exact(monkeypatch):
    """With tight bounds for common words, documents holding only one of several common words
    cannot reach the floor: they are left out of scoring, and the answer does not change."""
    from patina.scry import search

    monkeypatch.setattr(scry_index, "HOT_DF", 25)
    monkeypatch.setattr(search, "PRUNE_BUDGET", 40)
    conn = new_db(_common_words_history(400))
    filters: list[str] = []
    ranked = search._ranked
    monkeypatch.setattr(search, "_ranked", lambda c, e, w, a, lim, only=None: (filters.append(only) if only else None)
                        or ranked(c, e, w, a, lim, only))
    for q in ["zebra patina session", "quokka axolotl log index", "zebra quokka axolotl", "patina session log index"]:
        terms = query_terms(q)
        for kw in ({}, {"types": ["decision", "pattern"]}, {"until": "2025-11-20T00:00:00Z"}):
            assert search_db(conn, terms, limit=5, tag="PROJECT", **kw) == \
                search_db(conn, terms, limit=5, tag="PROJECT", prune=False, **kw), (q, kw)
    assert any(" AND " in f for f in filters)


def test_able_to_reach():
    """The AND-groups a document must fully hold for its words' bounds to sum to the floor."""
    from patina.scry.search import _able_to_reach

    terms, bounds = ["a", "b", "c"], [5.0, 4.0, 3.0]
    assert _able_to_reach(terms, bounds, 4.5) == ['("a")', '("b" AND "c")']
    assert _able_to_reach(terms, bounds, 8.5) == ['("a" AND "b")']
    assert _able_to_reach(terms, bounds, 11.5) == ['("a" AND "b" AND "c")']
    assert _able_to_reach(terms, bounds, 12.5) == []  # not even all three together
    assert _able_to_reach(terms, bounds, 3.0) is None  # any one word may reach it: no filter
    assert _able_to_reach(["c", "a", "b"], [3.0, 5.0, 4.0], 7.5) == ['("a" AND "b")', '("a" AND "c")']


def test_tokenize_matches_the_index():
    from patina.scry.index import TOKENIZE, query_tokens

    assert f"tokenize = '{TOKENIZE}'" in store.schema_sql()
    assert query_tokens("Sessions") == ["session"]
    assert query_tokens("naïve") == ["naiv"]


# --- a commit's text is read from its message in the log ---------------------------------------

COMMIT_MESSAGES = ["subject only", "  subject\n\n  body line\n  more\n\n", "sübject ünïcode 🎉\r\n\r\nbödy 🎉 end\t",
                   "\u2028 unicode space first\u00a0\nrest\u2029", "nul \x00 inside\n\nbody", "x\ny",
                   "subject\n\n\n", "\x1c\x1dsep chars\x1e\nbody\x1f", "a\n" + "é" * 3000]


@pytest.mark.parametrize("message", COMMIT_MESSAGES)
def test_a_commits_document_is_cut_from_its_message_exactly(message):
    conn = new_db([commit("c" * 40, message)])
    want = scry_index.doc_for(1, "git.commit", "2025-11-20T09:00:00Z", "c" * 40, None, {"message": message})
    assert conn.execute("SELECT content, detail FROM scry_docs").fetchall() == [(want.content, want.detail)]
    stored = conn.execute("SELECT content, detail FROM scry_items").fetchone()
    assert stored == ((want.content, want.detail) if "\x00" in message else (None, None))  # text stored once
    assert scry_index.check(conn) is None  # FTS5 re-reads the view: it holds what was indexed
    assert search_db(conn, query_terms(want.content.split()[0]), limit=5, tag="P")[0].content == want.content


@hypothesis.given(hypothesis.strategies.text(min_size=1, max_size=60))
@hypothesis.settings(max_examples=150, deadline=None)
def test_any_commit_message_is_cut_from_the_log_as_python_cuts_it(message):
    doc = scry_index.doc_for(1, "git.commit", "2025-11-20T09:00:00Z", "c" * 40, None, {"message": message})
    if doc is None or doc.span is None:
        return
    conn = sqlite3.connect(":memory:")
    a, n, b, m = doc.span
    got = conn.execute("SELECT substr(? ->> '$.m', ?, ?), substr(? ->> '$.m', ?, ?)",
                       (json.dumps({"m": message}, ensure_ascii=False), a, n,
                        json.dumps({"m": message}, ensure_ascii=False), b, m)).fetchone()
    assert got == (doc.content, doc.detail)
