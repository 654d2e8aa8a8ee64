"""``patina serve``: the local HTTP JSON API (the spec's "mothership"), Starlette on uvicorn.

    GET  /health    {"status": "ok", "version": ..., "projects": N}
    GET  /projects  {"projects": [{"name": ..., "indexed": bool}]}
    POST /scry      {"query": str, "limit"?: int, "until"?: date, "projects"?: [name],
                     "types"?: [type], "code"?: bool, "persona"?: bool,
                     "mode"?: "lexical"|"semantic"|"hybrid", "explain"?: bool}
                 -> {"query", "terms", "mode", "results": [hit], "problems": [str], "notes": [str]}

The service keeps one semantic engine (:class:`patina.scry.semantic.Engine`): query models and
vector matrices stay loaded, so a warm hybrid query costs a query embedding and one matrix
product. While it runs, ``$PATINA_HOME/serve.json`` tells ``patina scry`` where to send queries
(:mod:`patina.scry.client`).

Only the projects of ``$PATINA_HOME/projects.registry`` are readable, and only by name:
no request field is ever used as a path. Every error is JSON ``{"error": message}`` with
a 4xx status (5xx only for a bug). Loopback by default: it serves whoever can connect.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from patina import __version__
from patina.errors import PatinaError
from patina.scry import registry
from patina.scry.search import MAX_LIMIT, scry

MAX_BODY = 64 * 1024
MAX_QUERY_CHARS = 1000
DEFAULT_PORT = 50051  # the port the spec gives the mothership


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) and kind is not bool:
        raise BadRequest(f"'{name}' must be {getattr(kind, '__name__', kind)}")
    if not isinstance(value, kind):
        raise BadRequest(f"'{name}' has the wrong type")
    return value


def _string_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{name}' must be a list of strings")
    return value


def parse_scry_request(body: Any) -> dict[str, Any]:
    """The validated arguments of a /scry request (BadRequest otherwise)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    known = {"query", "limit", "until", "projects", "types", "code", "persona", "mode", "explain"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    query = _field(body, "query", str)
    if not query or not query.strip():
        raise BadRequest("'query' is required: a non-empty string")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"'query' is longer than {MAX_QUERY_CHARS} characters")
    limit = _field(body, "limit", int, 10)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be between 1 and {MAX_LIMIT}")
    mode = _field(body, "mode", str)
    if mode is not None and mode not in ("lexical", "semantic", "hybrid"):
        raise BadRequest("'mode' must be lexical, semantic or hybrid")
    return {
        "query": query,
        "limit": limit,
        "until": _field(body, "until", str),
        "projects": _string_list(body, "projects"),
        "types": _string_list(body, "types"),
        "code": _field(body, "code", bool, False),
        "persona": _field(body, "persona", bool, True),
        "mode": mode,
        "explain": _field(body, "explain", bool, False),
    }


def run_scry(args: dict[str, Any], home_dir: str | None, engine=None) -> dict[str, Any]:
    """Answer a validated /scry request over the registered projects it names. ``engine``: the
    service's semantic engine (models and matrices kept across requests)."""
    known, _ = registry.load(home_dir)
    by_name = {p.name: p for p in known}
    names = args["projects"] if args["projects"] is not None else sorted(by_name)
    missing = sorted(set(names) - set(by_name))
    if missing:
        raise BadRequest(f"not a registered project: {', '.join(missing)}", 404)
    targets = [(n, by_name[n].db_path) for n in sorted(set(names))]
    data_dirs = {by_name[n].db_path: os.path.dirname(by_name[n].db_path) for n in names}
    try:
        answer = scry(args["query"], projects=targets, persona_home=home_dir_or_default(home_dir)
                      if args["persona"] else None, limit=args["limit"], until=args["until"],
                      types=args["types"], strict=False, mode=args["mode"], explain=args["explain"],
                      code=args["code"], engine=engine, data_dirs=data_dirs)
    except PatinaError as exc:  # bad date, unknown type, a query without words, persona unreadable
        raise BadRequest(exc.worded("")) from None
    return {"query": args["query"], "terms": answer.terms, "mode": answer.mode,
            "results": [h.to_json() for h in answer.hits], "problems": answer.problems, "notes": list(answer.notes)}


