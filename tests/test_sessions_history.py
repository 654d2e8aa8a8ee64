"""Session files through history: added, extended, rewritten, renamed, deleted, merged.

Each commit adds only the events whose content is new; removals arrive as one
``session.revised`` event, and the views show the current state. Real repositories only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from gitutil import Repo, git, query

from patina.config import Config, validate

DIR = "layer/sessions"
PATH = f"{DIR}/20250301-090000.md"
SID = "20250301-090000"
FIXTURES = Path(__file__).parent / "fixtures" / "sessions"

HEADER = """\
# Session: history
**ID**: 20250301-090000
**Started**: 2025-03-01T14:00:00Z
"""


def version(goals: str, entries: str, tail: str = "") -> str:
    return f"{HEADER}\n## Goals\n{goals}\n## Activity Log\n{entries}{tail}"


V1 = version("- [ ] parse\n- [ ] test\n", "### 10:00 - Start work\n**Key Decisions:**\n- Use mistune\n")
V2 = version("- [x] parse\n- [ ] test\n",
             "### 10:00 - Start work\n**Key Decisions:**\n- Use mistune\n\n"
             "### 11:30 - More [main@beef1234]\n**Patterns Observed:**\n- Diff by content\n",
             "\n## Session Classification\n- Work Type: pattern-work\n- Files Changed: 2\n")
V3 = version("- [x] parse\n- [ ] test\n",
             "### 10:00 - Start work\n**Key Decisions:**\n- Use the mistune AST\n\n"
             "### 11:30 - More [main@beef1234]\n**Patterns Observed:**\n- Diff by content\n",
             "\n## Session Classification\n- Work Type: pattern-work\n- Files Changed: 2\n")


def new_session_events(repo: Repo, scrape, before: int) -> list[tuple]:
    """(event_type, timestamp, source_id, source_file, data) appended after seq ``before``."""
    _, rows = scrape(repo.path)
    return [(t, ts, sid, sf, json.loads(d)) for seq, t, ts, sid, sf, d in rows
            if seq > before and t.startswith("session.")]


def last_seq(repo: Repo) -> int:
    return query(repo, "SELECT coalesce(max(seq), 0) FROM eventlog")[0][0]


def brief(events) -> list[tuple]:
    """Events as (type, content-ish) for readable expectations; revised lists what it removed."""
    out = []
    for t, ts, sid, sf, d in events:
        if t == "session.started":
            out.append((t, sid, sf, d.get("classification")))
        elif t == "session.revised":
            out.append((t, sid, sf, [(r["type"], r["content"]) for r in d["removed"]],
                        d["deleted_file"], d["session_removed"], d.get("renamed_to")))
        elif t == "session.goal":
            out.append((t, d["content"], d["completed"]))
        else:
            out.append((t, d["content"], ts, d["activity"], d["commit"]))
    return out


def current(repo: Repo) -> dict:
    return {
        "sessions": query(repo, "SELECT session_id, source_file, classification, files_changed FROM sessions "
                                "ORDER BY source_file, session_id"),
        "observations": query(repo, "SELECT session_id, type, content, source_file FROM observations ORDER BY seq"),
        "goals": query(repo, "SELECT session_id, content, completed, source_file FROM goals ORDER BY seq"),
    }


def test_added_extended_rewritten_deleted(repo, scrape):
    repo.commit("root", {"README": "x\n"})
    scrape(repo.path)

    seq = last_seq(repo)
    repo.commit("add session", {PATH: V1})
    assert brief(new_session_events(repo, scrape, seq)) == [
        ("session.started", SID, PATH, None),
        ("session.goal", "parse", False),
        ("session.goal", "test", False),
        ("session.decision", "Use mistune", "2025-03-01T15:00:00Z", "Start work", None),
    ]

    seq = last_seq(repo)
    repo.commit("extend session", {PATH: V2})
    assert brief(new_session_events(repo, scrape, seq)) == [
        ("session.revised", SID, PATH, [("goal", "parse")], False, False, None),  # its checkbox changed
        ("session.started", SID, PATH, "pattern-work"),  # the header data changed (classification)
        ("session.goal", "parse", True),
        ("session.pattern", "Diff by content", "2025-03-01T16:30:00Z", "More", "beef1234"),
    ]
    assert current(repo) == {
        "sessions": [(SID, PATH, "pattern-work", 2)],
        "observations": [(SID, "decision", "Use mistune", PATH), (SID, "pattern", "Diff by content", PATH)],
        "goals": [(SID, "test", 0, PATH), (SID, "parse", 1, PATH)],
    }

    seq = last_seq(repo)
    repo.commit("rewrite a decision", {PATH: V3})
    assert brief(new_session_events(repo, scrape, seq)) == [
        ("session.revised", SID, PATH, [("decision", "Use mistune")], False, False, None),
        ("session.decision", "Use the mistune AST", "2025-03-01T15:00:00Z", "Start work", None),
    ]
    assert [r[2] for r in current(repo)["observations"]] == ["Diff by content", "Use the mistune AST"]

    seq = last_seq(repo)
    repo.commit("unrelated", {"other.txt": "o\n", f"{DIR}/notes.txt": "not markdown\n"})
    assert new_session_events(repo, scrape, seq) == []

    seq = last_seq(repo)
    repo.commit("same content again", {PATH: V3 + "\n"})  # whitespace only: nothing new, nothing gone
    assert new_session_events(repo, scrape, seq) == []

    seq = last_seq(repo)
    repo.commit("delete session", {PATH: None})
    events = new_session_events(repo, scrape, seq)
    assert brief(events) == [
        ("session.revised", SID, PATH,
         [("decision", "Use the mistune AST"), ("goal", "parse"), ("goal", "test"), ("pattern", "Diff by content")],
         True, True, None),
    ]
    assert events[0][1] == "2023-11-14T22:20:20Z"  # a revision happens at its commit's time
    assert current(repo) == {"sessions": [], "observations": [], "goals": []}

    seq = last_seq(repo)
    repo.commit("restore session", {PATH: V1})
    assert [e[0] for e in new_session_events(repo, scrape, seq)] == [
        "session.started", "session.goal", "session.goal", "session.decision"]
    assert current(repo)["sessions"] == [(SID, PATH, None, None)]
    assert [r[2] for r in current(repo)["observations"]] == ["Use mistune"]


def test_rename_moves_the_session(repo, scrape):
    repo.commit("add", {PATH: V2})
    scrape(repo.path)
    seq = last_seq(repo)
    new_path = f"{DIR}/2025/03/{SID}.md"
    (repo.path / new_path).parent.mkdir(parents=True)
    git(repo.path, "mv", PATH, new_path)
    repo.commit("move into a month folder")
    events = brief(new_session_events(repo, scrape, seq))
    assert events[0] == ("session.revised", SID, PATH,
                         [("decision", "Use mistune"), ("goal", "parse"), ("goal", "test"),
                          ("pattern", "Diff by content")], True, True, new_path)
    assert [e[0] for e in events[1:]] == ["session.started", "session.goal", "session.goal", "session.decision",
                                          "session.pattern"]
    assert current(repo)["sessions"] == [(SID, new_path, "pattern-work", 2)]
    assert {r[3] for r in current(repo)["observations"]} == {new_path}


def test_moved_out_of_and_into_the_globs(repo, scrape):
    repo.commit("add", {PATH: V1})
    scrape(repo.path)
    git(repo.path, "mv", PATH, "archive.md")
    repo.commit("archive it")
    scrape(repo.path)
    assert current(repo) == {"sessions": [], "observations": [], "goals": []}
    git(repo.path, "mv", "archive.md", PATH)
    repo.commit("bring it back")
    scrape(repo.path)
    assert current(repo)["sessions"] == [(SID, PATH, None, None)]


def test_id_change_replaces_the_session(repo, scrape):
    repo.commit("add", {PATH: V1})
    scrape(repo.path)
    seq = last_seq(repo)
    repo.commit("fix the id", {PATH: V1.replace("**ID**: 20250301-090000", "**ID**: 20250301-091500")})
    events = brief(new_session_events(repo, scrape, seq))
    assert events[0] == ("session.revised", SID, PATH,
                         [("decision", "Use mistune"), ("goal", "parse"), ("goal", "test")], False, True, None)
    assert events[1] == ("session.started", "20250301-091500", PATH, None)
    assert [r[0] for r in current(repo)["sessions"]] == ["20250301-091500"]
    assert {r[0] for r in current(repo)["goals"]} == {"20250301-091500"}


def test_session_from_a_merged_branch_enters_at_the_merge(repo, scrape):
    repo.commit("root", {"README": "x\n"})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("session on a branch", {PATH: V1})
    repo.commit("extend on the branch", {PATH: V2})
    repo.git("checkout", "-q", "main")
    repo.commit("main work", {"m.txt": "m\n"})
    merge = repo.merge("topic")
    _, rows = scrape(repo.path)
    commit_seq = {sid: seq for seq, t, ts, sid, sf, d in rows if t == "git.commit"}
    session_seqs = [seq for seq, t, *_ in rows if t.startswith("session.")]
    # All session events follow the merge commit's own event: the branch's commits bring none.
    assert min(session_seqs) == commit_seq[merge] + 1
    assert max(commit_seq.values()) == commit_seq[merge]
    assert [t for _, t, *_ in rows if t.startswith("session.")] == [
        "session.started", "session.goal", "session.goal", "session.decision", "session.pattern"]


def all_rows(repo_path: Path) -> dict:
    from patina import repo as prepo, store

    conn = store.connect(prepo.discover(str(repo_path)).db_path)
    try:
        return {name: conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()
                for name in ("eventlog", "sessions", "observations", "goals")}
    finally:
        conn.close()


def test_same_history_gives_identical_rows_twice_and_in_a_clone(repo, scrape, tmp_path):
    names = sorted(p.name for p in FIXTURES.glob("*.md") if p.name != "README.md")
    for i, name in enumerate(names):
        repo.commit(f"add {name}", {f"{DIR}/{name}": (FIXTURES / name).read_bytes()}, tz=("-0500", "+0200")[i % 2])
        scrape(repo.path)  # incremental, one commit at a time
    repo.commit("extend", {PATH: V1})
    repo.commit("rewrite", {PATH: V3, f"{DIR}/{names[0]}": None})
    scrape(repo.path)
    incremental = all_rows(repo.path)
    scrape(repo.path, full=True)
    assert all_rows(repo.path) == incremental
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo.path), str(clone))
    shutil.rmtree(clone / ".patina", ignore_errors=True)
    scrape(clone)
    assert all_rows(clone) == incremental
    assert len(incremental["sessions"]) == len(names)  # one deleted, one added


def test_pending_session_files(repo):
    from patina.sources.sessions import pending_session_files

    repo.commit("add", {PATH: V1, f"{DIR}/kept.md": V1})
    (repo.path / PATH).write_text(V2)  # modified, unstaged
    (repo.path / f"{DIR}/2025/03").mkdir(parents=True)
    (repo.path / f"{DIR}/2025/03/new.md").write_text(V1)  # untracked, in an untracked folder
    (repo.path / f"{DIR}/staged.md").write_text(V1)
    git(repo.path, "add", f"{DIR}/staged.md")
    (repo.path / f"{DIR}/notes.txt").write_text("x")  # not a session file
    (repo.path / "elsewhere.md").write_text("x")
    assert pending_session_files(str(repo.path), Config()) == [
        f"{DIR}/2025/03/new.md", f"{DIR}/20250301-090000.md", f"{DIR}/staged.md"]
    assert pending_session_files(str(repo.path), validate({"sessions": {"globs": ["*.md"]}})) == ["elsewhere.md"]
    git(repo.path, "rm", "-q", f"{DIR}/kept.md")
    assert f"{DIR}/kept.md" in pending_session_files(str(repo.path), Config())
    assert pending_session_files(str(repo.path.parent), Config()) == []  # not a work tree: nothing, no error


def test_parse_cache_is_by_content_and_survives_damage(repo, scrape):
    names = ["20251124-174931.md", "20260204-213118.md"]
    repo.commit("add", {f"{DIR}/{n}": (FIXTURES / n).read_bytes() for n in names})
    repo.commit("extend", {f"{DIR}/{names[0]}": (FIXTURES / names[0]).read_text() + "\n## Goals\n- [ ] more\n"})
    scrape(repo.path)
    first = all_rows(repo.path)
    cache = sorted((repo.path / ".patina/data/cache/sessions").rglob("*.json"))
    assert len(cache) == 3  # one parse per blob version, whichever commit read it
    # A full rebuild reads every version from the cache, without importing mistune.
    code = ("import sys; sys.path.insert(0, 'tests'); from conftest import build; "
            f"build({str(repo.path)!r}, full=True); "
            "assert 'mistune' not in sys.modules, 'parsed again despite the cache'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert all_rows(repo.path) == first
    for path in cache:  # damaged entries are parsed again, not trusted
        path.write_text('{"fields": "garbage"')
    scrape(repo.path, full=True)
    assert all_rows(repo.path) == first


def test_rewrite_under_a_new_name_is_not_a_duplicate(repo, scrape):
    repo.commit("add", {f"{DIR}/a.md": V1})
    scrape(repo.path)
    repo.commit("replace a.md by b.md, rewritten", {f"{DIR}/a.md": None, f"{DIR}/b.md": V3.replace("history", "x")})
    result, _ = scrape(repo.path)
    assert not [w for w in result.warnings if "more than one file" in w]
    assert current(repo)["sessions"] == [(SID, f"{DIR}/b.md", "pattern-work", 2)]
    repo.commit("copy it back", {f"{DIR}/a.md": V1})
    result, _ = scrape(repo.path)
    assert [w for w in result.warnings if "more than one file" in w] == [
        f"session ID '{SID}' is used by more than one file ({DIR}/a.md, {DIR}/b.md): kept each"]
