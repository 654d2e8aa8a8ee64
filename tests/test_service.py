"""`patina serve`: the real uvicorn server on 127.0.0.1 (a free port), queried with a real HTTP
client (urllib); the projects registry and its CLI. PATINA_HOME is a temp dir."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from patina.cli import main
from patina.scry import persona, registry
from patina.scry.service import RunningServer


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "patina-home"
    monkeypatch.setenv("PATINA_HOME", str(path))
    return str(path)


def call(url: str, body=None, *, method: str | None = None, raw: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, dict]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers={"content-type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def two_projects(tmp_path, home):
    """Two scraped repositories, registered as 'alpha' and 'beta', plus one unregistered."""
    from conftest import build
    from gitutil import Repo

    repos = {}
    for name, subjects in {
        "alpha": ["Alpha: retry failed uploads", "Alpha: error handling for uploads"],
        "beta": ["Beta: error handling in the scheduler", "Beta: docs"],
        "secret": ["Secret: error handling you must not see"],
    }.items():
        r = Repo(tmp_path / name)
        for s in subjects:
            r.commit(s)
        build(r.path)
        repos[name] = r
    registry.add(str(repos["alpha"].path), "alpha")
    registry.add(str(repos["beta"].path), "beta")
    return repos


def test_service_end_to_end(two_projects, home):
    persona.add_note("error handling: prefer explicit error types")
    with RunningServer(home_dir=home) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert call(srv.url + "/health") == (200, {"status": "ok", "version": "0.1.0", "projects": 2})
        assert call(srv.url + "/projects") == (200, {"projects": [{"name": "alpha", "indexed": True},
                                                                  {"name": "beta", "indexed": True}]})
        status, body = call(srv.url + "/scry", {"query": "error handling", "limit": 10})
        assert status == 200, body
        got = [(r["tag"], r["project"], r["content"]) for r in body["results"]]
        assert ("PROJECT", "alpha", "Alpha: error handling for uploads") in got
        assert ("PROJECT", "beta", "Beta: error handling in the scheduler") in got
        assert ("PERSONA", None, "error handling: prefer explicit error types") in got
        assert all("Secret" not in c for _, _, c in got)  # unregistered: never read
        scores = [r["score"] for r in body["results"]]
        assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
        # One project, no persona.
        status, body = call(srv.url + "/scry", {"query": "uploads", "projects": ["alpha"], "persona": False})
        assert status == 200
        assert [(r["project"], r["content"]) for r in body["results"]] == [
            ("alpha", "Alpha: retry failed uploads"), ("alpha", "Alpha: error handling for uploads")]
        # --until before every commit: nothing.
        status, body = call(srv.url + "/scry", {"query": "uploads", "until": "2000-01-01", "persona": False})
        assert (status, body["results"]) == (200, [])
        # Same request, same answer.
        assert call(srv.url + "/scry", {"query": "error handling"}) == call(srv.url + "/scry",
                                                                          {"query": "error handling"})


BAD_REQUESTS = [
    ({}, 400, "'query' is required"),
    ({"query": "   "}, 400, "'query' is required"),
    ({"query": 3}, 400, "wrong type"),
    ({"query": "x", "limit": 0}, 400, "'limit'"),
    ({"query": "x", "limit": True}, 400, "'limit'"),
    ({"query": "x", "limit": "5"}, 400, "wrong type"),
    ({"query": "x", "until": "tomorrow"}, 400, "until: not an ISO date"),  # named the service's way
    ({"query": "x", "types": ["nope"]}, 400, "unknown type"),
    ({"query": "x", "projects": "alpha"}, 400, "list of strings"),
    ({"query": "x", "projects": ["secret"]}, 404, "not a registered project: secret"),
    ({"query": "x", "projects": ["../secret"]}, 404, "not a registered project"),
    ({"query": "x", "db": "/etc/passwd"}, 400, "unknown field(s): db"),
    ({"query": "!!! ---"}, 400, "no words"),
    ({"query": "x", "code": "yes"}, 400, "wrong type"),
    (["query"], 400, "JSON object"),
]


def test_bad_requests_get_json_4xx(two_projects, home):
    with RunningServer(home_dir=home) as srv:
        answers = [call(srv.url + "/scry", body) for body, _, _ in BAD_REQUESTS]
    for (body, status, message), (got_status, got) in zip(BAD_REQUESTS, answers):
        assert got_status == status and message in got["error"], (body, got)


def test_code_definitions_through_the_service(repo, home):
    """`code` in POST /scry, as `patina scry --code` (which sends it to a running service)."""
    from conftest import build

    repo.commit("Add retry", {"src/net.py": "class Client:\n    def retry_send(self, n):\n        return n\n"})
    build(repo.path)
    registry.add(str(repo.path), "web")
    with RunningServer(home_dir=home) as srv:
        status, body = call(srv.url + "/scry", {"query": "retry", "code": True, "types": ["code"], "persona": False})
        assert status == 200, body
        assert [(r["type"], r["origin"], r["detail"]) for r in body["results"]] == [
            ("code", "src/net.py::Client.retry_send", "src/net.py:2")]
        status, body = call(srv.url + "/scry", {"query": "retry", "persona": False})
        assert status == 200 and all(r["type"] != "code" for r in body["results"])


def test_serve_help_documents_every_request_field():
    from patina.scry import service

    text = CliRunner().invoke(main, ["serve", "--help"]).output
    fields = ["query", "limit", "until", "projects", "types", "code", "persona", "mode", "explain"]
    import re

    assert all(re.search(rf"\n +{f} +\S", text) for f in fields), text
    for field in fields[1:]:  # the parser knows exactly these
        assert service.parse_scry_request({"query": "x", field: None}) is not None
    with pytest.raises(service.BadRequest, match="unknown field"):
        service.parse_scry_request({"query": "x", "codes": True})


def test_transport_errors_are_json(home):
    with RunningServer(home_dir=home) as srv:
        assert call(srv.url + "/scry", raw=b"{not json")[0] == 400
        assert call(srv.url + "/scry", raw=b'{"query": "x"}', content_type="text/plain")[0] == 415
        status, body = call(srv.url + "/scry", raw=b'{"query": "' + b"x" * 70_000 + b'"}')
        assert status == 413 and "larger" in body["error"]
        assert call(srv.url + "/nowhere") == (404, {"error": "Not Found"})
        assert call(srv.url + "/scry", method="GET")[0] == 405
        assert call(srv.url + "/health")[0] == 200  # still serving


def test_registry_cli(home, repo, tmp_path):
    runner = CliRunner()
    repo.commit("x")
    r = runner.invoke(main, ["projects", "add", str(repo.path), "--name", "web"])
    assert r.exit_code == 0 and r.output.startswith(f"registered web: {repo.path}")
    r = runner.invoke(main, ["projects", "add", str(repo.path), "--name", "other"])
    assert r.exit_code == 3 and "already registered as 'web'" in r.output
    r = runner.invoke(main, ["projects", "list", "--json"])
    assert json.loads(r.output) == [{"name": "web", "path": str(repo.path), "indexed": False}]
    with open(registry.registry_path(home), encoding="utf-8") as fh:
        assert fh.read().splitlines()[1] == f'web: "{repo.path}"'
    r = runner.invoke(main, ["projects", "add", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert runner.invoke(main, ["projects", "remove", "web"]).output == "removed web\n"
    r = runner.invoke(main, ["projects", "remove", "web"])
    assert r.exit_code == 3


def test_registry_ignores_bad_lines(home):
    import os

    os.makedirs(home)
    with open(registry.registry_path(home), "w") as fh:
        fh.write('# comment\nok: "/abs/path"\nrelative: "some/dir"\nbad name: "/x"\nok: "/dup"\nplain: /p\n')
    projects, bad = registry.load(home)
    assert [(p.name, p.path) for p in projects] == [("ok", "/abs/path"), ("plain", "/p")]
    assert len(bad) == 3
