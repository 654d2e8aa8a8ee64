"""Session notes -> session.* events: the real fixtures, exact events, bad input, globs.

Every test builds a real git repository and runs the one pipeline (no mocks).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gitutil import Repo, query

FIXTURES = Path(__file__).parent / "fixtures" / "sessions"
SESSION_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.md") if p.name != "README.md")
DIR = "layer/sessions"


def session_events(rows) -> list[tuple[str, str, str, str | None, dict]]:
    """(event_type, timestamp, source_id, source_file, data) of the session.* rows, in seq order."""
    return [(t, ts, sid, sf, json.loads(d)) for _, t, ts, sid, sf, d in rows if t.startswith("session.")]


def without_keys(events):
    """The events with the opaque item keys dropped (they are checked separately)."""
    out = []
    for t, ts, sid, sf, data in events:
        data = {k: v for k, v in data.items() if k != "key"}
        if "removed" in data:
            data["removed"] = [{k: v for k, v in r.items() if k != "key"} for r in data["removed"]]
        out.append((t, ts, sid, sf, data))
    return out


def fixture_text(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- the real fixtures ----------------------------------------------------------------------

EXPECTED_COUNTS = {
    "20250728-182427.md": {"session.started": 1, "session.goal": 5, "session.context": 1,
                           "session.observation": 15, "session.work": 7},
    "20251121-065812.md": {"session.started": 1, "session.goal": 1, "session.context": 1, "session.decision": 5,
                           "session.observation": 8, "session.pattern": 4, "session.work": 5},
    "20251124-174931.md": {"session.started": 1, "session.goal": 1, "session.context": 1, "session.decision": 6,
                           "session.observation": 23, "session.pattern": 8, "session.work": 29},
    "20260204-213118.md": {"session.started": 1, "session.goal": 1, "session.context": 4, "session.decision": 6,
                           "session.pattern": 3, "session.work": 9},
    "session_summary_july27.md": {"session.started": 1, "session.context": 1},
}


def test_every_fixture_is_covered():
    assert sorted(EXPECTED_COUNTS) == SESSION_FIXTURES


@pytest.mark.parametrize("name", SESSION_FIXTURES)
def test_fixture_event_counts(repo, scrape, name):
    repo.commit("add session", {f"{DIR}/{name}": fixture_text(name)})
    result, rows = scrape(repo.path)
    assert result.warnings == []
    events = session_events(rows)
    assert dict(Counter(e[0] for e in events)) == EXPECTED_COUNTS[name]
    assert {e[3] for e in events} == {f"{DIR}/{name}"}
    assert len({e[4].get("key") for e in events if e[0] != "session.started"}) == len(events) - 1  # keys unique



# Exact events of the newest fixture (YAML front matter, numbered items with nested detail,
# times converted with the -05:00 offset the ID and `created` imply, across midnight UTC).
EXPECTED_20260204 = [('session.started',
      '2026-02-05T02:31:18Z',
      {'branch': 'patina',
       'classification': 'pattern-work',
       'commits_made': 4,
       'files_changed': 16,
       'goals': ['mother-daemon-unify'],
       'id': '20260204-213118',
       'llm': 'claude',
       'offset': '-05:00',
       'starting_commit': '39a6bf1e4009dd89867fb80ad9145a42119fa7cf',
       'tag': 'session-20260204-213118-claude-start',
       'time_basis': 'started',
       'title': 'mother-daemon-unify'}),
     ('session.goal', '2026-02-05T02:31:18Z', {'completed': True, 'content': 'mother-daemon-unify'}),
     ('session.context',
      '2026-02-05T02:31:18Z',
      {'activity': None,
       'commit': None,
       'content': 'Fixed launcher health check (`check_mother_health()`) to use UDS instead of TCP after Phase 2 '
                  'security hardening broke it. Bumped to v0.10.3. Captured the "mother-is-the-daemon" belief and '
                  'drafted the `mother-daemon-unify` spec — merging `patina serve` under `patina mother start` with a '
                  'deprecation plan tracked via GH #85. Discussed plugin/module architecture as future direction once '
                  'mother is solid as the daemon platform.',
       'detail': None,
       'section': 'Previous Session Context',
       'type': 'context'}),
     ('session.work',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Phase 1: Command restructure — Implemented the [[mother-daemon-unify]] spec Phase 1:',
       'detail': 'New command tree: `patina mother {start|stop|status|graph}`\n'
                 '`patina mother start` replaces `patina serve` as the daemon entry point\n'
                 '`patina mother graph {sync|show|link|unlink|stats|learn}` for graph CRUD\n'
                 '`stop` and `status` are placeholders printing help text',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Module reorganization:',
       'detail': '`serve/internal.rs` → `mother/daemon.rs` (daemon server logic)\n'
                 '`serve/microserver.rs` → `mother/microserver.rs` (HTTP parser)\n'
                 '`mother/internal.rs` → `mother/graph.rs` (graph operations)\n'
                 '`serve/mod.rs` reduced to empty deprecation shim',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Backward compatibility:',
       'detail': '`Commands::Serve` marked `#[command(hide = true)]` — hidden from help\n'
                 'Prints deprecation warning: "use `patina mother start` instead"\n'
                 '`patina serve --mcp` still works for existing MCP configs',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Launcher integration:',
       'detail': '`start_mother_daemon()` now spawns `["mother", "start"]`\n'
                 'MCP adapter configs updated to `["mother", "start", "--mcp"]`',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'House style guide:',
       'detail': 'Added `layer/surface/build/rust-house-style.md` (Gjengset-ish Rust principles)\n'
                 'Will trial as active spec before promoting to core pattern',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.decision',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Keep serve as hidden alias — MCP configs shell out to `patina serve --mcp`. Breaking silently is '
                  'worse than a deprecation warning. Removal tracked via GH #85.',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'}),
     ('session.decision',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Nested graph subcommand — `patina mother graph show` instead of `patina mother show`. Cleaner '
                  'separation: daemon lifecycle vs graph CRUD.',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'}),
     ('session.decision',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Placeholders for stop/status — Phase 2 work. Prints instructions for manual workarounds (`pkill`, '
                  '`curl health`).',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'}),
     ('session.context',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Reviewed spec scope: Phase 1 (command restructure) only. Phase 2 (PID file, proper stop/status) '
                  'and Phase 3 (launchd) deferred.',
       'detail': None,
       'section': 'Discussion Context',
       'type': 'context'}),
     ('session.context',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Open questions answered: No logging for now (rely on stdout/stderr). No launchd plist yet '
                  '(auto-start on `patina` invocation is sufficient).',
       'detail': None,
       'section': 'Discussion Context',
       'type': 'context'}),
     ('session.context',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'User added house style guide mid-session — separate from spec, placed in `layer/surface/build/` '
                  'for trial.',
       'detail': None,
       'section': 'Discussion Context',
       'type': 'context'}),
     ('session.pattern',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': '[[spec-before-code]] followed — spec already existed from previous session',
       'detail': None,
       'section': 'Patterns Observed',
       'type': 'pattern'}),
     ('session.pattern',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': '`execute_cli()` closure pattern for MCP delegation avoids import cycles',
       'detail': None,
       'section': 'Patterns Observed',
       'type': 'pattern'}),
     ('session.pattern',
      '2026-02-05T04:03:00Z',
      {'activity': 'Update (covering since 21:31)',
       'commit': None,
       'content': 'Deprecation via `#[command(hide = true)]` + runtime warning is clean clap pattern',
       'detail': None,
       'section': 'Patterns Observed',
       'type': 'pattern'}),
     ('session.work',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'Phase 2: Daemon lifecycle ([[commit-92d10b6d]]):',
       'detail': 'Added `paths::serve::pid_path()` → `~/.patina/run/mother.pid`\n'
                 '`mother start` writes PID file on startup, cleans up on SIGTERM/SIGINT\n'
                 '`mother stop` — reads PID, sends SIGTERM, waits up to 5s for graceful shutdown\n'
                 '`mother status` — shows running/stopped, PID, version, uptime via /health query',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'Spec marked complete ([[commit-aed93551]]):',
       'detail': 'All 9 exit criteria checked off in [[mother-daemon-unify]] spec\n'
                 'Status changed from `phase2-complete` to `complete`',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'Version bump to v0.11.0 ([[commit-124f5499]]):',
       'detail': 'Used `patina version milestone` to bump 0.10.3 → 0.11.0\nTagged as `v0.11.0`',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.work',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'PR created:',
       'detail': 'Pushed branch and tag to origin\n'
                 'Created PR #86 against main\n'
                 'Fixes GH #85 (serve deprecation tracking)',
       'section': 'Work Completed',
       'type': 'work'}),
     ('session.decision',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'PID file location — `~/.patina/run/mother.pid` alongside socket and token files',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'}),
     ('session.decision',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'Graceful stop timeout — 5 seconds polling before warning user to `kill -9`',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'}),
     ('session.decision',
      '2026-02-05T04:22:00Z',
      {'activity': 'Update (covering since 23:03)',
       'commit': None,
       'content': 'Status via /health — reuses existing health endpoint rather than adding new one',
       'detail': None,
       'section': 'Key Decisions',
       'type': 'decision'})]


def test_fixture_20260204_exact_events(repo, scrape):
    name = "20260204-213118.md"
    repo.commit("add session", {f"{DIR}/{name}": fixture_text(name)})
    _, rows = scrape(repo.path)
    events = without_keys(session_events(rows))
    assert {(e[2], e[3]) for e in events} == {("20260204-213118", f"{DIR}/{name}")}
    got = [(t, ts, {k: v for k, v in d.items() if k != "session_id"}) for t, ts, _, _, d in events]
    assert got == EXPECTED_20260204
    assert all(d.get("session_id", "20260204-213118") == "20260204-213118" for *_, d in events)


def test_fixture_times_commits_and_legacy_fallbacks(repo, scrape):
    repo.commit("add sessions", {f"{DIR}/{n}": fixture_text(n) for n in
                                 ("20250728-182427.md", "20251124-174931.md", "session_summary_july27.md")})
    _, rows = scrape(repo.path)
    events = session_events(rows)
    by_activity = {(d.get("activity"), ts, d.get("commit")) for t, ts, sid, _, d in events
                   if sid == "20251124-174931" and t != "session.started"}
    # 18:00 local, ID 17:49:31 local vs Started 22:49:31Z: -05:00; 19:30 local is past midnight UTC.
    assert ("Safetensors Upgrade Complete", "2025-11-24T23:00:00Z", "6494322f") in by_activity
    assert ("USearch Index Complete", "2025-11-25T00:30:00Z", "4aee5650") in by_activity
    assert ("Update (covering since 17:49)", "2025-11-25T03:01:00Z", None) in by_activity
    # July: the same team is on -04:00.
    notes = [(ts, d["content"]) for t, ts, sid, _, d in events if sid == "20250728-182427" and d.get("activity") == "Note"]
    assert notes == [("2025-07-28T22:32:00Z",
                      "not sure why we track git changes yet need to figure out what is happening there")]
    # The pre-template file: ID from the file name, title from the first heading, start = commit time.
    legacy = [(t, ts, d) for t, ts, sid, _, d in events if sid == "session_summary_july27"]
    assert legacy[0][:2] == ("session.started", "2023-11-14T22:14:20Z")
    assert legacy[0][2]["title"] == "Claude Session Summary" and legacy[0][2]["files_changed"] == 16
    assert legacy[0][2]["time_basis"] == "commit"
    assert [(t, d["content"]) for t, _, d in legacy[1:]] == [
        ("session.context", "This session focused on redesigning Patina's session management system.")]


# --- crafted sessions -------------------------------------------------------------------------

CRAFTED = """\
# Session: crafted parser session
**ID**: 20250301-090000
**Started**: 2025-03-01T14:00:00Z
**LLM**: claude
**Git Branch**: main
**Session Tag**: session-20250301-090000-start
**Starting Commit**: 0123456789abcdef0123456789abcdef01234567

