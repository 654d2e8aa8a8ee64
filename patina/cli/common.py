"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import click

from patina.errors import EXIT_DB, EXIT_INTERNAL, PatinaError

repo_option = click.option(
    "--repo", "repo_path", metavar="PATH", default=None,
    help="The git repository (default: the one containing the current directory).",
)
db_option = click.option(
    "--db", "db_path", metavar="PATH", default=None,
    help="The database file (default: <repo>/.patina/data/patina.db; required for bare repositories).",
)


def open_repo(repo_path: str | None, db_path: str | None):
    from patina.repo import discover

    return discover(repo_path, db_path)


def say_waiting(who: str | None) -> None:
    """Told once when a command waits for the update lock: say who holds it."""
    click.echo(f"patina: waiting for {who or 'another patina'} to release the lock...", err=True)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and a distinct exit code for every error; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PatinaError as exc:
            click.echo(f"patina: {exc.worded('--')}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # `patina ... | head`: the reader left; end quietly
            quiet_exit()
        except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond what health saw
            click.echo(f"patina: the database is unreadable ({exc}): run `patina scrape --full` to rebuild it",
                       err=True)
            sys.exit(EXIT_DB)
        except KeyboardInterrupt:
            click.echo("patina: interrupted; the database is as it was before this command", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, and the details where they can be read
            click.echo(f"patina: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


def quiet_exit() -> None:
    """Leave with exit 0 and nothing more written: stdout is a closed pipe (Python would
    otherwise report the failed flush at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    os._exit(0)


def echo_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@contextmanager
def progress_printer(quiet: bool, label: str = "reading commits",
                     minimum: int = 200) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on stderr when it is a terminal (None when piped or quiet);
    no bar for less than ``minimum`` steps."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    state: dict = {}

    def report(done: int, total: int) -> None:
        if "bar" not in state:
            if total < minimum:
                return
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)

    try:
        yield report
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
