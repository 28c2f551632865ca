"""The client's command-line commands: generate, status, wait, download (``mql-notebook --help``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from ..client import MQL, AsyncMQL
from ..client.settings import ENV_BASE_URL, LOCAL_BASE_URL, LOOPBACK_PLACEHOLDER_KEY
from ..client.sync_client import as_async_client
from ..errors import (
    APIConnectionError,
    APIError,
    BudgetExceededError,
    ConfigurationError,
    DownloadError,
    GenerationFailedError,
    InvalidRequestError,
    InvalidResponseError,
    MQLError,
    WaitTimeoutError,
)
from ..generation import ROUTES, Generation
from ..library import ENV_LIBRARY, FROM_ENVIRONMENT, Library, resolve_library
from . import local_daemon
from .console import RichBar, is_terminal
from .exit_codes import (
    EXIT_API,
    EXIT_BUDGET,
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)
from .messages import error_message, interrupted_message
from .option_args import add_generation_options, options_from_args


def add_client_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gen = subparsers.add_parser(
        "generate",
        help="create a video, show live progress, save the MP4",
        description="Create a video from a prompt, wait for it with a live progress line, and save it.",
    )
    gen.add_argument("prompt", help="what the video should show")
    add_generation_options(gen)
    gen.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="file to write (default: <generation id>.mp4); with --n > 1, -1, -2 ... are added",
    )
    gen.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait before giving up (the job keeps its id)",
    )
    gen.add_argument(
        "--library",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"record it in this library (default: ${ENV_LIBRARY}, else ./mql-videos): every "
        "paid generation is kept",
    )
    gen.add_argument(
        "--no-library", action="store_true", help="record nothing (no budget is kept then)"
    )
    gen.set_defaults(run=run_generate, library_of=generate_library)

    status = subparsers.add_parser(
        "status", help="show a generation's status", description="Show a generation's status."
    )
    status.add_argument("id", help="the generation id")
    _route_argument(status)
    status.add_argument("--json", action="store_true", help="print the server's JSON")
    status.set_defaults(run=run_status)

    wait = subparsers.add_parser(
        "wait",
        help="wait for a generation to finish, then print its status",
        description="Wait for a generation with a live progress line (as generate does), "
        "then print its final status. Exit code 0 once completed, 5 if it failed, 6 on timeout.",
    )
    wait.add_argument("id", help="the generation id")
    _route_argument(wait)
    wait.add_argument("--timeout", type=float, default=None, help="seconds to wait (default: 900)")
    wait.set_defaults(run=run_wait)

    download = subparsers.add_parser(
        "download", help="save a finished video", description="Save a finished generation's video."
    )
    download.add_argument("id", help="the generation id")
    _route_argument(download)
    download.add_argument(
        "--output", "-o", type=Path, default=None, help="file or folder (default: <id>.mp4 here)"
    )
    download.add_argument(
        "--variant", type=int, default=0, help="which video of an n > 1 job (0-based)"
    )
    download.set_defaults(run=run_download)


def run_client_command(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Run generate/status/wait/download; every error becomes a message on stderr and an exit code."""
    base_url: str | None = None
    local = False
    try:
        base_url, local = _base_url(os.environ)
        # The background emulator takes any mql_ key: a user's real one never goes to it.
        key = LOOPBACK_PLACEHOLDER_KEY if local and base_url else None
        library_of = getattr(args, "library_of", None)  # generate: the default library
        extra = {"library": library_of(args)} if library_of else {}
        with MQL(base_url=base_url, api_key=key, **extra) as client:
            if local:
                mark_emulator(client)
            base_url = client.settings.base_url
            return int(args.run(client, args, out, err))
    except KeyboardInterrupt:
        print("\n" + interrupted_message(getattr(args, "created_id", None)), file=err)
        return EXIT_INTERRUPTED
    except MQLError as exc:
        output = getattr(args, "output", None)
        message = error_message(
            exc, base_url=base_url, output=None if output is None else str(output), local=local
        )
        print(f"error: {message}", file=err)
        return _exit_code(exc)


def mark_emulator(client: MQL | AsyncMQL) -> None:
    """A library records the jobs of MQL_BASE_URL=local as an emulator's (``origin_kind``
    "emulator"), whether the emulator runs in the background or in this process."""
    from ..library.entry import EMULATOR

    recorder = as_async_client(client).recorder
    if recorder is not None:
        recorder.origin_kind = EMULATOR


def _route_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--route",
        choices=ROUTES,
        default=None,
        help="the API route the job lives on: minimax for a MiniMax task id (default: what the "
        "library recorded, else generations)",
    )


