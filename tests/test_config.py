"""The team config: one schema, validated once, one glob dialect."""

from __future__ import annotations

import json

import pytest

from gitutil import patina as run
from patina import config
from patina.errors import ConfigError
from patina.globs import Matcher


def test_an_empty_file_is_the_defaults():
    assert config.validate({}) == config.Config()
    assert config.Config().cochange.max_files == 30 and config.Config().sessions.max_bytes == 2_000_000


def test_every_key_of_the_schema_has_a_default_and_every_default_a_key():
    fields = {f"{name}.{key}" for name, cls in config.SECTIONS.items() for key in cls._fields}
    assert fields == set(config.KEYS)


def test_effective_config_is_plain_json():
    data = config.Config().as_dict()
    assert json.loads(json.dumps(data)) == data
    assert config.from_dict(data) == config.Config()
    assert data["code"]["since"] is None and data["sources"]["enabled"] == ["sessions", "code"]


@pytest.mark.parametrize("raw,names", [
    ({"code": {"max_bytes": "big"}}, "code.max_bytes: expected a positive integer, got 'big'"),
    ({"code": {"max_bytes": 0}}, "code.max_bytes"),
    ({"code": {"max_bytes": True}}, "code.max_bytes"),
    ({"cochange": {"max_files": -3}}, "cochange.max_files"),
    ({"sessions": {"globs": [1]}}, "sessions.globs"),
    ({"sessions": {"globs": ["  "]}}, "sessions.globs: '  ' is an empty pattern"),
    ({"sources": {"enabled": ["git"]}}, "sources.enabled: unknown source 'git'"),
    ({"code": {"since": "last week"}}, "code.since: expected a date"),
    ({"code": {"sinse": "2024-01-01"}}, "unknown key code.sinse"),
    ({"sesions": {}}, "unknown section [sesions]"),
    ({"code": 3}, "[code] must be a table"),
])
def test_a_bad_value_is_one_error_naming_the_key(raw, names):
    with pytest.raises(ConfigError) as info:
        config.validate(raw)
    assert names in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == 8


def test_sections_of_other_tools_are_left_alone():
    """The original Patina's own .patina/config.toml (NicabarNimble/patina) holds sections of its
    own: they change nothing; a misspelt section of ours is still an error (above)."""
    theirs = {"project": {"name": "patina"}, "adapters": {"allowed": ["claude"]}, "search": {"rrf_k": 60},
              "embeddings": {"model": "e5-base-v2"}, "retrieval": {"rrf_k": 60}, "dev": {"type": "docker"}}
    assert config.validate(theirs) == config.validate({})
    assert config.validate({**theirs, "code": {"max_bytes": 5}}).code.max_bytes == 5
    for typo in ("source", "sesions", "cochanges", "Code"):
        with pytest.raises(ConfigError, match=r"unknown section"):
            config.validate({typo: {}})


def test_values_are_normalised():
    import datetime as dt

    cfg = config.validate({"code": {"since": dt.date(2024, 1, 2), "exclude": "gen/**"},
                           "sources": {"enabled": ["code", "sessions", "code"]}})
    assert cfg.code.since == "2024-01-02T00:00:00Z"
    assert cfg.code.exclude == ("gen/**",)
    assert cfg.sources.enabled == ("sessions", "code")
    assert config.validate({"code": {"since": "2024-01-02T10:00:00+02:00"}}).code.since == "2024-01-02T08:00:00Z"


def test_the_default_text_is_the_defaults():
    import tomllib

    assert config.validate(tomllib.loads(config.DEFAULT_TEXT)) == config.Config()


@pytest.mark.parametrize("pattern,path,expected", [
    ("**/*", "a.py", True),
    ("**/*", "src/a/b.py", True),
    ("vendor/**", "vendor/x/y.py", True),
    ("vendor/**", "src/vendor/x.py", False),
    ("**/vendor/**", "src/vendor/x.py", True),
    ("**/*.min.js", "web/app.min.js", True),
    ("**/*.min.js", "web/app.js", False),
    ("src/*.py", "src/a/b.py", False),
    ("src/**/gen/*", "src/gen/a.py", True),
    ("/src/*.py", "src/a.py", True),
])
def test_one_glob_dialect_for_code_and_sessions(pattern, path, expected):
    assert Matcher([pattern])(path) is expected