## Previous Session Context
Last time we sketched the format.

## Goals
- [ ] parse sessions
- [x] write fixtures

## Activity Log
### 09:00 - Session Start
Session initialized with goal: crafted parser session

### 10:15 - Parser work [main@abc1234]

**Key Decisions:**
- Use the AST
  - not regexes
    - never

**Git Activity:**
- Commits this session: 3

**Patterns Observed:**
1. Rules as data

### 23:50 - Late [main@def5678]
- caf\N{LATIN SMALL LETTER E WITH ACUTE} note

### 00:10 - After midnight
**Status:** still going

## Session Classification
- Work Type: pattern-work
- Files Changed: 7
- Commits: 3
"""


def crafted_events(repo: Repo, scrape, files: dict, tz: str = "+0000"):
    repo.commit("sessions", files, tz=tz)
    result, rows = scrape(repo.path)
    return result, without_keys(session_events(rows))


def test_crafted_session_exact(repo, scrape):
    path = f"{DIR}/crafted.md"
    result, events = crafted_events(repo, scrape, {path: CRAFTED})
    assert result.warnings == []
    sid = "20250301-090000"
    base = {"session_id": sid, "detail": None, "commit": None}
    assert events == [
        ("session.started", "2025-03-01T14:00:00Z", sid, path, {
            "id": sid, "title": "crafted parser session", "branch": "main", "llm": "claude",
            "tag": "session-20250301-090000-start", "starting_commit": "0123456789abcdef0123456789abcdef01234567",
            "goals": ["parse sessions", "write fixtures"], "classification": "pattern-work", "files_changed": 7,
            "commits_made": 3, "offset": "-05:00", "time_basis": "started"}),
        ("session.goal", "2025-03-01T14:00:00Z", sid, path,
         {"session_id": sid, "content": "parse sessions", "completed": False}),
        ("session.goal", "2025-03-01T14:00:00Z", sid, path,
         {"session_id": sid, "content": "write fixtures", "completed": True}),
        ("session.context", "2025-03-01T14:00:00Z", sid, path,
         {**base, "type": "context", "content": "Last time we sketched the format.",
          "section": "Previous Session Context", "activity": None}),
        ("session.decision", "2025-03-01T15:15:00Z", sid, path,
         {**base, "type": "decision", "content": "Use the AST", "detail": "not regexes\n  never",
          "section": "Key Decisions", "activity": "Parser work", "commit": "abc1234"}),
        ("session.pattern", "2025-03-01T15:15:00Z", sid, path,
         {**base, "type": "pattern", "content": "Rules as data", "section": "Patterns Observed",
          "activity": "Parser work", "commit": "abc1234"}),
        ("session.observation", "2025-03-02T04:50:00Z", sid, path,
         {**base, "type": "observation", "content": "café note", "section": None, "activity": "Late",
          "commit": "def5678"}),
        ("session.observation", "2025-03-02T05:10:00Z", sid, path,
         {**base, "type": "observation", "content": "still going", "section": "Status",
          "activity": "After midnight"}),
    ]


# --- bad input: never a traceback, never a lost session --------------------------------------


def started_of(events, sid=None):
    return [e for e in events if e[0] == "session.started" and (sid is None or e[2] == sid)]


def test_invalid_utf8_is_replaced_and_warned(repo, scrape):
    raw = CRAFTED.encode().replace("café".encode(), b"caf\xe9")
    result, events = crafted_events(repo, scrape, {f"{DIR}/bad.md": raw})
    assert any("invalid UTF-8" in w and f"{DIR}/bad.md" in w for w in result.warnings)
    assert [d["content"] for t, *_, d in events if d.get("activity") == "Late"] == ["caf\ufffd note"]
    assert len(events) == 8


def test_empty_file_keeps_a_session(repo, scrape):
    result, events = crafted_events(repo, scrape, {f"{DIR}/20250301-090000.md": ""}, tz="-0500")
    assert any("empty session file" in w for w in result.warnings)
    assert len(events) == 1
    t, ts, sid, path, data = events[0]
    # No Started: the ID (from the file name) read in the committer's zone (-05:00).
    assert (t, ts, sid, data["time_basis"], data["offset"], data["title"]) == (
        "session.started", "2025-03-01T14:00:00Z", "20250301-090000", "id", "-05:00", None)


def test_binary_content_keeps_a_session(repo, scrape):
    result, events = crafted_events(repo, scrape, {f"{DIR}/image.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"})
    assert any("binary content" in w for w in result.warnings)
    assert [(e[0], e[2], e[4]["time_basis"]) for e in events] == [("session.started", "image", "commit")]
    assert events[0][1] == "2023-11-14T22:14:20Z"  # the commit time


def test_yaml_front_matter(repo, scrape):
    text = ("---\nid: 20250301-090000\ntitle: 'from front matter'\ncreated: 2025-03-01T14:00:00Z\n"
            "git:\n  branch: topic\n  starting_commit: abc\n  start_tag: t-start\ntags: [a, b]\n---\n\n"
            "## Goals\n- [x] done\n\n## Key Decisions\n- Front matter is metadata\n")
    result, events = crafted_events(repo, scrape, {f"{DIR}/fm.md": text})
    assert result.warnings == []
    started = events[0][4]
    assert (events[0][1], events[0][2]) == ("2025-03-01T14:00:00Z", "20250301-090000")
    assert (started["title"], started["branch"], started["starting_commit"], started["tag"]) == (
        "from front matter", "topic", "abc", "t-start")
    assert [(t, d["content"]) for t, *_, d in events[1:]] == [
        ("session.goal", "done"), ("session.decision", "Front matter is metadata")]


def test_unclosed_front_matter_is_read_as_markdown(repo, scrape):
    text = "---\nid: x\n\n# Session: still here\n\n## Goals\n- [ ] a goal\n"
    result, events = crafted_events(repo, scrape, {f"{DIR}/open.md": text})
    assert any("front matter without a closing" in w for w in result.warnings)
    assert events[0][4]["title"] == "still here"
    assert [d["content"] for t, *_, d in events if t == "session.goal"] == ["a goal"]


def test_huge_file_is_capped(repo, scrape):
    filler = "".join(f"- observation number {i}\n" for i in range(200))
    text = CRAFTED.replace("### 23:50 - Late", "### 11:00 - Many\n" + filler + "\n### 23:50 - Late")
    cap = len(CRAFTED.split("### 23:50")[0].encode()) + 1500
    repo.commit("config", {".patina/config.toml": f"[sessions]\nmax_bytes = {cap}\n"})
    result, events = crafted_events(repo, scrape, {f"{DIR}/huge.md": text})
    assert any(f"larger than sessions.max_bytes ({cap} bytes)" in w for w in result.warnings)
    many = [d["content"] for *_, d in events if d.get("activity") == "Many"]
    assert 10 < len(many) < 200 and many[0] == "observation number 0"
    assert not [e for e in events if e[4].get("activity") == "Late"]
    assert len(started_of(events)) == 1


def test_duplicate_session_ids_keep_both(repo, scrape):
    result, events = crafted_events(repo, scrape, {f"{DIR}/a.md": CRAFTED, f"{DIR}/b.md": CRAFTED})
    assert any("used by more than one file" in w and f"{DIR}/a.md" in w and f"{DIR}/b.md" in w
               for w in result.warnings)
    assert sorted(e[3] for e in started_of(events)) == [f"{DIR}/a.md", f"{DIR}/b.md"]
    assert query(repo, "SELECT session_id, source_file FROM sessions ORDER BY source_file") == [
        ("20250301-090000", f"{DIR}/a.md"), ("20250301-090000", f"{DIR}/b.md")]
    assert query(repo, "SELECT count(*) FROM observations")[0][0] == 10


def test_missing_started_falls_back_to_id_in_the_committers_zone(repo, scrape):
    text = CRAFTED.replace("**Started**: 2025-03-01T14:00:00Z\n", "")
    result, events = crafted_events(repo, scrape, {f"{DIR}/s.md": text}, tz="-0500")
    assert result.warnings == []
    assert (events[0][1], events[0][4]["time_basis"], events[0][4]["offset"]) == (
        "2025-03-01T14:00:00Z", "id", "-05:00")
    assert [e[1] for e in events if e[4].get("activity") == "Parser work"] == ["2025-03-01T15:15:00Z"] * 2


def test_malformed_started_warns_and_falls_back(repo, scrape):
    text = CRAFTED.replace("2025-03-01T14:00:00Z", "yesterday afternoon")
    result, events = crafted_events(repo, scrape, {f"{DIR}/s.md": text}, tz="+0100")
    assert any("Started 'yesterday afternoon' is not an ISO time: start taken from the ID" in w
               for w in result.warnings)
    assert (events[0][1], events[0][4]["offset"]) == ("2025-03-01T08:00:00Z", "+01:00")


def test_no_id_and_no_started_use_the_commit_time(repo, scrape):
    text = CRAFTED.replace("**Started**: 2025-03-01T14:00:00Z\n", "").replace("**ID**: 20250301-090000\n", "")
    result, events = crafted_events(repo, scrape, {f"{DIR}/notes.md": text})
    assert result.warnings == []
    assert {e[2] for e in events} == {"notes"}
    assert {e[1] for e in events} == {"2023-11-14T22:14:20Z"}  # every item at the session start
    assert events[0][4]["time_basis"] == "commit" and events[0][4]["offset"] is None


def test_pathological_markdown_never_raises(repo, scrape):
    deep = "## Activity Log\n### 10:00 - deep\n" + "".join("  " * i + f"- level {i}\n" for i in range(120))
    files = {f"{DIR}/deep.md": deep, f"{DIR}/quotes.md": "> " * 3000 + "x\n",
             f"{DIR}/brackets.md": "[" * 20000, f"{DIR}/sub/dir/nested.md": "# Session: nested dir\n"}
    result, events = crafted_events(repo, scrape, files)
    assert sorted(e[2] for e in started_of(events)) == ["brackets", "deep", "nested", "quotes"]
    deep_items = [d for t, *_, d in events if t == "session.observation"]
    assert [d["content"] for d in deep_items] == ["level 0"]
    assert deep_items[0]["detail"].split("\n")[:2] == ["level 1", "  level 2"]


# --- routing: globs and the light module ------------------------------------------------------


@pytest.mark.parametrize("pattern,path,expected", [
    ("layer/sessions/**/*.md", "layer/sessions/a.md", True),
    ("layer/sessions/**/*.md", "layer/sessions/2025/11/a.md", True),
    ("layer/sessions/**/*.md", "layer/sessions/a.txt", False),
    ("layer/sessions/**/*.md", "layer/sessionsX/a.md", False),
    ("layer/sessions/**/*.md", "other/layer/sessions/a.md", False),
    ("layer/sessions/*.md", "layer/sessions/sub/a.md", False),
    ("**/sessions/*.md", "sessions/a.md", True),
    ("**/sessions/*.md", "x/y/sessions/a.md", True),
    ("notes/**", "notes/a/b/c", True),
    ("notes/**", "notesx/a", False),
    ("s/202?-*.md", "s/2025-x.md", True),
    ("s/[!x]*.md", "s/x.md", False),
    ("s/[!x]*.md", "s/y.md", True),
    ("s/a[.md", "s/a[.md", True),
])
def test_glob_matching(pattern, path, expected):
    from patina.globs import Matcher

    assert Matcher([pattern])(path) is expected


def test_wants_uses_config_globs_and_renames():
    from patina.sources.base import FileChange
    from patina.sources.sessions import SessionSource

    def change(path, old_path=None):
        return FileChange(path, "R" if old_path else "M", old_path, "1" * 40, "2" * 40, "100644", "100644", 1, 1,
                          False)

    from patina.config import Config, validate

    default = SessionSource(Config())
    assert default.wants(change("layer/sessions/x.md"))
    assert not default.wants(change("docs/x.md"))
    assert default.wants(change("docs/x.md", old_path="layer/sessions/x.md"))  # moved out: a removal
    custom = SessionSource(validate({"sessions": {"globs": ["notes/*.md"]}}))
    assert custom.wants(change("notes/a.md")) and not custom.wants(change("layer/sessions/x.md"))
    assert not SessionSource(validate({"sessions": {"globs": []}})).wants(change("layer/sessions/x.md"))


def test_package_import_is_light():
    code = ("import sys, patina.config as c, patina.sources.sessions as s; s.SessionSource(c.Config()); "
            "assert 'mistune' not in sys.modules, 'mistune imported on the routing path'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
