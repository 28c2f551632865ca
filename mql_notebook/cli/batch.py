"""``mql-notebook batch FILE``: many prompts at once, recorded in the library, never paid twice.

Every line is checked before anything is sent (batch/lines.py). Each line's create carries a
stable Idempotency-Key that the library keeps, so running the same FILE again finds every
line it already created: finished ones are skipped, running ones are waited for and
downloaded, and only a line whose create was never answered (or was refused) is sent again,
with the same key. The lines are carried by the same loop as the notebook's ``Batch``
(batch/runner.py: adaptive slots, money answers, ``--retry-failed``); this module reads the
file, asks about money first, and tallies each line's changes (``TallyReport``). Each entry
records the batch (``Entry.batch``: the file's name and a digest, its index and size).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..batch.lines import BatchFileError, BatchLine, batch_id, parse_batch
from ..batch.plan import failed_message, latest_attempt, plan_line
from ..batch.runner import LineRun, entries_by_key, run_lines
from ..errors import BudgetExceededError, ConfigurationError, LibraryError, MQLError
from ..library import ENV_LIBRARY, Entry, Library
from ..library.library import OFF
from .batch_money import Declined, add_money_options, announce, budget_from_args
from .batch_progress import LineResult, Outcome, StatusDisplay, Tally, summary_lines
from .exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_NOT_ALL_COMPLETED, EXIT_OK, EXIT_USAGE
from .option_args import add_generation_options, model_from_args, options_from_args

if TYPE_CHECKING:
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
            name,
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
    name: str,
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
    """The lines carried by the notebook's loop (batch/runner.py), its changes tallied here."""
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
        known = await asyncio.to_thread(entries_by_key, library, client.recorder.origin)
        to_create = [line for line in lines if plan_line(known.get(line.key)) == "create"]
        await announce(client, to_create, own=budget, yes=yes, err=err)  # may ask first
        tally = Tally(total=len(lines))
        # A job holds its slot while the server works on it (fewer slots while the gateway
        # answers busy); its download then overlaps the next job's (bounded too).
        slots = AdaptiveSlots(ConcurrencyController(concurrency))
        started = time.monotonic()

        async def show_every_so_often() -> None:
            while True:
                await asyncio.sleep(display.interval)
                tally.at_once = slots.controller.allowed
                display.show(tally, time.monotonic() - started)

        runs = [LineRun(i, line) for i, line in enumerate(lines)]
        ticker = asyncio.create_task(show_every_so_often())
        try:
            await run_lines(
                client,
                runs,
                concurrency=concurrency,
                retry_failed=retry_failed,
                on_change=TallyReport(tally, known),
                known=known,
                batch=batch_id(name, lines),
                slots=slots,
            )
        finally:
            ticker.cancel()
            tally.at_once = slots.controller.allowed
            display.show(tally, time.monotonic() - started)
            display.close()
        tally.decreases = slots.controller.decreases
        return tally


class TallyReport:
    """Each line's changes (runner.LineRun) as the tally counts them: started when it is sent
    or waited for, back to waiting on a busy answer, then its result once."""

    def __init__(self, tally: Tally, known: Mapping[str, Entry]) -> None:
        self.tally, self.known = tally, known
        self.running: set[int] = set()
        self.ended: set[int] = set()

    def __call__(self, run: LineRun) -> None:
        index = run.index
        if index in self.ended:
            return
        if run.status in ("creating", "running", "downloading") and index not in self.running:
            self.running.add(index)
            self.tally.start()
        elif run.status == "queued" and index in self.running:
            self.running.discard(index)
            self.tally.requeue()
        elif run.finished:
            self.ended.add(index)
            was_running = index in self.running
            self.running.discard(index)
            self.tally.finish(self.result(run), was_running=was_running)

    def result(self, run: LineRun) -> LineResult:
        number, gid = run.line.number, run.generation_id
        if run.status == "failed" and run.earlier:
            entry = latest_attempt(self.known, run.line.key)[1]
            return LineResult(number, "failed", gid, failed_message(entry) if entry else "")
        if run.status == "unfinished" and isinstance(run.error, BudgetExceededError):
            return LineResult(number, "refused", gid, run.message, False)
        outcome: Outcome = "unfinished"
        if run.status in ("completed", "already", "failed"):
            outcome = run.status
        return LineResult(number, outcome, gid, run.message, run.sent)


def _library_env_off() -> bool:
    import os

    return os.environ.get(ENV_LIBRARY, "").strip().lower() == OFF
