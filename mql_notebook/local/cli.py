"""``mql-notebook serve``: the emulator in the foreground, for other programs and browsers.

    mql-notebook serve --port 8000 --pace 1
    mql-notebook serve --fault create.rate_limit=0.2 --fault '*.latency=0.1' --seed 1
    mql-notebook serve --script create=drop,ok,rate_limit --script job=fail

Faults can also be changed while it runs: ``POST /_emulator/faults`` with a JSON object.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .emulator import Emulator
from .faults import ENDPOINT_KINDS, TARGETS, parse_fault_spec
from .jobs import DEFAULT_MAX_JOBS, DEFAULT_PACE, DEFAULT_TTL
from .server import bind_socket, make_server, url_for
from .vocabulary import VOCABULARIES

DEFAULT_PORT = 8000


def add_serve_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to a ``mql-notebook`` parser's subparsers; run it with :func:`run_serve`."""
    parser = subparsers.add_parser(
        "serve",
        help="run the local emulator of the video API",
        description="Serve the local emulator of the Metriqual video API until Ctrl-C. "
        "Any key starting mql_ is accepted unless --api-key is given. "
        "A prompt containing [[fail]] makes its job fail; [[stall]] makes it never finish.",
        epilog="Fault settings per endpoint (create, status, content; '*' for all three): latency, "
        f"retry_after, retry_after_format (seconds|date), and the probabilities {', '.join(ENDPOINT_KINDS)}; "
        "per job: job.fail, job.stall. Script entries: ok, latency:S, rate_limit[:S], "
        "server_error[:500|502|503], overloaded, drop, truncate; for job: ok, fail, stall. "
        "While serving: GET/POST/DELETE /_emulator/faults, GET /_emulator/requests, POST /_emulator/settings.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on, 0 for a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--pace",
        type=_seconds,
        default=DEFAULT_PACE,
        metavar="SECONDS",
        help="how long a job takes from create to completed (default: %(default)s)",
    )
    parser.add_argument(
        "--vocabulary",
        choices=sorted(VOCABULARIES),
        default="api",
        help="the status words to speak (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for reproducible fault injection"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=_fault,
        metavar="ENDPOINT.SETTING=VALUE",
        help="inject faults, e.g. create.rate_limit=0.2, '*.latency=0.5', job.fail=0.3 (repeatable)",
    )
    parser.add_argument(
        "--script",
        action="append",
        default=[],
        type=_script,
        metavar="TARGET=ENTRY[,ENTRY...]",
        help="one-shot faults for the next requests, e.g. create=drop,ok,rate_limit (repeatable)",
    )
    parser.add_argument(
        "--api-key", default=None, help="accept only this key (default: any key starting mql_)"
    )
    parser.add_argument(
        "--ttl",
        type=_seconds,
        default=DEFAULT_TTL,
        metavar="SECONDS",
        help="how long finished jobs and their videos are kept (default: %(default)s)",
    )
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=DEFAULT_MAX_JOBS,
        help="most jobs kept; the oldest finished go first (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser


def run_serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (or SIGTERM); 0 on a clean stop, 1 if it could not start, 2 for bad settings."""
    try:
        emulator = Emulator(
            pace=args.pace,
            vocabulary=args.vocabulary,
            api_key=args.api_key,
            ttl=args.ttl,
            max_jobs=args.max_jobs,
        )
        emulator.faults.reseed(args.seed)
        for target, key, value in args.fault:
            emulator.faults.set(target, **{key: value})
        for target, entries in args.script:
            emulator.faults.script(target, entries)
    except ValueError as err:
        print(f"mql-notebook serve: {err}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as err:
        print(
            f"mql-notebook serve: cannot listen on {args.host}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        emulator.close()
        return 1
    url = url_for(sock)

    def announce() -> None:
        print(
            f"mql-notebook local emulator serving {url} (pace {args.pace:g} s, vocabulary {args.vocabulary})",
            flush=True,
        )
        if emulator.faults.active:
            print(f"faults: {emulator.faults!r}", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            # The /_emulator/ admin routes take no key: anyone who can reach the port can use them.
            print(
                f"warning: listening on {args.host}: anyone who can reach this port can change its faults "
                "through /_emulator/ (no key needed); prefer 127.0.0.1",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"try: curl -X POST {url}/v1/videos/generations -H 'Authorization: Bearer mql_your_key' "
            '-H \'Content-Type: application/json\' -d \'{"model": "sora", "prompt": "a flower"}\'',
            flush=True,
        )
        print("Ctrl-C to stop", flush=True)

    server = make_server(emulator, quiet=args.quiet, on_started=announce)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled, once it has shut down cleanly
    finally:
        sock.close()
        emulator.close()
    if not server.started:
        print("mql-notebook serve: the server did not start", file=sys.stderr)
        return 1
    print("mql-notebook local emulator stopped", flush=True)
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be >= 0")
    return value


def _fault(text: str) -> tuple[str, str, Any]:
    try:
        return parse_fault_spec(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _script(text: str) -> tuple[str, list[str]]:
    target, sep, entries = text.partition("=")
    target = target.strip()
    if not sep or (target not in TARGETS and target != "*"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not of the form TARGET=ENTRY[,ENTRY...] with TARGET one of {', '.join(TARGETS)} or '*'"
        )
    return target, [entry.strip() for entry in entries.split(",") if entry.strip()]
