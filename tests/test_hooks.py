"""Hooks keep the log current; every update equals a full rebuild; git always wins."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from pathlib import Path

from gitutil import Repo, db_path, env_without_git, git
from hookutil import assert_equals_fresh_build, built_head, install_hooks, patina, settle


@pytest.fixture
def hooked(repo: Repo) -> Repo:
    repo.commit("root", {"a.txt": "a\n"})
    install_hooks(repo.path)
    assert patina("scrape", "--quiet", cwd=repo.path).returncode == 0
    return repo


def head(repo: Repo) -> str:
    return repo.head()


def test_post_commit_appends(hooked):
    hooked.commit("second", {"b.txt": "b\n"})
    assert built_head(hooked.path) == head(hooked)
    settle(hooked.path)
    hooked.commit("third", {"c.txt": "c\n"})
    assert built_head(hooked.path) == head(hooked)
    assert_equals_fresh_build(hooked.path)
    log = (hooked.path / ".patina/data/hook.log").read_text()
    assert "post-commit: append +1 events" in log


def test_amend_reset_rebase_switch_truncate_and_replay(hooked):
    from patina import repo as prepo, store, update

    hooked.commit("two", {"b.txt": "b\n"})
    hooked.git("commit", "--amend", "-q", "-m", "two amended")  # post-rewrite (and post-commit)
    settle(hooked.path)  # hooks may hand the last steps to the background job
    assert built_head(hooked.path) == head(hooked)
    assert_equals_fresh_build(hooked.path)

    hooked.git("checkout", "-q", "-b", "topic")
    hooked.commit("topic work", {"t.txt": "t\n"})
    hooked.git("checkout", "-q", "main")  # post-checkout: branch switch -> truncate
    settle(hooked.path)
    assert built_head(hooked.path) == head(hooked)
    hooked.commit("main work", {"m.txt": "m\n"})
    hooked.git("checkout", "-q", "topic")
    hooked.git("rebase", "-q", "main")
    settle(hooked.path)
    assert built_head(hooked.path) == head(hooked)
    assert_equals_fresh_build(hooked.path)

    hooked.git("reset", "-q", "--hard", "HEAD~2")  # no hook fires for reset ...
    r = prepo.discover(str(hooked.path))
    res = update.update(r)  # ... the next update notices the chain moved back
    assert res.action == "replay" and res.events_added == 0
    conn = store.connect(r.db_path)
    assert store.last_seq(conn) == 2
    conn.close()
    assert_equals_fresh_build(hooked.path)


def _log_lines(repo) -> list[str]:
    path = repo.path / ".patina/data/hook.log"
    return path.read_text().splitlines() if path.exists() else []


def test_a_rebase_updates_once_at_its_end_and_an_amend_once(hooked):
    """The steps of a rebase (post-checkout, post-commit) leave the log alone; post-rewrite brings
    it to the result. A rebase stopped on a conflict leaves the log at the branch as it was; an
    abort returns there; --continue ends with the update. An amend: post-commit only."""
    hooked.git("checkout", "-q", "-b", "topic")
    hooked.commit("topic one", {"t.txt": "1\n"})
    hooked.commit("topic two", {"t.txt": "2\n", "u.txt": "u\n"})
    hooked.git("checkout", "-q", "main")
    hooked.commit("main work", {"m.txt": "m\n"})
    hooked.git("checkout", "-q", "topic")
    settle(hooked.path)
    before = len(_log_lines(hooked))
    hooked.git("rebase", "-q", "main")
    settle(hooked.path)
    steps = [line for line in _log_lines(hooked)[before:] if "events" in line or "error" in line]
    assert len(steps) == 1 and "post-rewrite:" in steps[0], steps
    assert built_head(hooked.path) == head(hooked)
    assert_equals_fresh_build(hooked.path)

    before = len(_log_lines(hooked))
    hooked.git("commit", "-q", "--amend", "-m", "topic two, amended")
    settle(hooked.path)
    steps = [line for line in _log_lines(hooked)[before:] if "events" in line]
    assert len(steps) == 1 and "post-commit:" in steps[0], steps
    assert built_head(hooked.path) == head(hooked)

    hooked.git("checkout", "-q", "main")
    hooked.commit("main conflicting", {"t.txt": "main\n"})
    hooked.git("checkout", "-q", "topic")
    settle(hooked.path)
    topic = head(hooked)
    assert hooked.git("rebase", "-q", "main", check=False) is not None
    assert (Path(hooked.path) / ".git/rebase-merge").is_dir()  # stopped on the conflict
    settle(hooked.path)
    assert built_head(hooked.path) == topic  # mid-rebase: the log stays where the branch was
    hooked.git("rebase", "--abort")
    settle(hooked.path)
    assert head(hooked) == topic and built_head(hooked.path) == topic
    hooked.git("rebase", "-q", "main", check=False)
    for step in range(2):  # both topic commits touch t.txt
        assert (Path(hooked.path) / ".git/rebase-merge").is_dir()
        assert built_head(hooked.path) == topic
        (Path(hooked.path) / "t.txt").write_text(f"resolved {step}\n")
        hooked.git("add", "t.txt")
        git(hooked.path, "-c", "core.editor=true", "rebase", "--continue", check=False)
    assert not (Path(hooked.path) / ".git/rebase-merge").exists()
    settle(hooked.path)
    assert built_head(hooked.path) == head(hooked) != topic
    assert_equals_fresh_build(hooked.path)


def test_post_checkout_file_checkout_is_a_no_op(hooked):
    before = (Path(db_path(hooked))).stat().st_mtime_ns
    proc = patina("hook", "post-checkout", "x", "y", "0", cwd=hooked.path)
    assert proc.returncode == 0 and proc.stderr == ""
    assert (Path(db_path(hooked))).stat().st_mtime_ns == before


def test_hook_never_fails_git(hooked, tmp_path):
    bad = tmp_path / "a-directory"
    bad.mkdir()
    proc = patina("hook", "post-commit", cwd=hooked.path, env={"PATINA_DB": str(bad)})
    assert proc.returncode == 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("patina: post-commit hook:")
    logged = (tmp_path / "hook.log").read_text().splitlines()  # the log beside the database
    assert len(logged) == 1 and "post-commit: error:" in logged[0]
    # Outside any repository: still 0.
    assert patina("hook", "post-commit", cwd=tmp_path).returncode == 0


def test_corrupt_database_is_rebuilt(hooked):
    db = Path(db_path(hooked))
    db.write_bytes(b"this is not sqlite" * 100)
    hooked.commit("after corruption", {"z.txt": "z\n"})
    assert built_head(hooked.path) == head(hooked)
    assert_equals_fresh_build(hooked.path)


def test_team_config_change_rebuilds(hooked):
    hooked.commit("two", {"b.txt": "b\n"})
    settle(hooked.path)
    hooked.commit("config", {".patina/config.toml": "[cochange]\nmax_files = 5\n"})
    settle(hooked.path)
    log = (hooked.path / ".patina/data/hook.log").read_text().splitlines()
    assert any("rebuild" in line for line in log[-3:]), log[-3:]
    assert_equals_fresh_build(hooked.path)


def test_a_committed_config_that_changes_nothing_rebuilds_nothing(hooked):
    """The fingerprint is the effective config's: the defaults `patina init` writes are no change."""
    from patina.config import DEFAULT_TEXT

    settle(hooked.path)
    hooked.commit("use patina", {".patina/config.toml": DEFAULT_TEXT})
    settle(hooked.path)
    log = (hooked.path / ".patina/data/hook.log").read_text().splitlines()
    assert any("post-commit: append +1 events" in line for line in log[-3:]), log[-3:]
    assert not any("rebuild" in line for line in log)
    hooked.git("checkout", "-q", "HEAD~1")  # back to a commit without the file: nothing to rebuild either
    settle(hooked.path)
    assert not any("rebuild" in line for line in (hooked.path / ".patina/data/hook.log").read_text().splitlines())
    assert built_head(hooked.path) == head(hooked)


