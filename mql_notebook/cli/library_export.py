"""``mql-notebook library export DIR``: a folder with a page to share that works offline."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TextIO

from ..library import INDEX_NAME, Library
from ..library.export import choose, export
from .exit_codes import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from .library_action import LibraryActions, guarded


def add_export_parser(actions: LibraryActions) -> None:
    command = actions.add(
        "export",
        guarded(run_export),
        "a folder with index.html and the videos, to share (works offline)",
        "Write DIR/index.html (self-contained: no network, one script allowed by "
        "its hash) with DIR/videos, DIR/posters and DIR/images: every downloaded video's "
        "prompt, options, cost, rating and note, and a synced compare. Open it from file://.",
    )
    command.add_argument("dir", metavar="DIR", help="the folder to write (made if missing)")
    command.add_argument(
        "--rating",
        type=int,
        default=None,
        metavar="N",
        help="only entries rated N stars or more",
    )
    command.add_argument(
        "--since",
        default=None,
        metavar="DATE",
        help="only entries created on or after this day (YYYY-MM-DD, local time)",
    )


def since_of(text: str) -> float:
    """Unix seconds of a day (``YYYY-MM-DD``) or a time (``YYYY-MM-DDTHH:MM``), local time."""
    return dt.datetime.fromisoformat(text).timestamp()


def run_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    since = None
    if args.since is not None:
        try:
            since = since_of(args.since)
        except ValueError:
            print(
                f"mql-notebook library export: --since {args.since!r} is not a date "
                "(YYYY-MM-DD, or YYYY-MM-DDTHH:MM)",
                file=err,
            )
            return EXIT_USAGE
    rating = args.rating
    if rating is not None and not 0 <= rating <= 5:
        print(f"mql-notebook library export: --rating must be 0 to 5, not {rating}", file=err)
        return EXIT_USAGE
    library = Library(args.library)
    if not (library.path / INDEX_NAME).exists():
        print(f"mql-notebook library export: no library in {library.path}", file=err)
        return EXIT_ERROR
    chosen = choose(library.entries(), rating=rating, since=since)
    index = export(library, args.dir, chosen)
    print(index, file=out)
    print(f"exported from {library.path}; open {index.as_uri()} in a browser", file=err)
    return EXIT_OK
