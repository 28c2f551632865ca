"""``mql-notebook batch FILE``: many prompts at once, recorded in the library, never paid twice.

Every line is checked before anything is sent (batch/lines.py). Each line's create carries a
stable Idempotency-Key that the library keeps, so running the same FILE again finds every
line it already created: finished ones are skipped, running ones are waited for and
downloaded, and only a line whose create was never answered (or was refused) is sent again,
with the same key. One AsyncMQL (one connection pool) keeps at most ``--concurrency`` jobs
on the server at once (a finished job's download overlaps the next job), fewer while the
gateway answers busy (429/503: its limit is learned, client/concurrency.py; such a line is
sent again, never failed); a money answer (BillingError) stops every create not yet sent. A
line that failed (moderation included) is not sent again unless ``--retry-failed``. The
library's SQLite writes run in worker threads (client/recording.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..batch.lines import BatchFileError, BatchLine, parse_batch
from ..batch.plan import attempt_key, failed_message, latest_attempt, plan_line
from ..errors import (
    BillingError,
    BudgetExceededError,
    ConfigurationError,
    ContentRefusedError,
    GenerationFailedError,
    LibraryError,
    MQLError,
)
from ..generation import Generation
from ..library import ENV_LIBRARY, Entry, Library
from ..library.library import OFF
from .batch_money import Declined, add_money_options, announce, budget_from_args
from .batch_progress import LineResult, Outcome, StatusDisplay, Tally, summary_lines
from .exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_NOT_ALL_COMPLETED, EXIT_OK, EXIT_USAGE
from .option_args import add_generation_options, model_from_args, options_from_args

if TYPE_CHECKING:
    from ..client import AsyncMQL
    from ..client.concurrency import AdaptiveSlots
    from ..money import Budget

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 1000

NEEDS_LIBRARY = (
    "batch needs the library: it is how a re-run knows which lines it already created, so "
    "that no line is ever paid twice; choose its folder with --library DIR instead"
)


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
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="send again, as new (billed) jobs, the lines whose job failed or whose content "
        "moderation refused; without it they stay failed",
    )
    parser.add_argument("--no-library", action="store_true", help=argparse.SUPPRESS)
    add_money_options(parser)
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
        budget = budget_from_args(args)
        display = StatusDisplay(err)
        run = _run(
            lines,
            library,
            args.concurrency,
            display,
            err,
            budget=budget,
            yes=args.yes,
            retry_failed=args.retry_failed,
        )
        tally = asyncio.run(run)
    except Declined:
        print("mql-notebook batch: not started; nothing was sent", file=err)
        return EXIT_OK
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


async def _run(
    lines: list[BatchLine],
    library: Library,
    concurrency: int,
    display: StatusDisplay,
    err: TextIO,
    *,
    budget: Budget | None = None,
    yes: bool = False,
    retry_failed: bool = False,
) -> Tally:
    from ..client import AsyncMQL
    from ..client.concurrency import AdaptiveSlots, ConcurrencyController
    from .commands import mark_emulator
    from .library_commands import client_target

    base_url, key = client_target()  # MQL_BASE_URL=local: the background emulator, shared
    async with AsyncMQL(base_url=base_url, api_key=key, library=library, budget=budget) as client:
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
        to_create = [line for line in lines if plan_line(known.get(line.key)) == "create"]
        await announce(client, to_create, own=budget, yes=yes, err=err)  # may ask first
        tally = Tally(total=len(lines))
        # A job holds its slot while the server works on it (fewer slots while the gateway
        # answers busy); its download then overlaps the next job's (bounded too).
        slots = AdaptiveSlots(ConcurrencyController(concurrency))
        downloads = asyncio.Semaphore(concurrency)
        stopped: list[str] = []  # a money answer: no more creates (each would get the same)
        started = time.monotonic()

        async def show_every_so_often() -> None:
            while True:
                await asyncio.sleep(display.interval)
                tally.at_once = slots.controller.allowed
                display.show(tally, time.monotonic() - started)

        async def one(line: BatchLine) -> None:
            attempt, entry = latest_attempt(known, line.key)
            plan = plan_line(entry, retry_failed=retry_failed)
            if plan in ("already", "failed"):
                assert entry is not None
                if plan == "already":
                    known_result = LineResult(line.number, "already", entry.id, "")
                else:
                    known_result = LineResult(
                        line.number, "failed", entry.id, failed_message(entry)
                    )
                tally.finish(known_result, was_running=False)
                return
            if plan == "retry":  # a new job, under the next attempt's key
                attempt, entry, plan = attempt + 1, None, "create"
            result = await _carry(
                client, slots, tally, line, attempt_key(line.key, attempt), entry, stopped
            )
            if isinstance(result, Generation):
                async with downloads:
                    result = await _download(client, library, line, result, plan == "create")
            tally.finish(result, was_running=not _never_sent(result))

        ticker = asyncio.create_task(show_every_so_often())
        try:
            await asyncio.gather(*(one(line) for line in lines))
        finally:
            ticker.cancel()
            tally.at_once = slots.controller.allowed
            display.show(tally, time.monotonic() - started)
            display.close()
        tally.decreases = slots.controller.decreases
        return tally


NOT_SENT = "not sent: "


def _never_sent(result: LineResult) -> bool:
    """A line a money answer stopped before its create (it never ran on this run)."""
    return result.outcome == "unfinished" and result.message.startswith(NOT_SENT)


async def _carry(
    client: AsyncMQL,
    slots: AdaptiveSlots,
    tally: Tally,
    line: BatchLine,
    key: str,
    entry: Entry | None,
    stopped: list[str],
) -> Generation | LineResult:
    """One line from a slot to its completed job: created (again after each busy answer, never
    failed for one) or resumed, then waited for. Its Generation once completed."""
    from ..client.slots import is_busy, slot_delay

    video, timing = client.video, client.settings.slot_timing
    busy_answers = 0
    while True:
        if stopped and entry is None:
            return LineResult(line.number, "unfinished", None, NOT_SENT + stopped[0])
        round_ = await slots.take()
        if stopped and entry is None:  # stopped while this line waited for its slot
            await slots.give_back(was_running=False)
            return LineResult(line.number, "unfinished", None, NOT_SENT + stopped[0])
        tally.start()
        waited: Generation | str
        route = None
        if entry is not None and entry.id is not None:  # running already: wait for it
            generation_id, created, route = entry.id, False, entry.route
            waited = generation_id
        else:
            try:
                generation = await video.create(
                    line.model, line.prompt, idempotency_key=key, slot_timeout=0, **line.options
                )
            except BudgetExceededError as error:  # refused before it was sent
                await slots.give_back(was_running=False)
                return LineResult(line.number, "refused", None, str(error), False)
            except MQLError as error:
                if is_busy(error):  # nothing was made: back in the queue, later, fewer at once
                    await slots.busy(round_)
                    tally.requeue()
                    busy_answers += 1
                    retry_after = getattr(error, "retry_after", None)
                    await asyncio.sleep(
                        slot_delay(timing, busy_answers, retry_after, client.transport.rng.random())
                    )
                    continue
                await slots.give_back(was_running=False)
                if isinstance(error, BillingError):
                    stopped.append(str(error))
                outcome: Outcome = (
                    "failed" if isinstance(error, ContentRefusedError) else "unfinished"
                )
                return LineResult(line.number, outcome, None, str(error), True)
            await slots.accepted()
            generation_id, created, waited = generation.id, True, generation  # on its route
        try:
            return await video.wait(waited, route=route)
        except GenerationFailedError as error:
            return LineResult(line.number, "failed", generation_id, str(error), created)
        except MQLError as error:
            return LineResult(line.number, "unfinished", generation_id, str(error), created)
        finally:
            await slots.give_back(was_running=True)


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
