"""``mql-notebook library ACTION``'s parsers: one ``LibraryActions`` adds each action with the
folder option, its text and what it runs (errors turned into exit codes by ``guarded``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ..errors import ConfigurationError, InvalidRequestError, LibraryError, MQLError
from .exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE

Run = Callable[[argparse.Namespace, TextIO, TextIO], int]
if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def command_group(
    subparsers: SubParsers, name: str, summary: str, description: str, metavar: str
) -> SubParsers:
    """``mql-notebook NAME ...``: a command whose sub-commands (``library list``, ``local
    stop``) are added to what this returns; one of them is required."""
    group = subparsers.add_parser(name, help=summary, description=description)
    return group.add_subparsers(dest=f"{name}_command", metavar=metavar, required=True)


def guarded(run: Run) -> Callable[..., int]:
    """``run`` with the library's errors said on ``err`` as one line and an exit code."""

    def wrapper(
        args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
    ) -> int:
        try:
            return int(run(args, out, err))
        except KeyboardInterrupt:
            print("\ninterrupted", file=err)
            return EXIT_INTERRUPTED
        except (ConfigurationError, InvalidRequestError) as error:
            print(f"mql-notebook library: {error}", file=err)
            return EXIT_USAGE
        except (LibraryError, MQLError) as error:
            print(f"mql-notebook library: {error}", file=err)
            return EXIT_ERROR

    return wrapper


class LibraryActions:
    """The ``library`` command's actions, each with ``--library DIR`` (``folder``)."""

    def __init__(self, commands: SubParsers, folder: argparse.ArgumentParser) -> None:
        self.commands = commands
        self.folder = folder

    def add(
        self,
        name: str,
        run: Callable[..., int],
        summary: str,
        description: str,
        *,
        entry: bool = False,
    ) -> argparse.ArgumentParser:
        """The action's parser, set to run ``run``; with ``entry``, its first argument is the
        entry's id."""
        parser = self.commands.add_parser(
            name, parents=[self.folder], help=summary, description=description
        )
        if entry:
            parser.add_argument("id", help="a generation id (or an entry's key)")
        parser.set_defaults(command_main=run)
        return parser