def test_code_and_sessions_read_the_same_dialect():
    from patina.sources.base import FileChange
    from patina.sources.code import CodeSource
    from patina.sources.sessions import SessionSource

    cfg = config.validate({"code": {"include": ["src/[ab]*/**"]}, "sessions": {"globs": ["notes/[ab]*/**"]}})
    change = lambda p: FileChange(p, "M", None, "1" * 40, "2" * 40, "100644", "100644", 1, 1, False)  # noqa: E731
    assert CodeSource(cfg).wants(change("src/a1/x.py")) and not CodeSource(cfg).wants(change("src/c1/x.py"))
    assert SessionSource(cfg).wants(change("notes/b2/x.md")) and not SessionSource(cfg).wants(change("notes/c/x.md"))


def test_an_invalid_committed_config_stops_the_update_with_exit_8_and_keeps_the_log(repo):
    repo.commit("first", {"a.txt": "a\n"})
    assert run("scrape", cwd=repo.path).returncode == 0
    built = repo.head()
    repo.commit("bad config", {".patina/config.toml": "[code]\nmax_bytes = \"big\"\n"})
    proc = run("scrape", cwd=repo.path)
    assert proc.returncode == 8
    assert proc.stderr.strip().endswith("code.max_bytes: expected a positive integer, got 'big'")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    info = json.loads(run("status", "--json", cwd=repo.path).stdout)
    assert info["built_for"] == built and "code.max_bytes" in info["config_error"]
    hook = run("hook", "post-commit", cwd=repo.path)
    assert hook.returncode == 0 and "code.max_bytes" in hook.stderr
    repo.commit("fixed", {".patina/config.toml": "[code]\nmax_bytes = 500\n"})
    assert run("scrape", cwd=repo.path).returncode == 0


def test_invalid_toml_names_the_file_and_commit(repo):
    repo.commit("bad", {".patina/config.toml": "[cochange\nmax_files = 3\n"})
    proc = run("scrape", cwd=repo.path)
    assert proc.returncode == 8 and "not valid TOML" in proc.stderr and repo.head()[:12] in proc.stderr


def test_an_unchanged_config_is_taken_from_what_the_log_was_built_with(repo):
    """The hook path does not parse the TOML again when the config and .mailmap blobs are the
    ones the log was built from (by this Patina); any other blob is read and checked."""
    repo.commit("config", {".patina/config.toml": "[cochange]\nmax_files = 7\n"})
    head = repo.head()
    git_dir = str(repo.path / ".git")
    fresh = config.resolve(git_dir, head)
    assert fresh.config.cochange.max_files == 7
    stored = json.dumps(fresh.config.as_dict())
    known = config.Known(fresh.source, fresh.fingerprint, stored)
    assert config.resolve(git_dir, head, known) == fresh
    # Taken from what was stored (not read again): a stored config for the same source is trusted...
    other = json.dumps(config.Config().as_dict())
    assert config.resolve(git_dir, head, config.Known(fresh.source, "f" * 16, other)).config == config.Config()
    # ...and one for another source is not.
    stale = config.Known("other:source", "f" * 16, other)
    assert config.resolve(git_dir, head, stale) == fresh
    # A changed file is a new source: read and checked again (an invalid one is exit 8 as ever).
    repo.commit("bad", {".patina/config.toml": "[cochange]\nmax_files = 0\n"})
    with pytest.raises(ConfigError, match="cochange.max_files"):
        config.resolve(git_dir, repo.head(), known)


def test_the_update_records_what_its_config_came_from_and_a_change_rebuilds(repo):
    from gitutil import query

    repo.commit("root", {"a.txt": "a\n"})
    assert run("scrape", "--quiet", cwd=repo.path).returncode == 0
    first = dict(query(repo, "SELECT key, value FROM scrape_meta WHERE key LIKE 'config%'"))
    assert first["config_source"].startswith("None:None:")  # no config, no .mailmap committed
    repo.commit("config", {".patina/config.toml": "[sources]\nenabled = []\n"})
    assert run("scrape", "--quiet", cwd=repo.path).returncode == 0
    second = dict(query(repo, "SELECT key, value FROM scrape_meta WHERE key LIKE 'config%'"))
    assert second["config"] != first["config"] and json.loads(second["config_json"])["sources"]["enabled"] == []
    assert run("verify", cwd=repo.path).returncode == 0
