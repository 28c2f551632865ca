"""``mql-notebook batch FILE``: many prompts at once, recorded in the library, never paid twice.

Every line is checked before anything is sent (batch_file.py). Each line's create carries a
stable Idempotency-Key that the library keeps, so running the same FILE again finds every
line it already created: finished ones are skipped, running ones are waited for and
downloaded, and only a line whose create was never answered (or was refused) is sent again,
with the same key. One AsyncMQL (one connection pool) keeps at most ``--concurrency`` jobs
on the server at once (a finished job's download overlaps the next job); the library's SQLite
writes run in worker threads (client/recording.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from ..errors import ConfigurationError, GenerationFailedError, LibraryError, MQLError
from ..generation import Generation
from ..library import ENV_LIBRARY, Entry, Library
from ..library.library import OFF
from .batch_file import BatchFileError, BatchLine, parse_batch
from .batch_progress import LineResult, StatusDisplay, Tally, summary_lines
from .option_args import add_generation_options, model_from_args, options_from_args

if TYPE_CHECKING:
    from ..client import AsyncMQL

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_ALL_COMPLETED = 5
EXIT_INTERRUPTED = 130
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 1000

NEEDS_LIBRARY = (
    "batch needs the library: it is how a re-run knows which lines it already created, so "
    "that no line is ever paid twice; choose its folder with --library DIR instead"
)

Plan = Literal["create", "resume", "already", "failed"]


def add_batch_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="generate a video for every line of a file; run again to resume",
        description="Generate a video for every line of FILE: one prompt per line, or a JSON "
        'object per line ({"prompt": ..., "model": ..., "duration": ...}); blank lines and '
        "# comments are skipped. Every line is checked before anything is sent. Each line is "
        "recorded in the library: running the same FILE again creates no job for a line "
        "already created (it waits for those still running and skips finished ones). "
        "Exit 0 when every line completed, 5 otherwise (with a summary), 2 for a bad line.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the prompts, one per line")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="jobs on the server at once; downloads overlap the next jobs (default: %(default)s)",
    )
    add_generation_options(parser)  # defaults for lines that name none; checked per line
    parser.add_argument(
        "--library",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the library folder (default: ${ENV_LIBRARY}, else ./mql-videos)",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="the batch's identity for re-runs (default: FILE's absolute path); give one to "
        "move or rename FILE and still resume",
    )
    parser.add_argument("--no-library", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(command_main=run_batch_command)


def run_batch_command(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Check everything, then run the batch; every error becomes a message and an exit code."""
    if args.no_library or (args.library is None and _library_env_off()):
        print(f"mql-notebook batch: {NEEDS_LIBRARY}", file=err)
        return EXIT_USAGE
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        print(f"mql-notebook batch: --concurrency must be 1 to {MAX_CONCURRENCY}", file=err)
        return EXIT_USAGE
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"mql-notebook batch: cannot read {args.file}: {error}", file=err)
        return EXIT_USAGE
    try:
        defaults = {"model": model_from_args(args), **options_from_args(args)}
    except ConfigurationError as error:
        print(f"mql-notebook batch: {error}", file=err)
        return EXIT_USAGE
    name = args.name or str(args.file.expanduser().resolve())
    try:
        lines = parse_batch(text, name=name, defaults=defaults)
    except BatchFileError as error:
        print(f"mql-notebook batch: {args.file}: {error}; nothing was sent", file=err)
        return EXIT_USAGE
    if not lines:
        print(f"mql-notebook batch: {args.file} has no prompts; nothing to do", file=err)
        return EXIT_OK
    library = Library(args.library)
    try:
        tally = asyncio.run(_run(lines, library, args.concurrency, StatusDisplay(err), err))
    except KeyboardInterrupt:
        print(
            "\ninterrupted; jobs already created keep running: run the same command again to "
            "resume them (no line is created twice)",
            file=err,
        )
        return EXIT_INTERRUPTED
    except ConfigurationError as error:
        print(f"mql-notebook batch: {error}", file=err)
        return EXIT_USAGE
    except (LibraryError, MQLError) as error:
        print(f"mql-notebook batch: {error}", file=err)
        return EXIT_ERROR
    for line in summary_lines(tally, library=str(library.path)):
        print(line, file=err)
    completed = tally.done + tally.already == tally.total
    return EXIT_OK if completed else EXIT_NOT_ALL_COMPLETED