def _base_url(environ: Mapping[str, str]) -> tuple[str | None, bool]:
    """``MQL_BASE_URL=local``: the background emulator every command shares (each command is its
    own process, so an in-process one would forget the jobs). Anything else: as the client reads it."""
    if environ.get(ENV_BASE_URL, "").strip().lower() != LOCAL_BASE_URL:
        return None, False
    if not local_daemon.supported():  # no flock: the in-process emulator, for this command only
        return None, True
    return local_daemon.local_daemon_url(environ), True


def generate_library(args: argparse.Namespace) -> Library | bool:
    """generate's library: --no-library, --library DIR, else MQL_LIBRARY, else ./mql-videos."""
    if args.no_library:
        return False
    if args.library is not None:
        return Library(args.library)
    return resolve_library(FROM_ENVIRONMENT, on_by_default=True) or False


def run_generate(client: MQL, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    progress = ProgressLine(err)
    options = options_from_args(args)
    estimate = client.video.estimate(args.model, args.prompt, **options)
    if estimate.known:  # one line per generate; "unknown" would be every run's noise
        print(f"estimate: {estimate.text()}", file=err)
    generation = client.video.create(model=args.model, prompt=args.prompt, **options)
    args.created_id = generation.id  # named if the user presses Ctrl-C
    print(f"generation {generation.id} created", file=err)
    progress.update(generation)
    try:
        generation = client.video.wait(  # the Generation: on the route it took
            generation, timeout=args.timeout, on_update=progress.update
        )
    finally:
        progress.close()
    paths = _output_paths(args.output, generation)
    for index, path in enumerate(paths):
        client.video.download(generation, path, variant=index)
        print(path, file=out)
    return EXIT_OK


def run_status(client: MQL, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    generation = client.video.get_status(args.id, route=args.route)
    if args.json:
        print(json.dumps(generation.raw, indent=2, sort_keys=True), file=out)
    else:
        print(_describe(generation), file=out)
    return EXIT_OK


def run_wait(client: MQL, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    args.created_id = args.id
    progress = ProgressLine(err)
    try:
        generation = client.video.wait(
            args.id, timeout=args.timeout, on_update=progress.update, route=args.route
        )
    finally:
        progress.close()
    print(_describe(generation), file=out)
    return EXIT_OK


def run_download(client: MQL, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    dest = args.output if args.output is not None else Path.cwd()
    path = client.video.download(args.id, dest, variant=args.variant, route=args.route)
    print(path, file=out)
    return EXIT_OK


class ProgressLine:
    """A live progress bar on a terminal (rich); one plain line per change otherwise (logs, CI)."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = is_terminal(stream)
        self.started = time.monotonic()
        self._bar: RichBar | None = None
        self._last_logged: tuple[str, int] | None = None

    def update(self, generation: Generation) -> None:
        progress = generation.progress
        status = generation.raw_status or generation.status
        elapsed = time.monotonic() - self.started
        if self.live:
            if self._bar is None:
                self._bar = RichBar(self.stream, total=100)
            eta = generation.eta_seconds
            detail = f"{elapsed:5.1f}s" + (f", about {eta:.0f}s left" if eta is not None else "")
            self._bar.update(completed=progress or 0, description=status, detail=detail)
            return
        # Not a terminal (a log, CI): a line per status change and per tenth of progress.
        step = (generation.raw_status, int((progress or 0) // 10))
        if step != self._last_logged:
            filled = round((progress or 0) / 100 * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            pct = f"{progress:3.0f}%" if progress is not None else "  ?%"
            print(f"[{bar}] {pct} {status} {elapsed:5.1f}s", file=self.stream)
            self._last_logged = step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _output_paths(output: Path | None, generation: Generation) -> list[Path]:
    from .._files import safe_filename

    count = len(generation.variant_ids)
    base = output if output is not None else Path(safe_filename(generation.id))
    if base.is_dir():
        base = base / safe_filename(generation.id)
    if count == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{i + 1}{base.suffix or '.mp4'}") for i in range(count)]


def _describe(generation: Generation) -> str:
    parts = [generation.id, generation.status]
    if generation.raw_status and generation.raw_status != generation.status:
        parts.append(f"(server says {generation.raw_status!r})")
    if generation.progress is not None:
        parts.append(f"{generation.progress:.0f}%")
    if generation.error_message:
        parts.append(f"error: {generation.error_message}")
    return " ".join(parts)


def _exit_code(exc: MQLError) -> int:
    if isinstance(exc, BudgetExceededError):
        return EXIT_BUDGET
    if isinstance(exc, (InvalidRequestError, ConfigurationError)):
        return EXIT_USAGE
    if isinstance(exc, WaitTimeoutError):
        return EXIT_TIMEOUT
    if isinstance(exc, GenerationFailedError):
        return EXIT_FAILED
    if isinstance(exc, APIConnectionError):
        return EXIT_CONNECTION
    if isinstance(exc, (APIError, InvalidResponseError, DownloadError)):
        return EXIT_API
    return EXIT_ERROR
