"""``patina scry``, ``patina persona``, ``patina projects`` and ``patina serve``."""

from __future__ import annotations

import os

import click

from patina.cli.common import db_option, echo_json, handle_errors, open_repo, repo_option
from patina.errors import UsageError

SHOWN_CHARS = 140


def _types(values: tuple[str, ...]) -> list[str] | None:
    """``--type decision,pattern --type goal`` as a list (None: every type)."""
    out = sorted({t.strip().lower() for v in values for t in v.split(",") if t.strip()})
    return out or None


def _one_line(text: str, width: int = SHOWN_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _where(hit) -> str:
    """Where a hit comes from: the session (and its title), the commit, the note."""
    if hit.type == "commit":
        return f"commit {hit.origin[:12]}"
    if hit.type == "note":
        return f"note {hit.origin}"
    if hit.type == "code":
        return hit.origin
    return f"session {hit.origin}" + (f": {_one_line(hit.title, 60)}" if hit.title else "")


def format_hit(hit) -> str:
    """``[PROJECT] 0.83  2025-11-21  decision  <content>  (session ...)``."""
    tag = f"[{hit.tag}]" if not hit.project else f"[{hit.tag}:{hit.project}]"
    return f"{tag} {hit.score:.2f}  {hit.timestamp[:10]}  {hit.type}  {_one_line(hit.content)}  ({_where(hit)})"


def format_explain(hit) -> str:
    """``--explain``: each oracle's rank and score for a hit, and the fused score."""
    parts = []
    for oracle in ("lexical", "semantic", "temporal", "persona"):
        if hit.explain is None or oracle not in hit.explain:
            continue
        where = hit.explain[oracle]
        parts.append(f"{oracle} #{where['rank']} ({where['score']:.3f})" if where else f"{oracle} -")
    fused = f"  -> rrf {hit.explain['rrf']:.4f}" if hit.explain and "rrf" in hit.explain else ""
    return "      " + "  ".join(parts) + fused


@click.command("scry")
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="How many results.")
@click.option("--until", metavar="DATE", default=None,
              help="Only what was known at DATE (the log up to the last commit made by then).")
@click.option("--type", "types", metavar="T[,T...]", multiple=True,
              help="Only these types: decision, pattern, work, context, observation, goal, commit, note, code.")
@click.option("--mode", type=click.Choice(["lexical", "semantic", "hybrid"]), default=None,
              help="lexical (BM25), semantic (vectors) or hybrid (both and more, fused). "
                   "Default: hybrid when `patina oxidize` made vectors, else lexical.")
@click.option("--explain", is_flag=True, help="Show each oracle's rank and score for every result.")
@click.option("--code", "with_code", is_flag=True, help="Search code definitions too (needs the code source).")
@click.option("--no-persona", is_flag=True, help="Leave out the personal notes of `patina persona`.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, with every field.")
@repo_option
@db_option
@handle_errors
def scry_cmd(query, limit, until, types, mode, explain, with_code, no_persona, as_json, repo_path, db_path):
    """Search the project's knowledge: session decisions, patterns, goals, commits.

    Results from this project are tagged [PROJECT]; your persona notes are merged in,
    tagged [PERSONA]. Scores are in [0, 1]: 1.00 is the best match. With vectors
    (`patina oxidize`), lexical, semantic, temporal and persona rankings are fused;
    when `patina serve` runs for this project, the query is sent to it.

    \b
    Examples:
      patina scry "error handling"
      patina scry mothership REST --type decision,pattern --limit 5
      patina scry "why did we stop using async" --mode hybrid --explain
      patina scry "scrape pipeline" --until 2025-11-21 --json
    """
    from patina.scry.client import scry_repo

    answer = scry_repo(open_repo(repo_path, db_path), " ".join(query), limit=limit, until=until, types=_types(types),
                       code=with_code, persona=not no_persona, mode=mode, explain=explain)
    for note in answer.notes:
        click.echo(f"patina: {note}", err=True)
    if as_json:
        return echo_json({"query": " ".join(query), "terms": answer.terms, "mode": answer.mode,
                          "results": [h.to_json() for h in answer.hits]})
    if not answer.hits:
        click.echo("no results", err=True)
    for hit in answer.hits:
        click.echo(format_hit(hit) + ("\n" + format_explain(hit) if explain else ""))


@click.group("persona")
def persona_group():
    """Your personal knowledge store, outside every project ($PATINA_HOME/persona.db).

    Notes are merged into `patina scry` results, tagged [PERSONA].

    \b
    Examples:
      patina persona note "I prefer explicit error types" --tag rust
      patina persona list
      patina persona forget 3
    """