def test_an_ordinary_commit_leaves_nothing_for_later(hooked):
    """Every derived table is incremental: a hook brings them all current itself."""
    hooked.commit("two", {"b.txt": "b\n"})
    info = json.loads(patina("status", "--json", cwd=hooked.path).stdout)
    assert info["up_to_date"] and info["stale_derived"] == []
    assert "background" not in (hooked.path / ".patina/data/hook.log").read_text()


def test_install_chains_an_existing_hook_and_uninstall_restores_it(repo):
    repo.commit("root", {"a": "a\n"})
    hook = repo.path / ".git/hooks/post-commit"
    marker = repo.path / "legacy-ran"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\n")
    hook.chmod(0o755)
    install_hooks(repo.path)
    install_hooks(repo.path)  # idempotent: the legacy hook is not overwritten by ours
    assert (repo.path / ".git/hooks/post-commit.legacy").read_text().startswith("#!/bin/sh\necho ran")
    repo.commit("two", {"b": "b\n"})
    assert marker.read_text() == "ran\n"
    assert built_head(repo.path) == repo.head()
    from patina.hooks import status, uninstall

    assert dict(status(str(repo.path)))["post-commit"] == "patina + chained .legacy"
    uninstall(str(repo.path))
    assert hook.read_text().startswith("#!/bin/sh\necho ran") and not (repo.path / ".git/hooks/post-commit.legacy").exists()
    assert not (repo.path / ".git/hooks/post-merge").exists()