def home_dir_or_default(home_dir: str | None) -> str:
    from patina.scry.persona import home

    return home_dir or home()


def create_app(home_dir: str | None = None) -> Starlette:
    """The ASGI app. ``home_dir``: Patina's home (default ``$PATINA_HOME`` or ``~/.patina``),
    read again at every request so `patina projects add` takes effect without a restart."""
    from patina.scry.semantic import Engine

    engine = Engine(keep=True)

    async def health(request: Request) -> JSONResponse:
        projects, _ = registry.load(home_dir)
        return JSONResponse({"status": "ok", "version": __version__, "projects": len(projects)})

    async def projects(request: Request) -> JSONResponse:
        known, _ = registry.load(home_dir)
        return JSONResponse({"projects": [{"name": p.name, "indexed": os.path.exists(p.db_path)}
                                          for p in known]})

    async def scry_endpoint(request: Request) -> JSONResponse:
        if "json" not in request.headers.get("content-type", "json"):
            return _error("send the body as application/json", 415)
        chunks, size = [], 0
        async for chunk in request.stream():  # read no more than MAX_BODY, whatever the client sends
            size += len(chunk)
            if size > MAX_BODY:
                return _error(f"body larger than {MAX_BODY} bytes", 413)
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _error("the body is not valid JSON", 400)
        try:
            args = parse_scry_request(body)
            result = await run_in_threadpool(run_scry, args, home_dir, engine)
        except BadRequest as exc:
            return _error(str(exc), exc.status)
        return JSONResponse(result)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _error(str(exc.detail), exc.status_code)

    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(f"internal error: {type(exc).__name__}", 500)

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/projects", projects, methods=["GET"]),
            Route("/scry", scry_endpoint, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )


def _config(app: Starlette, host: str, port: int):
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          lifespan="off", server_header=False)


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on (host, port); port 0 picks a free one. OSError if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(host: str, port: int, home_dir: str | None = None) -> None:
    """Serve until interrupted (uvicorn handles SIGINT/SIGTERM). OSError if the port is taken."""
    import uvicorn

    from patina.scry import client

    sock = bind(host, port)
    bound = sock.getsockname()[1]
    try:
        client.announce(f"http://{'[' + host + ']' if ':' in host else host}:{bound}", home_dir)
        uvicorn.Server(_config(create_app(home_dir), host, port)).run(sockets=[sock])
    finally:
        client.withdraw(home_dir)
        sock.close()


class RunningServer:
    """The real server in a background thread on ``host`` and a free port (tests, benches).

        with RunningServer(home_dir=...) as srv:
            urllib.request.urlopen(srv.url + "/health")
    """

    def __init__(self, host: str = "127.0.0.1", home_dir: str | None = None, timeout: float = 10.0,
                 announce: bool = False) -> None:
        import uvicorn

        self.home_dir = home_dir
        self.announce = announce  # write $PATINA_HOME/serve.json, as `patina serve` does
        self.host = host
        self.timeout = timeout
        self.sock = bind(host, 0)
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(_config(create_app(home_dir), host, self.port))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> "RunningServer":
        self.thread.start()
        if self.announce:
            from patina.scry import client

            client.announce(self.url, self.home_dir)
        deadline = time.monotonic() + self.timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def close(self) -> None:
        if self.announce:
            from patina.scry import client

            client.withdraw(self.home_dir)
        self.server.should_exit = True
        self.thread.join(self.timeout)
        self.sock.close()

    def __exit__(self, *exc: object) -> None:
        self.close()
