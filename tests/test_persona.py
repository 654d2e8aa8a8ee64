"""The persona store ($PATINA_HOME/persona.db), its CLI, and scry's merging of it.

Every test points PATINA_HOME at a temp dir: the real ~/.patina is never touched."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

from gitutil import db_path
from patina import store
from patina.cli import main
from patina.errors import UsageError
from patina.scry import persona
from patina.scry.search import PERSONA_WEIGHT, scry


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "patina-home"
    monkeypatch.setenv("PATINA_HOME", str(path))
    return str(path)


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_home_follows_patina_home(home):
    assert persona.home() == home
    assert persona.db_path() == os.path.join(home, "persona.db")


def test_note_list_forget(home):
    a = persona.add_note("  I prefer Rust Result<T,E> over exceptions ", ["rust", "errors", "rust"])
    b = persona.add_note("Functional core, imperative shell")
    assert (a.id, a.content, a.tags) == (1, "I prefer Rust Result<T,E> over exceptions", ["errors", "rust"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a.timestamp)  # wall clock, UTC
    assert [(n.id, n.content) for n in persona.list_notes()] == [(1, a.content), (2, b.content)]
    assert [n.id for n in persona.list_notes(tag="rust")] == [1]
    assert persona.forget(2) is True
    assert persona.forget(2) is False
    c = persona.add_note("Explicit error types, always")
    assert c.id == 3  # ids are never reused
    assert [n.id for n in persona.list_notes()] == [1, 3]


def test_forgotten_note_is_gone_from_file_and_index(home):
    persona.add_note("keep this belief")
    secret = persona.add_note("forget this zanzibar secret")
    hits = scry("zanzibar", projects=[], persona_home=home).hits
    assert [h.seq for h in hits] == [secret.id]
    persona.forget(secret.id)
    assert scry("zanzibar", projects=[], persona_home=home).hits == []
    conn = store.connect(persona.db_path())
    assert conn.execute("SELECT count(*) FROM eventlog WHERE data LIKE '%zanzibar%'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM scry_docs WHERE content LIKE '%zanzibar%'").fetchone() == (0,)
    conn.close()
    with open(persona.db_path(), "rb") as fh:  # secure_delete: not left in free pages either
        assert b"zanzibar" not in fh.read()


def test_bad_notes_are_refused(home):
    with pytest.raises(UsageError):
        persona.add_note("   ")
    with pytest.raises(UsageError):
        persona.add_note("x", ["two words"])
    assert not os.path.exists(persona.db_path())  # nothing created for a refused note


def test_no_persona_database_means_no_persona_results(home):
    assert persona.list_notes() == []
    assert persona.forget(1) is False
    assert scry("anything", projects=[], persona_home=home).hits == []
    assert not os.path.exists(persona.db_path())


def test_old_schema_is_migrated_keeping_notes_and_ids(home):
    persona.add_note("first belief about caching")
    persona.add_note("second belief")
    persona.forget(2)
    conn = store.connect(persona.db_path())
    store.set_meta(conn, "fingerprint", "from-an-older-patina")
    conn.close()
    assert [(n.id, n.content) for n in persona.list_notes()] == [(1, "first belief about caching")]
    assert persona.add_note("third").id == 3
    assert [h.seq for h in scry("caching", projects=[], persona_home=home).hits] == [1]


def test_persona_hits_are_tagged_and_weighted(home, repo, scrape):
    repo.commit("Prefer explicit error types in the API")
    repo.commit("Unrelated: bump version")
    scrape(repo.path)
    persona.add_note("Prefer explicit error types")
    persona.add_note("Unrelated musing about tea")
    db = db_path(repo)
    hits = scry("explicit error types", projects=[(None, db)], persona_home=home).hits
    assert [(h.tag, round(h.score, 4), h.content) for h in hits] == [
        ("PROJECT", 1.0, "Prefer explicit error types in the API"),
        ("PERSONA", PERSONA_WEIGHT, "Prefer explicit error types"),
    ]
    hits = scry("explicit error types", projects=[(None, db)], persona_home=None).hits
    assert [h.tag for h in hits] == ["PROJECT"]


def test_persona_until_uses_note_time(home):
    persona.add_note("a note about indexes")
    assert scry("indexes", projects=[], persona_home=home, until="2000-01-01").hits == []
    assert len(scry("indexes", projects=[], persona_home=home, until="2999-01-01").hits) == 1


# --- CLI ---------------------------------------------------------------------------------------

def test_persona_cli(home):
    assert run("persona", "note", "Functional", "core,", "imperative", "shell", "--tag", "design") == \
        (0, "noted #1\n")
    code, out = run("persona", "list")
    assert code == 0 and re.fullmatch(r"#1  \d{4}-\d\d-\d\d  Functional core, imperative shell  \[design\]\n", out)
    code, out = run("persona", "list", "--json")
    assert [(n["id"], n["tags"]) for n in json.loads(out)] == [(1, ["design"])]
    assert run("persona", "forget", "1") == (0, "forgot #1\n")
    code, out = run("persona", "forget", "1")
    assert code == 3 and out.startswith("patina: no note #1")


def test_scry_cli_merges_persona_and_no_persona_leaves_it_out(home, repo, scrape, monkeypatch):
    repo.commit("Scry: merge persona results")
    scrape(repo.path)
    persona.add_note("persona results should be merged")
    code, out = run("scry", "persona", "merge", "--repo", str(repo.path))
    lines = out.splitlines()
    assert code == 0, out
    assert re.fullmatch(r"\[PROJECT\] 1\.00  2023-11-14  commit  Scry: merge persona results  \(commit [0-9a-f]{12}\)",
                        lines[0])
    assert re.fullmatch(r"\[PERSONA\] 0\.95  \d{4}-\d\d-\d\d  note  persona results should be merged  \(note 1\)",
                        lines[1])
    code, out = run("scry", "persona", "merge", "--repo", str(repo.path), "--no-persona")
    assert code == 0 and len(out.splitlines()) == 1 and out.startswith("[PROJECT]")
    code, out = run("scry", "persona merge", "--repo", str(repo.path), "--json", "--type", "note")
    data = json.loads(out)
    assert [(r["tag"], r["type"], r["score"]) for r in data["results"]] == [("PERSONA", "note", 0.95)]
    assert data["terms"] == ["persona", "merge"]


def test_scry_cli_errors_are_one_line(home, repo, scrape):
    repo.commit("x")
    code, out = run("scry", "x", "--repo", str(repo.path))
    assert code == 4 and out.startswith("patina: no database") and out.count("\n") == 1
    scrape(repo.path)
    code, out = run("scry", "x", "--repo", str(repo.path), "--until", "not-a-date")
    assert code == 3 and out.startswith("patina: --until:")
    code, out = run("scry", "x", "--repo", str(repo.path), "--type", "decison")
    assert code == 3 and "unknown type decison" in out
