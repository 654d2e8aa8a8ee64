"""`patina materialize` and `patina query`: derived state and the named projections."""

from __future__ import annotations

import click

from patina.cli.common import db_option, echo_json, handle_errors, open_repo, repo_option


@click.command("materialize")
@click.option("--full", is_flag=True, help="Rebuild every derived table from the whole log.")
@repo_option
@db_option
@handle_errors
def materialize_cmd(full, repo_path, db_path):
    """Bring the derived tables (co_changes, author_expertise, term_stats, ...) current.

    The git hooks keep the incremental ones current; batch ones (term_stats) are
    rebuilt here when stale (`patina status` lists them). Runs under the update lock,
    in one transaction: the database is never half-materialized.

    \b
    Examples:
      patina materialize          # only what is stale
      patina materialize --full   # reset and rebuild everything
    """
    import os

    from patina import store
    from patina.errors import DatabaseError, LockBusy
    from patina.lock import locked

    repo = open_repo(repo_path, db_path)
    if not os.path.exists(repo.db_path):
        raise DatabaseError(f"no database at {repo.db_path}: run `patina scrape` first")
    with locked(repo.db_path) as got:
        if not got:  # pragma: no cover - waits for ever by default
            raise LockBusy("another patina update holds the lock")
        conn = store.connect(repo.db_path)
        try:
            if store.health(conn, quick=True) != "ok":
                raise DatabaseError(f"{repo.db_path} is not a current Patina database: run `patina scrape`")
            with store.transaction(conn):
                done = run_materialize(conn, full)
        finally:
            conn.close()
    if done:
        click.echo("materialized  " + ", ".join(done))
    else:
        click.echo("derived state already current")


def run_materialize(conn, full: bool) -> list[str]:
    """Rebuild all (full) or bring the stale ones current; the names that were worked on."""
    from patina import derived

    if full:
        return derived.rebuild_all(conn)
    behind = derived.stale(conn)
    if not behind:
        return []
    derived.absorb_all(conn, None)  # incremental ones: absorb the tail (reset if ahead of the log)
    still = derived.stale(conn)  # batch ones
    if still:
        derived.rebuild_all(conn, only=still)
    return behind


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the projection (repeatable). See `patina query --list`.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N", help="At most N rows.")
@click.option("--list", "list_", is_flag=True, help="List the projections, their parameters and defaults.")
@repo_option
@db_option
@handle_errors
def query_cmd(name, params, fmt, limit, list_, repo_path, db_path):
    """Run a named projection of the log (a read-only SQL file shipped with Patina).

    \b
    Examples:
      patina query --list
      patina query co-occurrence --param file=src/app.py --limit 10
      patina query decision-context --param days=7 --format json
      patina query decisions-between -p since=2025-11-01 -p until=2025-11-30 --format csv
      patina query as-of --param at=2025-11-21 --param type='git.*'
    """
    from patina import projections, store
    from patina.errors import UsageError

    if list_:
        projs = projections.all_projections()
        if fmt == "json":
            echo_json([{"name": p.name, "description": p.description,
                        "params": [{"name": q.name, "type": q.type, "default": q.default,
                                    "required": q.required, "help": q.help} for q in p.params]}
                       for p in projs])
        else:
            click.echo("\n\n".join(projections.describe(p) for p in projs))
        return
    if not name:
        raise UsageError("give a projection name (see `patina query --list`)")
    given = projections.parse_assignments(params)
    projections.bind(projections.load(name), given)  # usage errors before opening the database
    repo = open_repo(repo_path, db_path)
    conn = store.connect(repo.db_path, readonly=True)
    try:
        behind = projections.stale_inputs(conn, name)
        cols, rows = projections.run(conn, name, given, limit)
    finally:
        conn.close()
    if behind:
        click.echo(f"patina: {', '.join(behind)} behind the log: run `patina materialize`", err=True)
    click.echo(projections.render(cols, rows, fmt), nl=False)
    if fmt == "table" and not rows:
        click.echo("(no rows)", err=True)
