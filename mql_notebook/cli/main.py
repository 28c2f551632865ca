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


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """As ``parser.parse_args``, but an unknown argument is reported with the usage of the
    (sub)command it was given to (``usage: mql-notebook generate ...``), not the top level's."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(args_list)
    if unknown:
        command_parser(parser, args, args_list, unknown[0]).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    return args


def command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str], first_unknown: str
) -> argparse.ArgumentParser:
    """The innermost subcommand's parser named before ``first_unknown`` on the command line."""
    position = argv.index(first_unknown) if first_unknown in argv else len(argv)
    start = 0
    while True:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, actions[0].dest, None) if actions else None
        if name is None or name not in argv[start:position]:
            return parser
        start = argv.index(name, start) + 1
        parser = actions[0].choices[name]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(build_parser(), argv)
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
