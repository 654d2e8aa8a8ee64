"""Scry over the real session fixtures, through the real pipeline: the labelled query set's
recall@5, revisions of a session file, --until, and incremental == full build."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import db_path
from patina import store
from patina.scry import index as scry_index
from patina.scry.recall import evaluate, load_queries, mrr, recall
from patina.scry.search import scry

TESTS = Path(__file__).parent
SESSIONS = TESTS / "fixtures" / "sessions"
# Committed one a day, in the order they were written.
ORDER = ["session_summary_july27.md", "20250728-182427.md", "20251121-065812.md", "20251124-174931.md",
         "20260204-213118.md"]
DAY = 86_400


def commit_fixtures(repo, start: int) -> list[str]:
    shas = []
    for i, name in enumerate(ORDER):
        text = (SESSIONS / name).read_text(encoding="utf-8")
        shas.append(repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": text}, when=start + i * DAY))
    return shas


@pytest.fixture
def fixture_repo(repo, scrape):
    from gitutil import BASE_TIME

    commit_fixtures(repo, BASE_TIME)
    scrape(repo.path)
    return repo


db_of = db_path


def test_labelled_queries_recall_at_5(fixture_repo):
    queries = load_queries(str(TESTS / "scry_queries.json"))
    assert len(queries) >= 20
    outcomes = evaluate(db_of(fixture_repo), queries, k=5)
    misses = [(o.query, o.expected, o.top) for o in outcomes if o.rank is None]
    assert recall(outcomes) >= 0.9, misses
    assert mrr(outcomes) > 0.7


def test_session_items_are_indexed_with_their_session(fixture_repo):
    hits = scry("keep serve hidden alias", projects=[(None, db_of(fixture_repo))], persona_home=None,
                limit=1).hits
    assert [(h.type, h.origin, h.title, h.source_file) for h in hits] == [
        ("decision", "20260204-213118", "mother-daemon-unify", "layer/sessions/20260204-213118.md")]
    assert hits[0].content.startswith("Keep serve as hidden alias — MCP configs shell out")


def test_revised_session_drops_item_but_until_still_sees_it(fixture_repo, scrape, tmp_path):
    from gitutil import BASE_TIME
    from patina import repo as patina_repo, update
    from patina.events import utc_timestamp

    path = fixture_repo.path / "layer/sessions/20260204-213118.md"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = "".join(line for line in lines if "Keep serve as hidden alias" not in line)
    edit_time = BASE_TIME + 10 * DAY
    fixture_repo.commit("drop a decision", {"layer/sessions/20260204-213118.md": kept}, when=edit_time)
    scrape(fixture_repo.path)
    db = db_of(fixture_repo)

    def found(**kw) -> bool:
        hits = scry("keep serve hidden alias", projects=[(None, db)], persona_home=None, limit=5, **kw).hits
        return any(h.content.startswith("Keep serve as hidden alias") for h in hits)

    assert not found()
    assert found(until=utc_timestamp(edit_time - 1))
    assert not found(until=utc_timestamp(BASE_TIME + 3 * DAY))  # before the session was committed
    # The same rule as the observations view: the index's current items are the view's.
    conn = store.connect(db, readonly=True)
    current = conn.execute("SELECT seq FROM scry_docs WHERE removed_seq IS NULL AND type NOT IN "
                           "('commit', 'goal') ORDER BY seq").fetchall()
    assert current == conn.execute("SELECT seq FROM observations ORDER BY seq").fetchall()
    assert conn.execute("SELECT seq FROM scry_docs WHERE removed_seq IS NULL AND type = 'goal' ORDER BY seq"
                        ).fetchall() == conn.execute("SELECT seq FROM goals ORDER BY seq").fetchall()
    # Incremental (one scrape per commit so far) equals a full build.
    fresh = str(tmp_path / "fresh.db")
    update.update(patina_repo.discover(str(fixture_repo.path)), full=True, db_path=fresh)
    assert scry_index.digest(conn) == scry_index.digest(store.connect(fresh, readonly=True))


def test_deleted_session_file_leaves_the_index(fixture_repo, scrape):
    fixture_repo.commit("remove the mother session", {"layer/sessions/20260204-213118.md": None})
    scrape(fixture_repo.path)
    hits = scry("mother daemon pid graph", projects=[(None, db_of(fixture_repo))], persona_home=None,
                limit=20, types=["decision", "pattern", "work", "context", "observation", "goal"]).hits
    assert [h for h in hits if h.origin == "20260204-213118"] == []
