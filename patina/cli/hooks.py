"""`patina hook`, `patina hooks install|uninstall|status`."""

from __future__ import annotations

import sys

import click

from patina.cli.common import handle_errors, repo_option
from patina.hooks import HOOK_NAMES


@click.command("hook", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name", type=click.Choice([*HOOK_NAMES, "auto"]))
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
