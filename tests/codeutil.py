"""Helpers for the code source's per-language tests (see patina/sources/code/CONTRACT.md section 4).

- :func:`facts_of` -- the events the code source emits when a file is added, as plain dicts.
- :func:`lines_of` -- where those facts are (``FileFacts["positions"]``), by the same keys.
- :func:`check_fixture` -- compare a fixture file's facts with its ``.expected.json``
  (``PATINA_REGEN=1`` writes the expected file instead: review it before committing).
- :func:`current_state` / :func:`head_state` -- the current-state views of a built database,
  and the same facts extracted directly from a commit's tree, in one comparable shape.
- :func:`file_histories` -- each file's versions along a repository's first-parent history
  (also used by bench/bench_parse.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any, Callable

from patina.config import Config, validate
from patina.events import canonical_json
from patina.sources.code.facts import diff_events

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "code"


class _Ctx:
    """A minimal SourceContext (and Reader) for extracting files without a log: blobs from a
    dict or a repository, an empty prior state."""

    def __init__(self, blobs: dict[str, bytes], git_dir: str | None = None) -> None:
        self.blobs = blobs
        self.git_dir = git_dir
        self.config = Config()
        self.cache_dir = None
        self.warnings: list[str] = []
        self.read = self

    def blob(self, oid: str) -> bytes | None:
        return self.blobs.get(oid)

    def tree(self, commit: str) -> list:
        from patina import gitcmd
        from patina.sources.base import TreeEntry

        return [TreeEntry(*entry) for entry in gitcmd.ls_tree(self.git_dir, commit)]

    def prior_facts(self, path: str, source: str) -> dict:
        return {}

    def has_events(self, event_type: str) -> bool:
        return False

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)


def _history(config: dict | None = None):
    from patina.sources.code import CodeSource
    from patina.sources.code.history import CodeHistory

    return CodeHistory(CodeSource(validate(config or {})))


def facts_of(path: str, source: bytes | str, config: dict | None = None) -> list[dict[str, Any]]:
    """Events (as {"event_type", "source_id", "data"}) for adding ``path`` with ``source``,
    sorted by (event_type, source_id)."""
    data = source.encode() if isinstance(source, str) else source
    hist = _history(config)
    lang = hist.source.language_of(path)
    if lang is None:
        return []
    from patina.sources.code.history import Engine

    engine = Engine({"blob": data}.get, hist.source.max_bytes)
    facts = engine.facts(path, lang, "blob")
    if facts is None or not isinstance(facts, dict):
        raise AssertionError(f"no facts for {path}: {engine.warnings}")
    events = diff_events(path, {}, facts, "1970-01-01T00:00:00Z")
    out = [{"event_type": e.event_type, "source_id": e.source_id, "data": json.loads(canonical_json(e.data))} for e in events]
    return sorted(out, key=lambda r: (r["event_type"], r["source_id"]))


def lines_of(path: str, source: bytes | str) -> dict[tuple[str, str], list[int]]:
    """{(event_type, source_id): [line, end_line]} of the facts of ``path`` with ``source`` (the
    positions map of its FileFacts: no payload holds a line)."""
    from patina.sources.code.extract import extract
    from patina.sources.code.facts import source_id
    from patina.sources.code.languages import language_for_path

    data = source.encode() if isinstance(source, str) else source
    ff = extract(language_for_path(path), data)  # type: ignore[arg-type]
    out = {}
    for pkey, lines in ff["positions"].items():
        event, key = pkey.split("\t", 1)
        out[(event, source_id(path, event, key))] = lines
    return out


def check_fixture(lang_dir: str, filename: str) -> None:
    """Assert the facts of ``tests/fixtures/code/<lang_dir>/<filename>`` equal its expected JSON."""
    src = FIXTURES / lang_dir / filename
    expected_path = src.with_name(filename + ".expected.json")
    got = facts_of(filename, src.read_bytes())
    if os.environ.get("PATINA_REGEN"):
        expected_path.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        return
    expected = json.loads(expected_path.read_text())
    if got != expected:
        want = {(r["event_type"], r["source_id"]): r["data"] for r in expected}
        have = {(r["event_type"], r["source_id"]): r["data"] for r in got}
        lines = []
        for key in sorted(set(want) | set(have)):
            if want.get(key) != have.get(key):
                lines.append(f"{key}:\n  expected {canonical_json(want.get(key))}\n  got      {canonical_json(have.get(key))}")
        raise AssertionError(f"{filename}: facts differ from {expected_path.name}:\n" + "\n".join(lines))


STATE_VIEWS = ("code_functions", "code_types", "code_members", "code_constants", "code_imports",
               "code_calls", "code_files")


def current_state(db_path: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(event_type, source_id): data} of the current-state views (the last event per key)."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT e.event_type, e.source_id, e.data FROM eventlog e WHERE e.seq IN ("
            + " UNION ALL ".join(f"SELECT seq FROM {v}" for v in STATE_VIEWS) + ")"
        ).fetchall()
    finally:
        conn.close()
    out = {}
    for t, s, d in rows:
        data = json.loads(d)
        data.pop("previous", None)  # what a change replaced: not part of the fact
        out[(t, s)] = data
    return out


def head_state(git_dir: str, commit: str, config: dict | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """The same shape as :func:`current_state`, extracted directly from ``commit``'s tree."""
    from patina import gitcmd

    hist = _history(config)
    reader = gitcmd.BlobReader(git_dir)
    try:
        ctx = _Ctx({}, git_dir)
        ctx.blob = reader  # type: ignore[method-assign]
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for path, facts in hist.tree_facts(ctx, commit).items():  # type: ignore[arg-type]
            for ev in diff_events(path, {}, facts, ""):
                out[(ev.event_type, ev.source_id)] = json.loads(canonical_json(ev.data))
        return out
    finally:
        reader.close()


