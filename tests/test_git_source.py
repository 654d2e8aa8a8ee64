"""The git source: exact git.commit events, history order, and equality with git itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import BASE_TIME, Repo, git

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))


def commits(rows):
    return [(r[0], r[3], json.loads(r[5])) for r in rows if r[1] == "git.commit"]


def test_exact_events_for_a_crafted_history(repo, scrape):
    root = repo.commit("Root\n\nBody line.", {"a.txt": "one\ntwo\n", "logo.png": b"\x89PNG\0\0\x01"},
                       tz="+0200", author=("Ann Author", "ann@old.example"))
    repo.git("checkout", "-q", "-b", "feature")
    f1 = repo.commit("Feature: add b", {"b.txt": "".join(f"{i}\n" for i in range(10))})
    (repo.path / "docs").mkdir()
    repo.git("mv", "a.txt", "docs/a.txt")
    f2 = repo.commit("Feature: move a", {})
    repo.git("checkout", "-q", "main")
    m1 = repo.commit("Main: edit logo", {"logo.png": b"\x89PNG\0\0\x02"})
    merge = repo.merge("feature", "Merge feature")
    mailmap = repo.commit("Add mailmap", {".mailmap": "Ann Author <ann@example.com> <ann@old.example>\n"})

    result, rows = scrape(repo.path)
    assert result.action == "rebuild"
    got = commits(rows)
    # History order: root, m1 (first parent of the merge), then what the merge brings in
    # (f1 before f2: parents before children), the merge itself, then the last commit.
    assert [sha for _, sha, _ in got] == [root, m1, f1, f2, merge, mailmap]
    assert [seq for seq, _, _ in got] == [1, 2, 3, 4, 5, 6]

    root_data = got[0][2]
    assert root_data == {
        "sha": root, "message": "Root\n\nBody line.\n",
        # .mailmap at HEAD applies to every commit, including ones older than it.
        "author": "Ann Author", "email": "ann@example.com", "author_offset": "+02:00",
        "committer": "Ann Author", "committer_email": "ann@example.com",
        "committer_time": "2023-11-14T22:14:20Z", "committer_offset": "+02:00",
        "parents": [], "is_merge": False, "first_parent": True,
        "files": [
            {"path": "a.txt", "status": "A", "lines_added": 2, "lines_removed": 0, "binary": False},
            {"path": "logo.png", "status": "A", "lines_added": None, "lines_removed": None, "binary": True},
        ],
    }
    assert rows[0][2] == "2023-11-14T22:14:20Z"  # author time in UTC, whatever the offset
    assert got[3][2]["files"] == [{"path": "docs/a.txt", "old_path": "a.txt", "status": "R",
                                   "lines_added": 0, "lines_removed": 0, "binary": False}]
    assert got[2][2]["first_parent"] is False and got[3][2]["first_parent"] is False
    merge_data = got[4][2]
    assert merge_data["is_merge"] is True and merge_data["parents"] == [m1, f2]
    # A merge's files are its diff against the first parent.
    assert [(f["path"], f["status"]) for f in merge_data["files"]] == [("b.txt", "A"), ("docs/a.txt", "R")]


def test_merge_brings_in_parents_before_children_ties_by_sha(repo, scrape):
    repo.commit("root", {"r": "r\n"})
    base = repo.head()
    side = []
    for name in ("x", "y"):
        repo.git("checkout", "-q", "-b", name, base)
        side.append(repo.commit(f"{name} commit", {f"{name}.txt": name}))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "x", "-m", "merge x")
    repo.git("merge", "-q", "--no-ff", "y", "-m", "merge y")
    _, rows = scrape(repo.path)
    order = [sha for _, sha, _ in commits(rows)]
    assert order[1] == side[0] and order[3] == side[1]

    # An octopus merge brings in two independent commits: smallest sha first.
    repo2 = Repo(repo.path.parent / "octo")
    repo2.commit("root", {"r": "r\n"})
    base = repo2.head()
    tips = []
    for name in ("p", "q", "s"):
        repo2.git("checkout", "-q", "-b", name, base)
        tips.append(repo2.commit(f"{name}", {f"{name}.txt": name}))
    repo2.git("checkout", "-q", "main")
    repo2.git("merge", "-q", "--no-ff", "p", "q", "s", "-m", "octopus")
    _, rows = scrape(repo2.path)
    order = [sha for _, sha, _ in commits(rows)]
    assert order[1:4] == sorted(tips)


def test_non_utf8_message_and_path(repo, scrape):
    name = b"caf\xe9.txt"
    (repo.path / os.fsdecode(name)).write_bytes(b"x\n")
    git(repo.path, "add", "-A")
    tree = git(repo.path, "write-tree")
    # `git commit` would convert Latin-1 to UTF-8: write the raw commit object instead.
    raw = (f"tree {tree}\nauthor A <a@x> {BASE_TIME} +0000\ncommitter A <a@x> {BASE_TIME} +0000\n\n").encode()
    obj = repo.path / "obj"
    obj.write_bytes(raw + b"Latin-1 caf\xe9 message\n")
    sha = git(repo.path, "hash-object", "-t", "commit", "-w", str(obj))
    git(repo.path, "update-ref", "refs/heads/main", sha)
    _, rows = scrape(repo.path)
    data = commits(rows)[0][2]
    assert data["message"] == "Latin-1 caf\ufffd message\n"
    assert data["files"][0]["path"] == "caf\\xe9.txt"


def test_huge_commit_and_empty_commit(repo, scrape):
    repo.commit("many", {f"d/f{i:05d}.txt": f"{i}\n" for i in range(2500)})
    repo.commit("empty", {})
    _, rows = scrape(repo.path)
    data = commits(rows)
    assert len(data[0][2]["files"]) == 2500
    assert data[1][2]["files"] == []


def test_empty_repository_gives_empty_log(repo, scrape):
    result, rows = scrape(repo.path)
    assert result.head is None and rows == []


def test_detached_head_and_until(repo, scrape):
    first = repo.commit("one", {"a": "1\n"}, when=BASE_TIME)
    second = repo.commit("two", {"a": "2\n"}, when=BASE_TIME + 86400)
    repo.commit("three", {"a": "3\n"}, when=BASE_TIME + 2 * 86400)
    result, rows = scrape(repo.path, until="2023-11-15")  # BASE_TIME is 2023-11-14T22:13:20Z
    assert result.head == second and [sha for _, sha, _ in commits(rows)] == [first, second]
    repo.git("checkout", "-q", "--detach", first)
    result, rows = scrape(repo.path)
    assert result.head == first and result.action == "replay" and len(commits(rows)) == 1


@pytest.mark.parametrize("parallel_min", [10**9, 2], ids=["one-git", "two-gits"])
def test_missing_blob_builds_the_rest_and_records_it(repo, scrape, monkeypatch, parallel_min):
    from patina.sources import git as gitsrc

    monkeypatch.setattr(gitsrc, "PARALLEL_MIN", parallel_min)
    repo.commit("one", {"a.txt": "hello\n"})
    gone = git(repo.path, "rev-parse", "HEAD:a.txt")
    bad = repo.commit("two", {"a.txt": "hello\nworld\n"})
    repo.commit("three", {"b.txt": "b\n"})
    git(repo.path, "gc", "-q")
    # Damage the store: unpack everything, then delete one blob.
    packs = list((repo.path / ".git/objects/pack").glob("*.pack"))
    for pack in packs:
        data = pack.read_bytes()
        for f in pack.parent.glob(pack.stem + ".*"):
            f.unlink()
        subprocess.run(["git", "unpack-objects", "-q"], input=data, cwd=repo.path, check=True)
    (repo.path / ".git/objects" / gone[:2] / gone[2:]).unlink()
    warnings = []
    result, rows = scrape(repo.path, warn=warnings.append)
    assert len(commits(rows)) == 3
    from patina import repo as prepo, store

    conn = store.connect(prepo.discover(str(repo.path)).db_path)
    incomplete = [r[0] for r in conn.execute("SELECT sha FROM incomplete_commits")]
    assert set(incomplete) >= {bad}
    assert any("missing" in w for w in warnings)
    data = {sha: d for _, sha, d in commits(rows)}
    assert data[bad]["incomplete"] is True
    assert [f["path"] for f in data[bad]["files"]] == ["a.txt"]  # the file list survives


def test_shallow_clone_builds_what_is_there(repo, scrape, tmp_path):
    for i in range(5):
        repo.commit(f"c{i}", {"a": f"{i}\n"})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True)
    result, rows = scrape(clone)
    assert len(commits(rows)) == 2
    from patina import repo as prepo
    from patina.status import collect

    assert collect(prepo.discover(str(clone)))["shallow"] is True


def _git_numstat(path: Path) -> dict[str, list[tuple]]:
    """What `git log --numstat` says, per commit: [(path, added, removed)] with renames as new path."""
    out = subprocess.run(["git", "log", "-z", "--numstat", "--format=%x01%H", "--diff-merges=first-parent"],
                         cwd=path, capture_output=True, check=True).stdout.decode()
    result: dict[str, list[tuple]] = {}
    for chunk in out.split("\x01")[1:]:
        sha, _, rest = chunk.partition("\n")
        sha = sha.strip("\0")
        toks = rest.strip("\0\n").split("\0") if rest.strip("\0\n") else []
        files = []
        i = 0
        while i < len(toks):
            added, removed, p = toks[i].lstrip("\n").split("\t", 2)
            if p == "":
                p = toks[i + 2]
                i += 3
            else:
                i += 1
            files.append((p, None if added == "-" else int(added), None if removed == "-" else int(removed)))
        result[sha] = files
    return result


@pytest.mark.parametrize("parallel_min", [10**9, 50], ids=["one-git", "two-gits"])
def test_every_commit_equals_git_log_numstat_on_a_generated_repo(tmp_path, scrape, monkeypatch, parallel_min):
    from gen_repo import GIT_ONLY, generate
    from patina.sources import git as gitsrc

    monkeypatch.setattr(gitsrc, "PARALLEL_MIN", parallel_min)
    path = generate(tmp_path / "synth", commits=300, files=120, seed=7, patina_config=GIT_ONLY)
    _, rows = scrape(path)
    expected = _git_numstat(path)
    got = {sha: [(f["path"], f["lines_added"], f["lines_removed"]) for f in data["files"]]
           for _, sha, data in commits(rows)}
    assert len(got) == 300 and got.keys() == expected.keys()
    for sha in expected:
        assert got[sha] == expected[sha], sha
    renames = sum(1 for _, _, d in commits(rows) for f in d["files"] if f["status"] == "R")
    merges = sum(1 for _, _, d in commits(rows) if d["is_merge"])
    assert renames > 0 and merges > 0


def _dump_sha(db_path: str) -> str:
    from patina import store

    conn = store.connect(db_path, readonly=True)
    try:
        return store.dump_digest(conn)[1]
    finally:
        conn.close()


def test_two_clones_at_different_paths_give_identical_rows(tmp_path, scrape):
    from gen_repo import generate
    from patina import repo as prepo

    origin = generate(tmp_path / "origin", commits=120, files=40, seed=3)
    a, b = tmp_path / "one" / "clone", tmp_path / "two" / "deeper" / "clone"
    for target in (a, b):
        subprocess.run(["git", "clone", "-q", str(origin), str(target)], check=True)
    scrape(a)
    scrape(b)
    da, db = (prepo.discover(str(p)).db_path for p in (a, b))
    assert _dump_sha(da) == _dump_sha(db)
    first = _dump_sha(da)
    scrape(a, full=True)
    assert _dump_sha(da) == first
    raw = Path(da).read_bytes()
    assert str(tmp_path).encode() not in raw  # no absolute path anywhere in the file


def test_schema(repo, scrape):
    repo.commit("one", {"a": "1\n"})
    scrape(repo.path)
    from patina import repo as prepo, store

    conn = store.connect(prepo.discover(str(repo.path)).db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"eventlog", "scrape_meta", "co_changes", "author_expertise", "oxidize_meta", "commits",
            "idx_eventlog_type", "idx_eventlog_timestamp", "idx_eventlog_type_timestamp",
            "idx_eventlog_source"} <= names
    with pytest.raises(Exception):
        conn.execute("INSERT INTO eventlog(event_type, timestamp, source_id, data) VALUES ('x', 't', 's', '{bad')")
    # Canonical JSON: sorted keys, compact, UTF-8 unescaped.
    data = conn.execute("SELECT data FROM eventlog").fetchone()[0]
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_head_and_the_settings_blobs_come_from_one_lookup(repo):
    from patina import gitcmd

    git_dir = str(repo.path / ".git")
    assert gitcmd.head_and_blob_ids(git_dir, [".patina/config.toml", ".mailmap"]) == (None, [None, None])  # unborn
    repo.commit("root", {".mailmap": "A <a@x>\n", "a b.txt": "x\n"})
    head, ids = gitcmd.head_and_blob_ids(git_dir, [".patina/config.toml", ".mailmap", "a b.txt"])
    assert head == repo.head()
    assert ids == [None, git(repo.path, "rev-parse", "HEAD:.mailmap"), git(repo.path, "rev-parse", "HEAD:a b.txt")]


def test_a_linear_update_plans_from_the_chain_listing_and_a_merge_from_the_graph(repo, scrape):
    """The shared-base lookup hands over the new commits when none is a merge (exactly what
    read_graph would list); with a merge among them the graph is read as before."""
    from patina import repo as prepo, store
    from patina.sources.git import read_graph
    from patina.update import _shared_base

    repo.commit("root", {"a.txt": "a\n"})
    scrape(repo.path)
    base_sha = repo.head()
    repo.commit("two", {"a.txt": "b\n"})
    repo.commit("three", {"a.txt": "c\n"})
    r = prepo.discover(str(repo.path))
    conn = store.connect(r.db_path, readonly=True)
    try:
        base = _shared_base(conn, r, repo.head())
        assert base.sha == base_sha and base.graph == read_graph(r.git_dir, repo.head(), base_sha)
        assert len(base.graph) == 2
        git(repo.path, "checkout", "-q", "-b", "side", base_sha)
        repo.commit("side", {"s.txt": "s\n"})
        git(repo.path, "checkout", "-q", "main")
        git(repo.path, "merge", "-q", "--no-ff", "-m", "merge side", "side")
        base = _shared_base(conn, r, repo.head())
        assert base.sha == base_sha and base.graph is None
    finally:
        conn.close()
    _, rows = scrape(repo.path)  # the merge's update: planned from the graph
    from patina.verify import run as run_verify

    assert [r[3] for r in rows if r[1] == "git.commit"][-2:] == [git(repo.path, "rev-parse", "side"), repo.head()]
    assert run_verify(prepo.discover(str(repo.path))).identical


def test_utc_timestamps_keep_datetimes_range_and_spelling():
    import datetime as dt

    from patina.events import utc_timestamp

    for t in (0, 1, -1, 1_700_000_000, 253402300799, -62135596800, 2**31, -2**31):
        assert utc_timestamp(t) == dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for t in (253402300800, -62135596801, 2**40):
        with pytest.raises(ValueError):
            utc_timestamp(t)