@persona_group.command("note")
@click.argument("text", nargs=-1, required=True)
@click.option("--tag", "tags", metavar="T", multiple=True, help="A tag (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the note as JSON.")
@handle_errors
def persona_note(text, tags, as_json):
    """Remember a note. Example: patina persona note "Functional core, imperative shell" --tag design"""
    from patina.scry import persona

    note = persona.add_note(" ".join(text), tags)
    if as_json:
        echo_json(note.__dict__)
    else:
        click.echo(f"noted #{note.id}")


@persona_group.command("list")
@click.option("--tag", default=None, metavar="T", help="Only notes with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def persona_list(tag, as_json):
    """List your notes, oldest first. Example: patina persona list --tag rust"""
    from patina.scry import persona

    notes = persona.list_notes(tag=tag)
    if as_json:
        echo_json([n.__dict__ for n in notes])
        return
    if not notes:
        click.echo("no notes (add one with `patina persona note TEXT`)", err=True)
    for n in notes:
        tags = f"  [{', '.join(n.tags)}]" if n.tags else ""
        click.echo(f"#{n.id}  {n.timestamp[:10]}  {_one_line(n.content)}{tags}")


@persona_group.command("forget")
@click.argument("note_id", metavar="ID", type=int)
@handle_errors
def persona_forget(note_id):
    """Delete a note for good. Example: patina persona forget 3"""
    from patina.scry import persona

    if not persona.forget(note_id):
        raise UsageError(f"no note #{note_id} (see `patina persona list`)")
    click.echo(f"forgot #{note_id}")


@click.group("projects")
def projects_group():
    """The projects `patina serve` may search ($PATINA_HOME/projects.registry).

    \b
    Examples:
      patina projects add ~/src/myapp --name myapp
      patina projects list
      patina projects remove myapp
    """


@projects_group.command("add")
@click.argument("path", required=False)
@click.option("--name", default=None, help="The project's name (default: its folder's name).")
@handle_errors
def projects_add(path, name):
    """Register a repository (default: the current one). Example: patina projects add . --name web"""
    from patina.scry import registry

    repo = open_repo(path, None)
    project = registry.add(repo.work_tree, name)
    click.echo(f"registered {project.name}: {project.path}")
    if not os.path.exists(project.db_path):
        click.echo(f"note: {project.name} has no database yet: run `patina scrape` in {project.path}", err=True)


@projects_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def projects_list(as_json):
    """List the registered projects. Example: patina projects list --json"""
    from patina.scry import registry

    projects, bad = registry.load()
    for line in bad:
        click.echo(f"patina: ignoring unreadable registry line {line}", err=True)
    if as_json:
        echo_json([{"name": p.name, "path": p.path, "indexed": os.path.exists(p.db_path)} for p in projects])
        return
    if not projects:
        click.echo("no projects (add one with `patina projects add PATH`)", err=True)
    for p in projects:
        state = "" if os.path.exists(p.db_path) else "  (not scraped yet)"
        click.echo(f"{p.name}  {p.path}{state}")


@projects_group.command("remove")
@click.argument("name")
@handle_errors
def projects_remove(name):
    """Unregister a project (its files are not touched). Example: patina projects remove web"""
    from patina.scry import registry

    if not registry.remove(name):
        raise UsageError(f"no project named {name!r} (see `patina projects list`)")
    click.echo(f"removed {name}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes your projects to the network.")
@click.option("--port", default=50051, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@handle_errors
def serve_cmd(host, port):
    """Serve scry over HTTP for the registered projects (JSON API).

    \b
    GET  /health     {"status": "ok", "version": ..., "projects": N}
    GET  /projects   {"projects": [{"name": ..., "indexed": true}]}
    POST /scry       a JSON object; only "query" is required:
      query    string       the words to look for (at most 1000 characters)
      limit    integer      results to return, 1-100 (default 10)
      until    date         only what happened on or before it (ISO 8601: 2025-11-21)
      projects [string]     registered project names (default: all of them)
      types    [string]     decision, pattern, work, context, observation, goal,
                            commit, note, code (default: all knowledge types)
      code     boolean      search current code definitions too (default false)
      persona  boolean      merge your persona notes (default true)
      mode     string       lexical, semantic or hybrid (default: hybrid where
                            vectors exist, else lexical)
      explain  boolean      each oracle's rank and score per result (default false)
    Answers {"query", "terms", "mode", "results", "problems", "notes"}; an error is
    {"error": "until: not an ISO date ..."} with a 4xx status.

    \b
    Example:
      patina serve --port 50051 &
      curl -s localhost:50051/scry -H 'content-type: application/json' \\
           -d '{"query": "error handling", "types": ["decision"], "limit": 5}'
    """
    import ipaddress

    from patina.scry import service

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(f"patina: warning: serving on {host}, not loopback: anyone who can reach it can read "
                   "the registered projects", err=True)
    click.echo(f"patina: serving on http://{host}:{port} (Ctrl-C to stop)", err=True)
    try:
        service.serve(host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
