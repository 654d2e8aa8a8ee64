"""`patina materialize` and `patina query`: derived state and the named projections."""

from __future__ import annotations

import click

from patina.cli.common import db_option, handle_errors, open_repo, repo_option, say_waiting


@click.command("materialize")
@click.option("--full", is_flag=True, help="Rebuild every derived table from the whole log.")
@repo_option
@db_option
@handle_errors
def materialize_cmd(full, repo_path, db_path):
    """Bring the derived tables (co_changes, author_expertise, term_stats, ...) current.

    Every update (`patina scrape`, the git hooks) already keeps them current; this is the
    repair tool: it absorbs what a table missed, or with --full rebuilds them all from the
    log. Runs under the update lock, in one transaction: never half-materialized.

    \b
    Examples:
      patina materialize          # only what is stale
      patina materialize --full   # reset and rebuild everything
    """
    from patina.derived import materialize

    done = materialize(open_repo(repo_path, db_path), full, waiting=say_waiting)
    click.echo("materialized  " + ", ".join(done) if done else "derived state already current")


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
    from patina import projections
    from patina.errors import UsageError

    if list_:
        return click.echo(projections.listing(fmt), nl=False)
    if not name:
        raise UsageError("give a projection name (see `patina query --list`)")
    given = projections.parse_assignments(params)
    answer = projections.query(open_repo(repo_path, db_path).db_path, name, given, limit)
    if answer.behind:
        click.echo(f"patina: {', '.join(answer.behind)} behind the log: run `patina materialize`", err=True)
    click.echo(projections.render(answer.columns, answer.rows, fmt), nl=False)
    if not answer.rows and (fmt == "table" or answer.why_empty):
        click.echo(f"(no rows: {answer.why_empty})" if answer.why_empty else "(no rows)", err=True)