def plan_line(entry: Entry | None) -> Plan:
    """What a line needs, from what the library knows of its key (None: never sent)."""
    if entry is None or entry.id is None:
        # Never sent, never answered, or refused with an error (no job was made): send it,
        # with the same Idempotency-Key, so a server that did get it returns that same job.
        return "create"
    if entry.finished:
        return "already" if entry.status == "completed" else "failed"
    return "resume"  # running, or completed with its video not here yet


async def _run(
    lines: list[BatchLine], library: Library, concurrency: int, display: StatusDisplay, err: TextIO
) -> Tally:
    from ..client import AsyncMQL
    from .commands import mark_emulator
    from .library_commands import client_target

    base_url, key = client_target()  # MQL_BASE_URL=local: the background emulator, shared
    async with AsyncMQL(base_url=base_url, api_key=key, library=library) as client:
        assert client.recorder is not None
        if client.settings.in_process_emulator:  # no background emulator on this system
            print(
                "mql-notebook batch: the emulator runs inside this process: its jobs end with "
                "it, so a re-run cannot resume them; run `mql-notebook serve` and point "
                "MQL_BASE_URL at it to resume across runs",
                file=err,
            )
        if key is not None:  # the background emulator (MQL_BASE_URL=local)
            mark_emulator(client)
        origin = client.recorder.origin
        known = await asyncio.to_thread(_entries_by_key, library, origin)
        await asyncio.to_thread(library.remove_stale_parts)  # half-written by a killed run
        tally = Tally(total=len(lines))
        # A job holds its slot while the server works on it; its download then overlaps the
        # next job's (bounded too, so memory stays bounded).
        jobs, downloads = asyncio.Semaphore(concurrency), asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def show_every_so_often() -> None:
            while True:
                await asyncio.sleep(display.interval)
                display.show(tally, time.monotonic() - started)

        async def one(line: BatchLine) -> None:
            entry = known.get(line.key)
            plan = plan_line(entry)
            if plan in ("already", "failed"):
                assert entry is not None
                if plan == "already":
                    known_result = LineResult(line.number, "already", entry.id, "")
                else:
                    error = entry.error or entry.status
                    known_result = LineResult(line.number, "failed", entry.id, error)
                tally.finish(known_result, was_running=False)
                return
            async with jobs:
                tally.start()
                result = await _wait_for(client, line, entry if plan == "resume" else None)
            if isinstance(result, Generation):
                async with downloads:
                    result = await _download(client, library, line, result, plan == "create")
            tally.finish(result)

        ticker = asyncio.create_task(show_every_so_often())
        try:
            await asyncio.gather(*(one(line) for line in lines))
        finally:
            ticker.cancel()
            display.show(tally, time.monotonic() - started)
            display.close()
        return tally


async def _wait_for(
    client: AsyncMQL, line: BatchLine, entry: Entry | None
) -> Generation | LineResult:
    """Create (or resume) one line's job and wait for it: its Generation once completed."""
    video = client.video
    generation_id = entry.id if entry is not None else None
    created = generation_id is None
    try:
        if generation_id is None:
            generation = await video.create(
                line.model, line.prompt, idempotency_key=line.key, **line.options
            )
            generation_id = generation.id
            return await video.wait(generation)  # on the route it took
        return await video.wait(generation_id, route=entry.route if entry else None)
    except GenerationFailedError as error:
        return LineResult(line.number, "failed", generation_id, str(error), created)
    except MQLError as error:
        return LineResult(line.number, "unfinished", generation_id, str(error), created)


async def _download(
    client: AsyncMQL, library: Library, line: BatchLine, generation: Generation, created: bool
) -> LineResult:
    """Every video of a completed job into the library."""
    try:
        for variant in range(len(generation.variant_ids)):
            # Into the library only: its own file as dest, so no bytes are read back.
            dest = await asyncio.to_thread(library.video_path, generation.id, variant)
            await client.video.download(generation, dest, variant=variant)
    except MQLError as error:
        return LineResult(line.number, "unfinished", generation.id, str(error), created)
    return LineResult(line.number, "completed", generation.id, "", created)


def _entries_by_key(library: Library, origin: str) -> dict[str, Entry]:
    """The library's entries made on this server, by Idempotency-Key (the newest wins)."""
    found: dict[str, Entry] = {}
    for entry in reversed(library.entries()):  # oldest first, so newer ones overwrite
        if entry.idempotency_key and entry.origin == origin:
            found[entry.idempotency_key] = entry
    return found


def _library_env_off() -> bool:
    import os

    return os.environ.get(ENV_LIBRARY, "").strip().lower() == OFF
