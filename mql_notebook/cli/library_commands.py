"""``mql-notebook library list|show|resume|delete|rate|note|export``: the library from a terminal.

``--json`` prints one JSON object per entry per line (JSON Lines), with the fixed keys of
``Entry.to_dict()`` (listed in README.md), so scripts can rely on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..library import ENV_LIBRARY, INDEX_NAME, Entry, Library
from ..status import STATUSES
from .console import is_terminal, print_table
from .exit_codes import EXIT_ERROR, EXIT_NOT_ALL_COMPLETED, EXIT_OK, EXIT_USAGE
from .library_action import LibraryActions, command_group, guarded
from .library_export import add_export_parser
from .library_money import add_money_parsers


def add_library_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands = command_group(
        subparsers,
        "library",
        "list, show, resume or delete the generations kept in the library",
        "The library: every generation recorded the moment it was requested, with its videos. "
        "It never deletes or changes a job on the server.",
        "ACTION",
    )
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--library",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the library folder (default: ${ENV_LIBRARY}, else ./mql-videos)",
    )

    actions = LibraryActions(commands, folder)
    listing = actions.add("list", run_list, "the entries, newest first", "List entries.")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--status", choices=STATUSES, default=None, help="only this status")
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    listing.add_argument(
        "--rating",
        type=int,
        choices=range(6),
        default=None,
        metavar="N",
        help="only entries rated N stars (0-5) or more",
    )

    show = actions.add("show", run_show, "one entry in full", "Show one entry.", entry=True)
    show.add_argument("--json", action="store_true", help="the entry as one JSON object")

    resume = actions.add(
        "resume",
        run_resume,
        "wait for and download every unfinished entry",
        "Wait for every unfinished entry that has an id and download its videos "
        "into the library; creates nothing new. An entry whose create was never answered is "
        "listed; --resend-unanswered sends it again with its Idempotency-Key (no second job "
        "only if the server honours that key). Exit 0 when all completed, else 5.",
    )
    resume.add_argument("--resend-unanswered", action="store_true")
    resume.add_argument("--json", action="store_true", help="one JSON object per entry")

    delete = actions.add(
        "delete",
        run_delete,
        "remove an entry and its files (never the job on the server)",
        "Remove an entry and its video and poster files from the library. The "
        "job on the server is not touched.",
        entry=True,
    )
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask")
    rate = actions.add(
        "rate",
        run_rate,
        "give an entry 0-5 stars (none: clear its rating)",
        "Rate an entry: 0 to 5 stars, or 'none' to clear the rating. "
        "`library list --rating N` lists those rated N or more.",
        entry=True,
    )
    rate.add_argument("stars", help="0, 1, 2, 3, 4 or 5; none clears it")
    note = actions.add(
        "note",
        run_note,
        "keep a note on an entry ('' clears it)",
        "Keep a note on an entry, shown by `library show` and searched by the "
        "gallery's filter. An empty text clears it.",
        entry=True,
    )
    note.add_argument("text", help="the note (quote it); '' clears it")
    add_money_parsers(actions)
    add_export_parser(actions)


def _open(args: argparse.Namespace) -> Library | None:
    """The library, or None when its folder has no index yet (reading never creates one)."""
    library = Library(args.library)
    return library if (library.path / INDEX_NAME).exists() else None


@guarded
def run_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.limit is not None and args.limit < 0:
        print("mql-notebook library list: --limit must be >= 0", file=err)
        return EXIT_USAGE
    library = _open(args)
    entries = (
        library.entries(status=args.status, limit=args.limit, min_rating=args.rating)
        if library
        else []
    )
    if args.json:
        for entry in entries:
            print(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=False), file=out)
        return EXIT_OK
    if not entries:
        where = Library(args.library).path
        print(f"no entries in {where}", file=err)
        return EXIT_OK
    if is_terminal(out):  # rich's table, with each entry's cost
        rows = [
            [
                e.id or f"(unanswered {e.key[:8]})",
                e.status,
                _when(e.created_at),
                e.model or "-",
                e.cost_text(),
                stars(e.rating),
                (e.prompt or "").replace("\n", " "),
            ]
            for e in entries
        ]
        print_table(
            out,
            ["ID", "STATUS", "CREATED", "MODEL", "COST", "RATING", "PROMPT"],
            rows,
            right=("COST",),
        )
        return EXIT_OK
    print(f"{'ID':<40} {'STATUS':<10} {'CREATED':<16} {'MODEL':<14} PROMPT", file=out)
    for entry in entries:
        print(_row(entry), file=out)
    return EXIT_OK


@guarded
def run_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = _open(args)
    entry = library.get(args.id) if library else None
    if entry is None:
        print(f"mql-notebook library show: no entry {args.id!r} in {_where(args)}", file=err)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(entry.to_dict(), ensure_ascii=False, indent=2), file=out)
        return EXIT_OK
    for name, value in entry.to_dict().items():
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        elif name.endswith("_at") and isinstance(value, (int, float)):
            value = f"{_when(value)} ({value:.3f})"
        print(f"{name + ':':<17}{'' if value is None else value}", file=out)
    return EXIT_OK


@guarded
def run_resume(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..client import MQL
    from .commands import mark_emulator

    library = _open(args)
    if library is None:
        print(f"nothing to resume: no library in {_where(args)}", file=err)
        return EXIT_OK
    pending = library.pending()
    if not pending:
        print(f"nothing to resume in {library.path}", file=err)
        return EXIT_OK
    print(f"resuming {len(pending)} unfinished entr{'y' if len(pending) == 1 else 'ies'}", file=err)
    base_url, key = client_target()  # MQL_BASE_URL=local: the background emulator, shared
    with MQL(base_url=base_url, api_key=key, library=library) as client:
        if key is not None:  # the background emulator (MQL_BASE_URL=local)
            mark_emulator(client)
        resumed = client.video.resume_pending(resend_unanswered=args.resend_unanswered)
    for item in resumed:
        if args.json:
            print(json.dumps(item.to_dict(), ensure_ascii=False), file=out)
        else:
            name = item.entry.id or f"(unanswered {item.entry.idempotency_key})"
            message = f": {item.message}" if item.message else ""
            print(f"{name} {item.outcome}{message}", file=out)
    completed = all(item.outcome == "completed" for item in resumed)
    return EXIT_OK if completed else EXIT_NOT_ALL_COMPLETED


@guarded
def run_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = _open(args)
    entry = library.get(args.id) if library else None
    if library is None or entry is None:
        print(f"mql-notebook library delete: no entry {args.id!r} in {_where(args)}", file=err)
        return EXIT_ERROR
    count = sum(1 for f in (*entry.files, *entry.posters) if f is not None)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "mql-notebook library delete: not a terminal to ask on; add --yes to delete",
                file=err,
            )
            return EXIT_USAGE
        answer = input(
            f"delete {_label(entry)} and its {count} file(s) from {library.path}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=err)
            return EXIT_OK
    library.delete(entry.key)
    print(
        f"deleted {_label(entry)} and its {count} file(s); the job on the server is untouched",
        file=err,
    )
    return EXIT_OK


@guarded
def run_rate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    text = args.stars.strip().lower()
    # Anything but none or a whole number goes as given: Library.rate says what is allowed.
    stars: Any = int(text) if text.lstrip("-").isdigit() else text
    stars = None if text in ("none", "clear") else stars
    return _change(args, err, "rate", lambda lib: lib.rate(args.id, stars))


@guarded
def run_note(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return _change(args, err, "note", lambda lib: lib.note(args.id, args.text))


def _change(args: argparse.Namespace, err: TextIO, name: str, change: Any) -> int:
    library = _open(args)
    if library is None or not change(library):
        print(f"mql-notebook library {name}: no entry {args.id!r} in {_where(args)}", file=err)
        return EXIT_ERROR
    entry = library.get(args.id)
    assert entry is not None
    said = stars(entry.rating) if name == "rate" else repr(entry.note or "")
    print(f"{_label(entry)}: {'rating' if name == 'rate' else 'note'} {said}", file=err)
    return EXIT_OK


def stars(rating: int | None) -> str:
    """``★★★☆☆`` for 3 of 5, ``-`` when not rated."""
    return "-" if rating is None else "★" * rating + "☆" * (5 - rating)


def client_target() -> tuple[str | None, str | None]:
    """(base_url, api_key) for a client as the other commands make it: with MQL_BASE_URL=local,
    the background emulator every command shares (with a placeholder key, never the user's)."""
    import os

    from ..client.settings import LOOPBACK_PLACEHOLDER_KEY
    from .commands import _base_url

    base_url, local = _base_url(os.environ)
    return base_url, (LOOPBACK_PLACEHOLDER_KEY if local and base_url else None)


def _row(entry: Entry) -> str:
    name = entry.id or f"(unanswered {entry.key[:8]})"
    prompt = (entry.prompt or "").replace("\n", " ")
    prompt = prompt if len(prompt) <= 60 else prompt[:57] + "..."
    return (
        f"{name:<40} {entry.status:<10} {_when(entry.created_at):<16} "
        f"{(entry.model or '-'):<14} {prompt}"
    )


def _label(entry: Entry) -> str:
    return entry.id or f"the unanswered entry {entry.key}"


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _where(args: argparse.Namespace) -> Path:
    return Library(args.library).path
