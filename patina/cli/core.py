"""`patina init`, `scrape`, `status`, `sql`."""

from __future__ import annotations

import os
import sys
import time

import click

from patina.cli.common import db_option, echo_json, handle_errors, open_repo, repo_option


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
    from patina import config
    from patina.repo import ensure_data_dir

    repo = open_repo(repo_path, db_path)
    if repo.work_tree is None:
        ensure_data_dir(repo) if db_path is None else os.makedirs(os.path.dirname(repo.db_path), exist_ok=True)
        click.echo(f"bare repository: database at {repo.db_path}")
        return
    cfg = os.path.join(repo.work_tree, config.CONFIG_PATH)
    if os.path.exists(cfg):
        click.echo(f"kept      {config.CONFIG_PATH}")
    else:
        os.makedirs(os.path.dirname(cfg), exist_ok=True)
        with open(cfg, "w", encoding="utf-8") as fh:
            fh.write(config.DEFAULT_TEXT)
        click.echo(f"created   {config.CONFIG_PATH}  (team config: commit it)")
    ensure_data_dir(repo)
    click.echo(f"ignored   {os.path.relpath(repo.data_dir, repo.work_tree)}/  (local database)")
    if pre_commit:
        from patina.precommit import add_to_config

        path, changed = add_to_config(repo.work_tree, hooks_repo, hooks_rev)
        click.echo(f"{'updated' if changed else 'kept':9} {os.path.relpath(path, repo.work_tree)}"
                   "  (then: pre-commit install)")
    click.echo("next: patina scrape   (and `patina hooks install` to keep the log current)")


def _progress_printer(quiet: bool):
    """A progress bar on stderr when it is a terminal; nothing when piped or --quiet."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    state: dict = {}

    def report(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            if total < 200:
                return
            bar = click.progressbar(length=total, label="reading commits", file=sys.stderr)
            bar.__enter__()
            state["bar"] = bar
        bar.update(done - bar.pos)

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return report, close


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
    from patina.errors import UsageError
    from patina.events import parse_when
    from patina.runner import run_update

    if until is not None:
        try:
            parse_when(until)
        except ValueError as exc:
            raise UsageError(f"--until: {exc}") from None
    repo = open_repo(repo_path, db_path)
    report, close = _progress_printer(quiet)
    start = time.monotonic()
    try:
        result = run_update(repo, full=full, until=until, progress=report, batch=True,
                            warn=lambda m: click.echo(f"patina: warning: {m}", err=True))
    finally:
        close()
    if quiet:
        return
    took = time.monotonic() - start
    if result.head is None:
        click.echo("empty repository (unborn branch): the log is empty")
    elif result.action == "unchanged":
        click.echo(f"up to date at {result.head[:12]}: {result.last_seq} events")
    else:
        extra = f", truncated to seq {result.truncated_to}" if result.truncated_to is not None else ""
        click.echo(f"{result.action}: {result.commits_added} commits, +{result.events_added} events{extra}; "
                   f"{result.last_seq} events at {result.head[:12]} ({took:.2f} s)")


def collect_status(repo) -> dict:
    from patina import derived, store
    from patina.update import current_head

    info: dict = {"database": repo.db_path, "exists": os.path.exists(repo.db_path)}
    head = current_head(repo)
    info["head"] = head
    if not info["exists"]:
        info["state"] = "missing"
        return info
    conn = store.connect(repo.db_path, readonly=True)
    try:
        info["state"] = store.health(conn)
        info["size_bytes"] = os.path.getsize(repo.db_path)
        if info["state"] != "ok":
            return info
        built = store.get_meta(conn, "head")
        info["built_for"] = built
        info["up_to_date"] = built == head
        info["last_seq"] = store.last_seq(conn)
        info["events"] = dict(conn.execute(
            "SELECT event_type, count(*) FROM eventlog GROUP BY event_type ORDER BY event_type").fetchall())
        info["shallow"] = store.get_meta(conn, "shallow") == "1"
        info["incomplete_commits"] = [r[0] for r in conn.execute("SELECT sha FROM incomplete_commits ORDER BY sha")]
        info["stale_derived"] = derived.stale(conn)
    finally:
        conn.close()
    if repo.work_tree:
        from patina import config as team_config
        from patina.errors import ConfigError
        from patina.sources.sessions import pending_session_files

        try:
            cfg, _ = team_config.load(repo.git_dir, head)
        except ConfigError:  # the build warned about it already; list against the defaults
            cfg, _ = team_config.load(repo.git_dir, None)
        info["pending_sessions"] = pending_session_files(repo.work_tree, cfg)
    return info


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
    repo = open_repo(repo_path, db_path)
    info = collect_status(repo)
    if as_json:
        echo_json(info)
        return
    click.echo(f"database   {info['database']} ({info['state']}"
               + (f", {info['size_bytes'] / 1024:.0f} KiB)" if "size_bytes" in info else ")"))
    if info["state"] != "ok":
        click.echo("           run `patina scrape` to build it" if info["state"] == "missing"
                   else "           run `patina scrape --full` to rebuild it")
        return
    built = info.get("built_for")
    click.echo(f"HEAD       {(info['head'] or '(unborn)')[:12]}"
               + ("  (log current)" if info["up_to_date"] else f"  (log built for {(built or '-')[:12]}: run `patina scrape`)"))
    click.echo(f"last seq   {info['last_seq']}")
    for etype, count in info["events"].items():
        click.echo(f"  {etype:<24} {count}")
    if info["shallow"]:
        click.echo("shallow    yes: history before the shallow boundary is not in the log")
    if info["incomplete_commits"]:
        click.echo(f"incomplete {len(info['incomplete_commits'])} commit(s) with missing objects")
    click.echo("derived    " + (("stale: " + ", ".join(info["stale_derived"]) + "  (run `patina materialize`)")
                                if info["stale_derived"] else "current"))
    if info.get("pending_sessions"):
        click.echo("pending    " + ", ".join(info["pending_sessions"]) + "  (uncommitted session files)")


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
    import sqlite3

    from patina import store
    from patina.errors import QueryError

    repo = open_repo(repo_path, db_path)
    conn = store.connect(repo.db_path, readonly=True)
    try:
        cur = conn.execute(query)
        cols = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except sqlite3.Error as exc:
        raise QueryError(f"query failed: {exc}") from None
    finally:
        conn.close()
    from patina.projections import render

    click.echo(render(cols, rows, fmt or "table"), nl=False)
