"""``patina scry`` from the command line: ask a running ``patina serve``, else answer in-process.

A cold process pays for loading the query model (and numpy) on every call; a running service has
them loaded and its vector matrices in memory. So when ``patina serve`` runs (it leaves
``$PATINA_HOME/serve.json``: its pid and URL) and this project is registered with it (the same
database), the CLI sends it the query and prints its answer. Otherwise, or when the service does
not answer, the query runs in this process with the light query encoder. ``PATINA_SCRY_LOCAL=1``
always answers in-process. ``--code`` is sent along (the service searches code definitions too).
"""

from __future__ import annotations

import json
import os
from typing import Sequence

from patina.errors import UsageError
from patina.scry.search import Answer, Hit

SERVE_FILE = "serve.json"
CONNECT_TIMEOUT = 0.5  # seconds to reach a service that says it is running
ANSWER_TIMEOUT = 30.0  # a first semantic query may load the model


def serve_file(home_dir: str | None = None) -> str:
    from patina.scry.persona import home

    return os.path.join(home_dir or home(), SERVE_FILE)


def announce(url: str, home_dir: str | None = None) -> str:
    """Say (in ``$PATINA_HOME/serve.json``) that a service answers at ``url``; returns the file."""
    path = serve_file(home_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"pid": os.getpid(), "url": url}, fh)
    os.replace(tmp, path)
    return path


def withdraw(home_dir: str | None = None) -> None:
    """Remove the announcement, if it is this process's."""
    path = serve_file(home_dir)
    try:
        with open(path, encoding="utf-8") as fh:
            if json.load(fh).get("pid") == os.getpid():
                os.remove(path)
    except (OSError, ValueError, AttributeError):
        pass


def running_service(home_dir: str | None = None) -> str | None:
    """The URL of the running service, if one announced itself and its process lives."""
    try:
        with open(serve_file(home_dir), encoding="utf-8") as fh:
            info = json.load(fh)
        pid, url = int(info["pid"]), str(info["url"])
        os.kill(pid, 0)
    except PermissionError:
        return url
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url


def registered_name(db_path: str, home_dir: str | None = None) -> str | None:
    """The name under which the service knows the database ``db_path`` (None: not registered)."""
    from patina.scry import registry

    projects, _ = registry.load(home_dir)
    target = os.path.realpath(db_path)
    for p in projects:
        if os.path.realpath(p.db_path) == target:
            return p.name
    return None


def ask_service(url: str, body: dict, timeout: float = ANSWER_TIMEOUT) -> dict | None:
    """POST /scry; the JSON answer, None when the service cannot be reached. A request the service
    refuses (a bad date, an unknown type) is the user's error: UsageError with its message."""
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url.rstrip("/") + "/scry", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            try:
                message = json.loads(exc.read()).get("error") or str(exc)
            except ValueError:
                message = str(exc)
            raise UsageError(message) from None
        return None
    except (urllib.error.URLError, socket.timeout, ConnectionError, ValueError, OSError):
        return None


def scry_repo(repo, query: str, *, limit: int = 10, until: str | None = None, types: Sequence[str] | None = None,
              code: bool = False, persona: bool = True, mode: str | None = None, explain: bool = False) -> Answer:
    """``patina scry`` for one repository: through the running service when it serves this
    project, else in this process."""
    from patina.scry.persona import home

    if os.environ.get("PATINA_SCRY_LOCAL") != "1":
        url = running_service()
        name = registered_name(repo.db_path) if url else None
        if url and name:
            body = {"query": query, "limit": limit, "until": until, "types": list(types) if types else None,
                    "code": code or None, "projects": [name], "persona": persona, "mode": mode, "explain": explain}
            reply = ask_service(url, {k: v for k, v in body.items() if v is not None})
            if reply is not None and not reply.get("problems"):
                hits = [Hit.from_json({**h, "project": None}) for h in reply.get("results", [])]
                return Answer(reply.get("terms", []), hits, [], reply.get("mode", "lexical"),
                              tuple(reply.get("notes", [])))
    from patina.scry.search import scry

    return scry(query, projects=[(None, repo.db_path)], persona_home=home() if persona else None, limit=limit,
                until=until, types=types, mode=mode, explain=explain, code=code,
                data_dirs={repo.db_path: repo.data_dir})
