"""``mql-notebook serve``: the emulator in the foreground, for other programs and browsers.

    mql-notebook serve --port 8000 --pace 1
    mql-notebook serve --fault create.rate_limit=0.2 --fault '*.latency=0.1' --fault-seed 1
    mql-notebook serve --script create=drop,ok,rate_limit --script job=fail
    mql-notebook serve --concurrency-cap 2 --content-lag 5 --moderate dragon:output

Faults can also be changed while it runs: ``POST /_emulator/faults`` with a JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from typing import Any

from .._constants import ENV_API_KEY, ENV_BASE_URL
from .._install import install_identity
from .emulator import Emulator
from .faults import ENDPOINT_KINDS, TARGETS, parse_fault_spec
from .jobs import DEFAULT_MAX_JOBS, DEFAULT_PACE, DEFAULT_TTL
from .limits_args import add_limit_arguments, describe, limits_from_args, seconds_arg
from .model_args import ENV_MODELS, EXAMPLE, SYNTAX, parse_model_spec, served_models
from .serving import bind_socket, make_server, serve_both, url_for
from .sigterm import Terminated, raise_on_sigterm
from .storage import DEFAULT_SIGNED_URL_TTL, STORAGE_MODES, make_storage
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
        epilog="Fault settings per endpoint (create, status, content, storage; '*' for all): latency, "
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
        type=seconds_arg,
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
        "--fault-seed",
        type=int,
        default=None,
        help="seed for reproducible fault injection (not a video's seed: that is the create "
        "request's seed field)",
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
        type=seconds_arg,
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
    parser.add_argument(
        "--idle-exit",
        type=seconds_arg,
        default=None,
        metavar="SECONDS",
        help="stop after this long without a request (default: serve until stopped)",
    )
    parser.add_argument(
        "--state-file",
        default=None,
        metavar="PATH",
        help="once listening, write {url, pid, version, executable, package} as JSON to PATH; "
        "removed when it stops (Ctrl-C, SIGTERM, --idle-exit) (how `MQL_BASE_URL=local` "
        "commands find the background emulator)",
    )
    parser.add_argument(
        "--storage",
        choices=STORAGE_MODES,
        default="api",
        help="where video bytes live: api (the content endpoint), redirect (it redirects to "
        "signed URLs on a second port), download_url (it answers 404; the completed object's "
        "download_url is the signed URL) (default: %(default)s)",
    )
    parser.add_argument(
        "--signed-url-ttl",
        type=seconds_arg,
        default=DEFAULT_SIGNED_URL_TTL,
        metavar="SECONDS",
        help="how long a signed storage URL works before storage answers 403 (default: %(default)s)",
    )
    parser.add_argument(
        "--storage-chunked",
        action="store_true",
        help="storage sends bodies chunked, with no Content-Length",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        type=_model,
        dest="models",
        metavar=SYNTAX,
        help=f"serve this model too, e.g. {EXAMPLE} (repeatable; what it leaves out is Sora's; "
        f"also from {ENV_MODELS}, specs separated by spaces or ';')",
    )
    parser.add_argument(
        "--billing",
        type=_json_object,
        default=None,
        metavar="JSON",
        help="a cost in every answer, e.g. '{\"per_second\": 0.1}' (also per_video, currency, "
        "style: usage|cost, when: completed|always, bill_failed) (default: none)",
    )
    parser.add_argument(
        "--plan",
        type=_json_object,
        default=None,
        metavar="JSON",
        help="what GET /v1/user/subscription-status says, e.g. "
        '\'{"tier": "pro", "limits": {"videos": 100}}\' (default: unlimited)',
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    add_limit_arguments(parser)
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
            storage=make_storage(
                args.storage,
                signed_url_ttl=args.signed_url_ttl,
                storage_chunked=args.storage_chunked,
                redirect_status=302,
            ),
            limits=limits_from_args(args),
            models=served_models(args.models, os.environ),
            billing=args.billing,
            plan=args.plan,
        )
        emulator.faults.reseed(args.fault_seed)
        for target, key, value in args.fault:
            emulator.faults.set(target, **{key: value})
        for target, entries in args.script:
            emulator.faults.script(target, entries)
    except ValueError as err:
        print(f"mql-notebook serve: {err}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
        store_sock = bind_socket(args.host, 0) if emulator.storage is not None else None
    except OSError as err:
        print(
            f"mql-notebook serve: cannot listen on {args.host}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        emulator.close()
        return 1
    url = url_for(sock)
    if emulator.storage is not None and store_sock is not None:
        emulator.storage.base_url = url_for(store_sock)

    def announce() -> None:
        print(
            f"mql-notebook local emulator serving {url} (pace {args.pace:g} s, vocabulary {args.vocabulary})",
            flush=True,
        )
        if emulator.storage is not None:
            print(
                f"storage ({args.storage}): signed URLs on {emulator.storage.base_url}, "
                f"valid {emulator.storage.ttl:g} s",
                flush=True,
            )
        if emulator.faults.active:
            print(f"faults: {emulator.faults!r}", flush=True)
        if describe(emulator.limits):
            print(describe(emulator.limits), flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            # The /_emulator/ admin routes take no key: anyone who can reach the port can use them.
            print(
                f"warning: listening on {args.host}: anyone who can reach this port can change its faults "
                "through /_emulator/ (no key needed); prefer 127.0.0.1",
                file=sys.stderr,
                flush=True,
            )
        for line in export_lines(url, args.host, fixed_key=args.api_key is not None):
            print(line, flush=True)
        print(
            f"try: curl -X POST {url}/v1/videos/generations -H 'Authorization: Bearer mql_your_key' "
            '-H \'Content-Type: application/json\' -d \'{"model": "sora", "prompt": "a flower"}\'',
            flush=True,
        )
        if args.idle_exit is not None:
            print(f"stops after {args.idle_exit:g} s without a request", flush=True)
        print("Ctrl-C to stop", flush=True)
        if args.state_file:
            write_state_file(args.state_file, url)

    server = make_server(emulator, quiet=args.quiet, on_started=announce)
    watcher = IdleWatcher(server, args.idle_exit) if args.idle_exit is not None else None
    store_server = make_server(emulator, quiet=args.quiet, storage=True) if store_sock else None
    terminated = False
    try:
        if watcher is not None:
            watcher.start()
        with raise_on_sigterm():
            asyncio.run(serve_both(server, sock, store_server, store_sock))
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled, once it has shut down cleanly
    except Terminated:
        terminated = True  # and the SIGTERM: the cleanup below still runs
    finally:
        if watcher is not None:
            watcher.stop()
        if args.state_file:
            remove_state_file(args.state_file)
        sock.close()
        if store_sock is not None:
            store_sock.close()
        emulator.close()
    if watcher is not None and watcher.fired:
        print(f"no request for {args.idle_exit:g} s", flush=True)
    if not server.started:
        print("mql-notebook serve: the server did not start", file=sys.stderr)
        return 1
    print("mql-notebook local emulator stopped", flush=True)
    return 143 if terminated else 0


def export_lines(url: str, host: str, *, fixed_key: bool) -> list[str]:
    """What a user pastes into another shell to point the CLI or a notebook at this server."""
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: this machine reaches it on loopback
        url = url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    lines = [f"export {ENV_BASE_URL}={url}"]
    if fixed_key:
        lines.append(f"export {ENV_API_KEY}=mql_...   # the key given with --api-key (required)")
    elif host in _LOOPBACK_HOSTS:
        lines[0] += "   # no key needed: a client sends a placeholder key to a loopback server"
    else:
        lines.append(f"export {ENV_API_KEY}=mql_anything   # any key starting mql_")
    return lines


_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "")


def write_state_file(path: str, url: str) -> None:
    """``{"url", "pid"}`` and which install serves (version, interpreter, package) for
    ``cli.local_daemon``, written whole (a reader never sees half)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"url": url, "pid": os.getpid(), **install_identity()}, f)
    os.replace(tmp, path)


