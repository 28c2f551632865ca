"""The ``mql-notebook`` console script.

MINIMAL FOR NOW: it only dispatches ``serve`` (the local emulator, mql_notebook/local/cli.py).
The client's commands (generate, status, download in commands.py) are to be wired in here
by extending ``build_parser`` and ``main``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mql-notebook", description="Generate videos with the Metriqual API.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    try:
        from .local.cli import add_serve_parser
    except ImportError as err:  # the `local` extra is not installed: say how to get it
        serve = subparsers.add_parser("serve", help="run the local emulator (needs the local extra)")
        serve.set_defaults(missing_extra=str(err))
    else:
        add_serve_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        if getattr(args, "missing_extra", None):
            print(f"mql-notebook serve: {args.missing_extra}", file=sys.stderr)
            return 1
        from .local.cli import run_serve

        return run_serve(args)
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
