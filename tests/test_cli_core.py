"""The CLI as a user meets it: exit codes, one-line errors, formats, help."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import sys
from pathlib import Path

import pytest

from gitutil import Repo
from gitutil import patina as run


@pytest.fixture
def built(repo: Repo):
    repo.commit("first commit", {"a.txt": "one\n"})
    repo.commit("second commit", {"b.txt": "b\n"})
    proc = run("scrape", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    return repo


def test_not_a_repository_exit_2(tmp_path):
    proc = run("scrape", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"patina: not a git repository: {tmp_path}"
    assert "Traceback" not in proc.stderr


def test_empty_repository_exit_0(repo):
    proc = run("scrape", cwd=repo.path)
    assert proc.returncode == 0 and "empty" in proc.stdout
    proc = run("sql", "SELECT count(*) AS n FROM eventlog", "--json", cwd=repo.path)
    assert json.loads(proc.stdout) == [{"n": 0}]


def test_init_creates_config_and_ignores_data(repo):
    proc = run("init", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    assert (repo.path / ".patina/config.toml").exists()
    repo.git("add", "-A")
    tracked = repo.git("diff", "--cached", "--name-only").splitlines()
    assert tracked == [".patina/config.toml", ".patina/oxidize.yaml"]  # the data directory stays ignored
    assert run("init", cwd=repo.path).returncode == 0  # idempotent


def test_status_json_and_text(built):
    info = json.loads(run("status", "--json", cwd=built.path).stdout)
    assert info["state"] == "ok" and info["up_to_date"] is True
    assert info["events"]["git.commit"] == 2 and info["last_seq"] >= 2
    assert info["built_for"] == built.head()
    assert "database" in info and info["size_bytes"] > 0
    built.commit("third", {"c.txt": "c\n"})
    text = run("status", cwd=built.path).stdout
    assert "run `patina scrape`" in text


def test_sql_formats_and_read_only(built):
    out = run("sql", "SELECT seq, subject FROM commits ORDER BY seq", "--csv", cwd=built.path).stdout
    assert list(csv.reader(io.StringIO(out))) == [["seq", "subject"], ["1", "first commit"], ["2", "second commit"]]
    out = run("sql", "SELECT subject FROM commits ORDER BY seq", "--json", cwd=built.path).stdout
    assert json.loads(out) == [{"subject": "first commit"}, {"subject": "second commit"}]
    table = run("sql", "SELECT subject FROM commits ORDER BY seq", cwd=built.path).stdout.splitlines()
    assert table[0].strip() == "subject" and table[2].strip() == "first commit"
    proc = run("sql", "DELETE FROM eventlog", cwd=built.path)
    assert proc.returncode == 7 and "only reads" in proc.stderr
    proc = run("sql", "SELEC nonsense", cwd=built.path)
    assert proc.returncode == 7 and proc.stderr.startswith("patina: query failed")


def test_bad_until_is_a_usage_error(built):
    proc = run("scrape", "--until", "last tuesday", cwd=built.path)
    assert proc.returncode == 3 and "--until" in proc.stderr


def test_missing_database_for_sql(repo):
    repo.commit("one", {"a": "a\n"})
    proc = run("sql", "SELECT 1", cwd=repo.path)
    assert proc.returncode == 4 and "patina scrape" in proc.stderr


def test_bare_repository_with_db(built, tmp_path):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(built.path), str(bare)], check=True)
    proc = run("scrape", cwd=bare)
    assert proc.returncode == 3 and "--db" in proc.stderr
    db = tmp_path / "bare.db"
    proc = run("scrape", "--db", str(db), cwd=bare)
    assert proc.returncode == 0, proc.stderr
    out = run("sql", "SELECT count(*) AS n FROM commits", "--json", "--db", str(db), cwd=bare).stdout
    assert json.loads(out) == [{"n": 2}]


def test_quiet_and_piped_scrape_prints_no_progress(built):
    built.commit("third", {"c.txt": "c\n"})
    proc = run("scrape", "--quiet", cwd=built.path)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_every_command_has_help_with_an_example():
    from click.testing import CliRunner

    from patina.cli import COMMANDS, main

    runner = CliRunner()
    names = main.list_commands(None)  # type: ignore[arg-type]
    assert {"init", "scrape", "status", "sql", "verify", "hooks", "hook"} <= set(names)
    for name in names:
        cmd = main.get_command(None, name)  # type: ignore[arg-type]
        subs = [[name]] + ([[name, s] for s in cmd.commands] if hasattr(cmd, "commands") else [])
        for argv in subs:
            res = runner.invoke(main, [*argv, "--help"])
            assert res.exit_code == 0, (argv, res.output)
            assert "Example" in res.output, argv
    assert set(names) <= set(COMMANDS)


def test_every_derived_table_is_current_after_any_update(built):
    """No batch tables: what a hook runs leaves nothing for `patina materialize` to do."""
    from patina import repo as prepo, update

    built.commit("third", {"c.txt": "c\n"})
    update.update(prepo.discover(str(built.path)))  # what a hook runs
    info = json.loads(run("status", "--json", cwd=built.path).stdout)
    assert info["stale_derived"] == [] and "derived    current" in run("status", cwd=built.path).stdout
    assert run("sql", "SELECT doc_freq FROM term_stats WHERE term = 'third'", cwd=built.path).stdout.split()[-1] == "1"


def test_status_lists_uncommitted_session_files(built):
    (built.path / "layer/sessions").mkdir(parents=True)
    (built.path / "layer/sessions/20251121-065812.md").write_text("# Session: draft\n")
    info = json.loads(run("status", "--json", cwd=built.path).stdout)
    assert info["pending_sessions"] == ["layer/sessions/20251121-065812.md"]
    assert "pending    layer/sessions/20251121-065812.md" in run("status", cwd=built.path).stdout


def test_sql_refuses_attach_writes_and_empty_queries(built, tmp_path):
    other = tmp_path / "other.db"
    proc = run("sql", f"ATTACH '{other}' AS x", cwd=built.path)
    assert proc.returncode == 7 and "only reads" in proc.stderr and not other.exists()
    for query in ("PRAGMA user_version = 9", "CREATE TEMP TABLE t(x)", "INSERT INTO scrape_meta(key) VALUES ('k')"):
        assert run("sql", query, cwd=built.path).returncode == 7, query
    assert run("sql", "PRAGMA user_version", cwd=built.path).returncode == 0  # reading a pragma is fine
    proc = run("sql", "  ", cwd=built.path)
    assert proc.returncode == 3 and proc.stdout == "" and proc.stderr.startswith("patina: give a query")


@pytest.mark.parametrize("argv", [["status"], ["scry", "commit", "--limit", "20"], ["sql", "SELECT * FROM eventlog"],
                                  ["query", "as-of", "-p", "at=2030-01-01"], ["--help"]])
def test_a_closed_pipe_ends_quietly(built, argv):
    """`patina ... | head -1`: the reader is gone before patina writes."""
    from gitutil import PATINA, env_without_git

    proc = subprocess.Popen([*PATINA, *argv], cwd=built.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_without_git())
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and err == "", err


def test_usage_errors_exit_3(built):
    for argv in (["scry"], ["query", "--format", "yaml"], ["status", "--nope"], ["no-such-command"],
                 ["scrape", "--until"]):
        proc = run(*argv, cwd=built.path)
        assert proc.returncode == 3 and "Traceback" not in proc.stderr, (argv, proc.returncode, proc.stderr)


@pytest.mark.parametrize("argv", [["status"], ["query", "co-occurrence"], ["query", "collaboration"],
                                  ["query", "as-of", "-p", "at=2030-01-01"], ["materialize"], ["scry", "x"],
                                  ["sql", "SELECT 1"], ["verify"]])
def test_a_file_that_is_not_a_database_is_exit_4_with_one_line(repo, argv):
    repo.commit("one", {"a.txt": "a\n"})
    db = repo.path / ".patina" / "data" / "patina.db"
    db.parent.mkdir(parents=True)
    db.write_text("this is not a database, just some text that is long enough\n" * 20)
    proc = run(*argv, cwd=repo.path)
    assert proc.returncode == 4, (argv, proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    if argv != ["status"]:
        assert len(proc.stderr.strip().splitlines()) == 1
    else:
        assert "corrupt" in proc.stdout
    assert run("scrape", "--quiet", cwd=repo.path).returncode == 0  # a rebuild replaces it


def test_until_before_the_first_commit_says_so_and_keeps_the_log(built):
    before = run("sql", "SELECT count(*) AS n FROM eventlog", "--json", cwd=built.path).stdout
    proc = run("scrape", "--until", "1990-01-01", cwd=built.path)
    assert proc.returncode == 3
    assert proc.stderr.strip() == "patina: --until: no commit at or before 1990-01-01 (the first commit is from 2023-11-14)"
    assert run("sql", "SELECT count(*) AS n FROM eventlog", "--json", cwd=built.path).stdout == before


def test_an_uncommitted_config_edit_is_named(built):
    (built.path / ".patina").mkdir(exist_ok=True)
    (built.path / ".patina" / "config.toml").write_text("[cochange]\nmax_files = 4\n")
    proc = run("scrape", cwd=built.path)
    assert proc.returncode == 0 and "uncommitted changes: the log follows the committed config" in proc.stderr
    assert "uncommitted changes" in run("status", cwd=built.path).stdout
    assert json.loads(run("status", "--json", cwd=built.path).stdout)["config_uncommitted"] is True
    built.commit("config", {".patina/config.toml": "[cochange]\nmax_files = 4\n"})
    proc = run("scrape", cwd=built.path)
    assert proc.returncode == 0 and "uncommitted" not in proc.stderr
    assert json.loads(run("status", "--json", cwd=built.path).stdout)["config_uncommitted"] is False


def test_a_projection_without_its_input_says_why(built):
    proc = run("query", "decision-context", cwd=built.path)
    assert proc.returncode == 0 and "(no rows: the log has no session notes" in proc.stderr
    proc = run("query", "co-occurrence", "-p", "file=nope", cwd=built.path)
    assert proc.stderr.strip() == "(no rows)"


def test_a_long_first_build_says_so_when_stderr_is_not_a_terminal(tmp_path):
    """Piped output (CI logs, install scripts) shows one line at the start, the summary at the end."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from gen_repo import GIT_ONLY, generate

    path = generate(tmp_path / "long", 220, 30, seed=3, patina_config=GIT_ONLY)
    proc = run("scrape", cwd=path)
    assert proc.returncode == 0
    assert proc.stderr.splitlines()[0] == "patina: building the log: 220 commits to go"
    assert proc.stdout.startswith("rebuild: 220 commits")
    assert run("scrape", "--quiet", "--full", cwd=path).stderr == ""