def remove_state_file(path: str) -> None:
    """Remove the state file if it still describes this process (a newer server may own it)."""
    try:
        with open(path, encoding="utf-8") as f:
            if json.load(f).get("pid") != os.getpid():
                return
        os.unlink(path)
    except (OSError, ValueError, AttributeError):
        pass


class IdleWatcher:
    """Stops a uvicorn server once no request has arrived and no connection was open for ``idle`` s.

    A thread that looks at uvicorn's own counters a few times per idle period, so a request
    being served (an open connection) always counts as activity, however long it lasts.
    """

    def __init__(self, server: Any, idle: float) -> None:
        self.server = server
        self.idle = idle
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mql-serve-idle-exit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        state = self.server.server_state
        seen, last_active = -1, time.monotonic()
        while not self._stop.wait(min(1.0, max(self.idle / 4, 0.05))):
            now = time.monotonic()
            if state.total_requests != seen or state.connections:
                seen, last_active = state.total_requests, now
            elif now - last_active >= self.idle:
                self.fired = True
                self.server.should_exit = True
                return


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"{text!r} is not a JSON object")
    return value


def _fault(text: str) -> tuple[str, str, Any]:
    try:
        return parse_fault_spec(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _model(text: str) -> tuple[str, Any]:
    try:
        return parse_model_spec(text)
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
