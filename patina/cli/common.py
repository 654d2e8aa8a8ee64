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
def progress_printer(quiet: bool, task: str = "building the log", unit: str = "commits",
                     minimum: int = 200) -> Iterator[Callable[..., None] | None]:
    """A progress line on stderr for a long job (``minimum`` steps or more): on a terminal,
    redrawn after each batch with an estimate of the time left; otherwise one line when the job
    starts (the summary comes at the end). The estimate divides the steps left by the *recent*
    rate (the last batches, not the average since the start): what a commit costs grows with the
    code it touches, which grows along the history, and the blob bytes read show how heavy the
    recent commits are."""
    import time

    if quiet:
        yield None
        return
    tty = sys.stderr.isatty()
    state = {"shown": False, "marks": []}

    def report(done: int, total: int, read: int | None = None) -> None:
        now = time.monotonic()
        marks = state["marks"]
        marks.append((now, done))
        if total < minimum:
            return
        if not tty:
            if not state["shown"]:
                click.echo(f"patina: {task}: {total} {unit} to go", err=True)
                state["shown"] = True
            return
        recent = [m for m in marks if m[0] >= now - max(2.0, (now - marks[0][0]) / 5)] or marks
        t0, d0 = recent[0] if len(recent) > 1 else marks[0]
        rate = (done - d0) / (now - t0) if now > t0 and done > d0 else 0.0
        left = f"{(total - done) / rate:.0f} s left" if rate else "estimating"
        volume = f", {read / 1e6:.0f} MB of files read" if read is not None else ""
        click.echo(f"\r  {done}/{total} {unit} ({100 * done // total}%){volume}, {left}   ", err=True, nl=False)
        state["shown"] = True

    try:
        yield report
    finally:
        if tty and state["shown"]:
            click.echo(err=True)
