"""`patina hook`, `patina hooks install|uninstall|status`, `patina verify`."""

from __future__ import annotations

import sys

import click

from patina.cli.common import db_option, echo_json, handle_errors, open_repo, repo_option


@click.command("hook", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name", type=click.Choice(["post-commit", "post-merge", "post-checkout", "post-rewrite", "auto"]))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook_cmd(name, args):
    """Run by git hooks: update the log incrementally. Always exits 0.

    \b
    Example (what .git/hooks/post-checkout runs):
      patina hook post-checkout OLD NEW 1
    """
    from patina.hooks import run_hook

    sys.exit(run_hook([name, *args]))


@click.group("hooks")
def hooks_group():
    """Install, remove or inspect Patina's git hooks in this repository.

    \b
    Examples:
      patina hooks install
      patina hooks status
    """


def _print(rows):
    for name, state in rows:
        click.echo(f"{name:<14} {state}")


@hooks_group.command("install")
@repo_option
@handle_errors
def hooks_install(repo_path):
    """Install post-commit, post-merge, post-checkout and post-rewrite hooks.

    Honours core.hooksPath and worktrees; an existing hook is kept as <hook>.legacy and
    runs first. Idempotent.

    \b
    Example:
      patina hooks install
    """
    from patina.hooks import hooks_dir, install

    _print(install(repo_path))
    click.echo(f"hooks dir      {hooks_dir(repo_path)}")


@hooks_group.command("uninstall")
@repo_option
@handle_errors
def hooks_uninstall(repo_path):
    """Remove Patina's hooks (restoring any hook they had chained).

    \b
    Example:
      patina hooks uninstall
    """
    from patina.hooks import uninstall

    _print(uninstall(repo_path))


@hooks_group.command("status")
@repo_option
@handle_errors
def hooks_status(repo_path):
    """Show which hooks are installed.

    \b
    Example:
      patina hooks status
    """
    from patina.hooks import hooks_dir, status

    _print(status(repo_path))
    click.echo(f"hooks dir      {hooks_dir(repo_path)}")


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
    from patina.errors import DatabaseError
    from patina.lock import locked
    from patina.verify import verify

    repo = open_repo(repo_path, db_path)
    import os

    if not os.path.exists(repo.db_path):
        raise DatabaseError(f"no database at {repo.db_path}: run `patina scrape` first")
    with locked(repo.db_path):
        result = verify(repo)
    if as_json:
        echo_json(result.as_dict())
    elif result.identical:
        click.echo(f"identical: {result.events} events, sha256 {result.sha256}")
    else:
        click.echo(f"different: first difference at seq {result.first_difference}" if result.first_difference
                   else "different")
        for line in result.summary[:10]:
            click.echo(f"  {line}")
    sys.exit(0 if result.identical else 1)
