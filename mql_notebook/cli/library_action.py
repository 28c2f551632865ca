"""One ``mql-notebook library ACTION``'s parser: the folder option, its text, what it runs."""

from __future__ import annotations

import argparse
from typing import Any


def library_action(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    folder: argparse.ArgumentParser,
    name: str,
    run: Any,
    summary: str,
    description: str,
    *,
    entry: bool = False,
) -> argparse.ArgumentParser:
    """The action's parser (``--library DIR`` from ``folder``), set to run ``run``; with
    ``entry``, its first argument is the entry's id."""
    parser = commands.add_parser(name, parents=[folder], help=summary, description=description)
    if entry:
        parser.add_argument("id", help="a generation id (or an entry's key)")
    parser.set_defaults(command_main=run)
    return parser