def test_core_hooks_path_and_worktrees(repo, tmp_path):
    repo.commit("root", {"a": "a\n"})
    git(repo.path, "config", "core.hooksPath", ".githooks")
    install_hooks(repo.path)
    assert (repo.path / ".githooks/post-commit").exists()
    git(repo.path, "config", "--unset", "core.hooksPath")
    wt = tmp_path / "wt"
    git(repo.path, "worktree", "add", "-q", "-b", "wtb", str(wt))
    from patina.hooks import hooks_dir

    assert hooks_dir(str(wt)) == str(repo.path / ".git/hooks")


def test_hooks_match_the_shipped_scripts():
    from pathlib import Path

    from patina.hooks import HOOK_NAMES, render

    shipped = Path(__file__).parents[1] / "hooks"
    for name in HOOK_NAMES:
        assert (shipped / name).read_text() == render(name)
        assert os.access(shipped / name, os.X_OK)


def test_shipped_script_without_patina_is_a_quiet_no_op(repo, tmp_path):
    from pathlib import Path

    script = Path(__file__).parents[1] / "hooks" / "post-commit"
    proc = subprocess.run(["sh", str(script)], cwd=repo.path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_long_update_goes_to_the_background(hooked):
    for i in range(6):
        hooked.git("commit", "-q", "--allow-empty", "--no-verify", "-m", f"c{i}",
                   when=1_700_100_000 + i)
    # --no-verify does not skip post-commit; the hooks above already updated. Force a big gap:
    from patina import repo as prepo

    r = prepo.discover(str(hooked.path))
    settle(hooked.path)
    os.remove(r.db_path)
    proc = patina("hook", "post-commit", cwd=hooked.path, env={"PATINA_HOOK_FOREGROUND_MAX": "3"})
    assert proc.returncode == 0 and "background" in proc.stderr
    deadline = time.monotonic() + 60
    while built_head(hooked.path) != hooked.head() and time.monotonic() < deadline:
        time.sleep(0.1)
    from patina.lock import locked

    settle(hooked.path)
    assert built_head(hooked.path) == hooked.head()
    assert_equals_fresh_build(hooked.path)
    assert "background: finished in " in (hooked.path / ".patina/data/hook.log").read_text()


def test_two_hooks_at_once_both_finish_cleanly(hooked):
    from patina import repo as prepo

    for i in range(30):
        hooked.git("commit", "-q", "--allow-empty", "-m", f"c{i}")
    r = prepo.discover(str(hooked.path))
    os.remove(r.db_path)
    env = env_without_git()
    import sys

    procs = [subprocess.Popen([sys.executable, "-P", "-m", "patina", "hook", name], cwd=hooked.path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("post-rewrite", "post-checkout")]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert all("locked" not in err for _, err in outs)
    from patina.lock import locked

    with locked(r.db_path):
        pass
    assert built_head(hooked.path) == hooked.head()
    assert_equals_fresh_build(hooked.path)


def test_verify_reports_the_first_difference(hooked):
    hooked.commit("two", {"b.txt": "b\n"})
    proc = patina("verify", "--json", cwd=hooked.path)
    assert proc.returncode == 0
    ok = json.loads(proc.stdout)
    assert ok["identical"] is True and ok["events"] >= 2 and len(ok["sha256"]) == 64
    assert patina("verify", cwd=hooked.path).stdout.startswith(f"identical: {ok['events']} events, sha256 ")
    import sqlite3

    conn = sqlite3.connect(Path(db_path(hooked)))
    conn.execute("UPDATE eventlog SET data = json_set(data, '$.message', 'tampered') WHERE seq = 2")
    conn.commit()
    conn.close()
    proc = patina("verify", cwd=hooked.path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == "different: first difference at seq 2"
    assert "differs in data" in proc.stdout


def test_verify_tells_the_truth_after_a_branch_round_trip(hooked):
    """The sequence that once made `verify` report term_stats different while `status` said
    current: a commit, materialize, a side branch of two commits, back to main."""
    hooked.write({"README.md": "hello\n"})
    hooked.commit("readme", {"README.md": "hello\n"})
    hooked.commit("m", {"README.md": "hello\nm\n"})
    assert patina("materialize", cwd=hooked.path).returncode == 0
    hooked.git("checkout", "-q", "-b", "U", "HEAD~1")
    hooked.commit("U one", {"README.md": "hello\n1\n"})
    hooked.commit("U two", {"README.md": "hello\n1\n2\n"})
    hooked.git("checkout", "-q", "main")
    settle(hooked.path)
    status = patina("status", cwd=hooked.path).stdout
    assert "derived    current" in status and "(log current)" in status
    proc = patina("verify", "--json", cwd=hooked.path)
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["identical"], result["summary"]
    assert result["tables"]["term_counts"] == result["tables"]["co_changes"] == "identical"
    assert not any(v.startswith("skipped") for v in result["tables"].values())


def test_hook_log_is_rotated(hooked):
    from patina.hooks import LOG_MAX_BYTES

    log = hooked.path / ".patina/data/hook.log"
    log.write_text("x" * (LOG_MAX_BYTES + 1))
    hooked.commit("after a big log", {"q.txt": "q\n"})
    assert (hooked.path / ".patina/data/hook.log.1").stat().st_size == LOG_MAX_BYTES + 1
    assert log.stat().st_size < 1000 and "post-commit: append" in log.read_text()


@pytest.mark.parametrize("knocks", [True, False])
def test_a_hook_that_finds_the_lock_busy_knocks_and_the_holder_catches_up(hooked, knocks):
    """A hook's update asks git for HEAD again after releasing the lock only when another hook
    knocked (it found the lock busy while HEAD moved); without a knock it does not spend a git
    call on it (a HEAD move that runs no hook is caught by the next update)."""
    from patina import repo as prepo
    from patina.runner import run_update

    hooked.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", "first")
    r = prepo.discover(str(hooked.path))
    moved = []

    def meanwhile(done: int, total: int, _bytes: int) -> None:
        if moved:
            return
        # HEAD moves while the update holds the lock; the move's own hook finds it busy.
        hooked.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", "second")
        moved.append(hooked.head())
        if knocks:
            proc = patina("hook", "post-commit", cwd=hooked.path)
            assert proc.returncode == 0 and proc.stderr == ""
            assert os.path.exists(r.db_path + ".knock")

    result = run_update(r, wait=0, recheck=False, progress=meanwhile)
    assert moved
    if knocks:
        assert built_head(hooked.path) == result.head == moved[0]
        assert not os.path.exists(r.db_path + ".knock")
        assert "it will catch up" in (hooked.path / ".patina/data/hook.log").read_text()
        assert_equals_fresh_build(hooked.path)
    else:
        assert built_head(hooked.path) == result.head != moved[0]
        run_update(r, wait=0, recheck=False)  # the next update (a hook, a scrape) catches up
        assert built_head(hooked.path) == moved[0]


def test_modules_in_the_repository_never_run_in_place_of_the_standard_library(hooked):
    """The hook runs with the repository's top level as its working directory; a module the
    repository commits there (named like one Patina imports) must not be imported."""
    marker = hooked.path / "PWNED"
    planted = f"open({str(marker)!r}, 'w').write('ran')\n"
    hooked.commit("plant", {name: planted for name in ("queue.py", "json.py", "subprocess.py", "sqlite3.py")})
    hooked.git("checkout", "-q", "-b", "other")
    hooked.commit("more", {"b.txt": "b\n"})
    settle(hooked.path)
    assert not marker.exists()
    assert built_head(hooked.path) == hooked.head()
    assert "error" not in (hooked.path / ".patina/data/hook.log").read_text()


def test_hooks_installed_before_the_safe_path_flag_say_they_are_outdated(hooked):
    """Scripts of an earlier Patina (``python -m patina`` without ``-P``) keep working, but every
    hook run says, in one line, to reinstall; `patina hooks status` marks them; installing fixes it."""
    from patina.hooks import hooks_dir, render

    directory = Path(hooks_dir(str(hooked.path)))
    import sys

    def commit(message: str) -> subprocess.CompletedProcess:
        env = {**env_without_git(), "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x",
               "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x"}
        return subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=hooked.path, env=env,
                              capture_output=True, text=True)

    old = render("post-commit", sys.executable).replace(" -P -m patina", " -m patina")
    (directory / "post-commit").write_text(old)
    status = patina("hooks", "status", cwd=hooked.path).stdout
    assert "outdated" in status.split("post-commit", 1)[1].splitlines()[0]
    proc = commit("x")
    assert proc.returncode == 0 and "first on Python's path" in proc.stderr and "patina hooks install" in proc.stderr
    settle(hooked.path)
    assert built_head(hooked.path) == hooked.head()
    install_hooks(hooked.path)
    assert "outdated" not in patina("hooks", "status", cwd=hooked.path).stdout
    proc = commit("y")
    assert proc.returncode == 0 and proc.stderr == ""


def test_an_installed_script_is_current_whatever_interpreter_path_it_names(tmp_path):
    from patina.hooks import _is_current, render

    for python in ("", "/usr/bin/python3", "/opt/my tools/py's env/bin/python"):
        script = tmp_path / "post-merge"
        script.write_text(render("post-merge", python))
        assert _is_current(str(script), "post-merge"), python
        script.write_text(render("post-merge", python).replace(" -P -m ", " -m "))
        assert not _is_current(str(script), "post-merge"), python


def test_a_hook_reads_an_unchanged_committed_config_without_parsing_it_again(hooked):
    """The effective config is taken from what the log was built with while the config blob is the
    same (no TOML parser on the hook path); a commit that changes it is parsed and applied."""
    import sys

    def hook_after(message: str, files: dict) -> tuple[bool, str]:
        hooked.write(files)
        hooked.git("add", "-A")
        hooked.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message)
        code = ("import sys; from patina.hooks import run_hook; run_hook(['post-commit']); "
                "print('tomllib' in sys.modules)")
        out = subprocess.run([sys.executable, "-P", "-c", code], cwd=hooked.path, env=env_without_git(),
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() == "True", out.stderr

    parsed, err = hook_after("config", {".patina/config.toml": "[cochange]\nmax_files = 5\n"})
    assert parsed and err == ""
    parsed, err = hook_after("plain", {"b.txt": "b\n"})
    assert not parsed and err == ""
    assert built_head(hooked.path) == hooked.head()
    parsed, _ = hook_after("config again", {".patina/config.toml": "[cochange]\nmax_files = 6\n"})
    assert parsed
    settle(hooked.path)
    from gitutil import query

    stored = dict(query(hooked, "SELECT key, value FROM scrape_meta WHERE key = 'config_json'"))
    assert json.loads(stored["config_json"])["cochange"]["max_files"] == 6
    assert_equals_fresh_build(hooked.path)
