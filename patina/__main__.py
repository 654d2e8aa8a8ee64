"""Entry point. ``patina hook ...`` takes a fast path that never imports click."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["hook"]:
        from patina.hooks import run_hook

        sys.exit(run_hook(argv[1:]))
    from patina.cli import main as cli_main

    cli_main(prog_name="patina")


if __name__ == "__main__":
    main()
