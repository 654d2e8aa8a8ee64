"""The ``patina`` command: a thin shell over the library.

Each command lives in a module of this package and is imported only when it runs
(:class:`LazyGroup`), so ``patina hook`` and friends stay quick to start.
"""

from __future__ import annotations

import sys

import click

from patina import __version__

# command name -> "module:attribute" (a click.Command or click.Group)
COMMANDS: dict[str, str] = {
    "init": "patina.cli.core:init_cmd",
    "scrape": "patina.cli.core:scrape_cmd",
    "status": "patina.cli.core:status_cmd",
    "sql": "patina.cli.core:sql_cmd",
    "verify": "patina.cli.core:verify_cmd",
    "hook": "patina.cli.hooks:hook_cmd",
    "hooks": "patina.cli.hooks:hooks_group",
    "materialize": "patina.cli.derived:materialize_cmd",
    "query": "patina.cli.derived:query_cmd",
    "oxidize": "patina.cli.oxidize:oxidize_cmd",
    "scry": "patina.cli.scry:scry_cmd",
    "persona": "patina.cli.scry:persona_group",
    "projects": "patina.cli.scry:projects_group",
    "serve": "patina.cli.scry:serve_cmd",
}


class LazyGroup(click.Group):
    """Commands imported on first use; usage errors exit 3 (2 means "not a git repository")."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        from patina.errors import EXIT_USAGE

        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            exc.show()
            raise SystemExit(EXIT_USAGE) from None
        except click.exceptions.Abort:
            click.echo("patina: interrupted", err=True)
            raise SystemExit(130) from None
        except click.exceptions.Exit as exc:
            raise SystemExit(exc.exit_code) from None
        except click.ClickException as exc:
            exc.show()
            raise SystemExit(exc.exit_code) from None
        except BrokenPipeError:
            from patina.cli.common import quiet_exit

            quiet_exit()
        except SystemExit as exc:
            from click.utils import _PacifyFlushWrapper

            if isinstance(sys.stdout, _PacifyFlushWrapper):  # click met a closed stdout (EPIPE)
                from patina.cli.common import quiet_exit

                quiet_exit()
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        from patina import lazy

        spec = COMMANDS.get(name)
        return lazy.load(spec) if spec is not None else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="patina")
def main() -> None:
    """Patina: a git repository's history as a queryable knowledge log.

    Patina reads commits, the session notes under layer/sessions/ and the source code
    from git objects into one SQLite table, `eventlog` (.patina/data/patina.db), and
    keeps it current through git hooks.

    \b
    Start:   patina init && patina scrape
    Query:   patina sql "SELECT subject FROM commits ORDER BY seq DESC LIMIT 5"
    Keep it current:   patina hooks install
    """
