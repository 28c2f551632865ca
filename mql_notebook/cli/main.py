"""The ``mql-notebook`` console script: generate, status, wait, download, serve, demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from .batch import add_batch_parser
from .commands import add_client_parsers, run_client_command
from .demo import add_demo_parser
from .library_commands import add_library_parser
from .local_commands import add_local_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mql-notebook",
        description="Generate videos with the Metriqual (Sora) API. Set MQL_API_KEY, "
        "or MQL_BASE_URL=local to use the built-in emulator.",
    )
    parser.add_argument("--version", action="version", version=f"mql-notebook {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_client_parsers(subparsers)
    try:
        from ..local.cli import add_serve_parser
    except ImportError as err:  # the `local` extra is not installed: say how to get it
        serve = subparsers.add_parser(
            "serve", help="run the local emulator (needs the local extra)"
        )
        serve.set_defaults(missing_extra=str(err))
    else:
        add_serve_parser(subparsers)
    add_demo_parser(subparsers)
    add_library_parser(subparsers)
    add_batch_parser(subparsers)
    add_local_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "command_main", None):  # library, batch, local
        return int(args.command_main(args))
    if args.command == "serve":
        if getattr(args, "missing_extra", None):
            print(f"mql-notebook serve: {args.missing_extra}", file=sys.stderr)
            return 1
        from ..local.cli import run_serve

        return run_serve(args)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args)
    return run_client_command(args)
