"""`patina init`, `scrape`, `status`, `sql`, `verify`."""

from __future__ import annotations

import sys
import time

import click

from patina.cli.common import (db_option, echo_json, handle_errors, open_repo, progress_printer, repo_option,
                               say_waiting)


@click.command("init")
@repo_option
@db_option
@click.option("--pre-commit", "pre_commit", is_flag=True,
              help="Also add Patina's hooks to the team's .pre-commit-config.yaml.")
@click.option("--hooks-repo", metavar="URL", default=None,
              help="With --pre-commit: where pre-commit fetches Patina (default: where this Patina came from).")
@click.option("--hooks-rev", metavar="REV", default=None, help="With --pre-commit: the revision to pin.")
@handle_errors
def init_cmd(repo_path, db_path, pre_commit, hooks_repo, hooks_rev):
    """Set up Patina in a repository.

    Creates .patina/config.toml (the team config: commit it) and .patina/data/
    (the local database: ignored by git). Safe to run again.

    \b
    Example:
      patina init && git add .patina/config.toml && patina scrape
    """
    from patina.repo import init

    for state, path, note in init(open_repo(repo_path, db_path), pre_commit=pre_commit,
                                  hooks_repo=hooks_repo, hooks_rev=hooks_rev):
        click.echo(f"{state:9} {path}" + (f"  ({note})" if note else ""))
    click.echo("next: patina scrape   (and `patina hooks install` to keep the log current)")


@click.command("scrape")
@repo_option
@db_option
@click.option("--full", is_flag=True, help="Rebuild from an empty log instead of updating.")
@click.option("--until", metavar="DATE", default=None,
              help="Build the log as of DATE (ISO date or datetime): up to the last first-parent "
                   "commit committed at or before it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@handle_errors
def scrape_cmd(repo_path, db_path, full, until, quiet):
    """Build or update the event log from git.

    Updates incrementally: appends what is new since the last build, or truncates back to
    the newest first-parent commit the log shares with HEAD and replays (after a rebase,
    reset or branch switch). --full rebuilds from scratch. Also brings the batch derived
    tables (term statistics) current, which the hooks leave for later.

    \b
    Examples:
      patina scrape
      patina scrape --full
      patina scrape --until 2025-11-21
    """
    from patina import config
    from patina.runner import run_update

    repo = open_repo(repo_path, db_path)
    start = time.monotonic()
    with progress_printer(quiet) as report:
        result = run_update(repo, full=full, until=until, progress=report, batch=True,
                            warn=lambda m: click.echo(f"patina: warning: {m}", err=True), waiting=say_waiting)
    if config.uncommitted(repo.git_dir, repo.work_tree, result.head):
        click.echo(f"patina: warning: {config.UNCOMMITTED}", err=True)
    if not quiet:
        click.echo(result.summary(time.monotonic() - start))


@click.command("status")
@repo_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def status_cmd(repo_path, db_path, as_json):
    """What the log holds and whether it is current.

    \b
    Example:
      patina status --json | jq .events
    """
    from patina.status import collect, lines

    from patina.errors import EXIT_DB

    info = collect(open_repo(repo_path, db_path))
    if as_json:
        echo_json(info)
    else:
        click.echo("\n".join(lines(info)))
    if info["state"] == "corrupt":
        sys.exit(EXIT_DB)


@click.command("sql")
@click.argument("query")
@repo_option
@db_option
@click.option("--json", "fmt", flag_value="json", help="One JSON array of objects.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@handle_errors
def sql_cmd(query, repo_path, db_path, fmt):
    """Run a read-only SQL query against the log.

    \b
    Examples:
      patina sql "SELECT event_type, count(*) FROM eventlog GROUP BY 1"
      patina sql "SELECT sha, subject FROM commits ORDER BY seq DESC LIMIT 10" --json
    """
    from patina.projections import render, sql

    cols, rows = sql(open_repo(repo_path, db_path).db_path, query)
    click.echo(render(cols, rows, fmt or "table"), nl=False)


@click.command("verify")
@repo_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
@handle_errors
def verify_cmd(repo_path, db_path, as_json):
    """Prove the live log equals a full rebuild.

    Rebuilds from scratch into a temporary database, for the commit the live log was
    built for, and compares every eventlog row and every derived table. Exit 0 when
    identical, 1 with the first differing seq otherwise.

    \b
    Example:
      patina verify && echo "log is a pure function of HEAD"
    """
    from patina.verify import run

    result = run(open_repo(repo_path, db_path), waiting=say_waiting)
    if as_json:
        echo_json(result.as_dict())
    elif result.identical:
        click.echo(f"identical: {result.events} events, sha256 {result.sha256}")
        for note in result.notes:  # vectors: compared within a tolerance, or skipped (with the reason)
            click.echo(f"  {note}")
    else:
        click.echo(f"different: first difference at seq {result.first_difference}" if result.first_difference
                   else "different")
        for line in result.summary[:10]:
            click.echo(f"  {line}")
    sys.exit(0 if result.identical else 1)