def step(repo: Any, scrape: Any, message: str, files: dict[str, str | bytes | None] | None = None,
         rename: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """Commit (writing ``files``, None deletes; ``rename`` = (old, new) via ``git mv``), update
    the log, check that the current-state views equal the facts extracted from HEAD's tree,
    and return the (event_type, source_id) of the code events this commit appended, in order.

    ``repo`` and ``scrape`` are the tests' fixtures (tests/gitutil.Repo, conftest.build)."""
    from patina import repo as patina_repo

    r = patina_repo.discover(str(repo.path))
    before = 0
    if os.path.exists(r.db_path):
        conn = sqlite3.connect(r.db_path)
        before = conn.execute("SELECT coalesce(max(seq), 0) FROM eventlog").fetchone()[0]
        conn.close()
    if rename:
        repo.git("mv", rename[0], rename[1])
    repo.commit(message, files or {})
    _, rows = scrape(repo.path)
    head = repo.head()
    assert current_state(r.db_path) == head_state(r.git_dir, head), "views differ from HEAD's facts"
    return [(row[1], row[3]) for row in rows if row[0] > before and row[1].startswith("code.")]


def file_histories(repo: str, wanted: Callable[[str], bool], limit_commits: int | None = None,
                   timeout: float | None = None) -> dict[str, list[str]]:
    """path -> blob ids of its versions along the first-parent history, oldest first (renames
    followed, a deleted path forgotten). ``repo``: a work tree or a bare repository. Raises
    OSError / SubprocessError when git fails."""
    out = subprocess.run(["git", "-C", repo, "log", "--first-parent", "--reverse", "--raw",
                          "--no-abbrev", "-M", "--format=C %H", *([f"-{limit_commits}"] if limit_commits else [])],
                         capture_output=True, text=True, check=True, timeout=timeout).stdout
    seqs: dict[str, list[str]] = {}
    for line in out.splitlines():
        if not line.startswith(":"):
            continue
        meta, *paths = line.split("\t")
        fields = meta.split()
        status, new_oid, path = fields[4], fields[3], paths[-1]
        if status.startswith("R") and paths[0] in seqs:
            seqs[path] = seqs.pop(paths[0])
        if not wanted(path):
            continue
        if status == "D":
            seqs.pop(path, None)
            continue
        if fields[1] in ("100644", "100755"):
            seqs.setdefault(path, []).append(new_oid)
    return seqs
