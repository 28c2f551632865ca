"""uvicorn under the emulator: listening sockets, one server per origin, both on one loop.

:class:`~.server.LocalServer` (a background thread) and ``mql-notebook serve`` (the
foreground, :mod:`.cli`) serve the same way through these.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator

import uvicorn

from .app import create_app
from .emulator import Emulator
from .fault_layer import TransportH11Protocol
from .storage_app import create_storage_app

_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _Server(uvicorn.Server):
    """uvicorn's server, calling back once it accepts connections."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_started: Callable[[], None] | None = None,
        *,
        signals: bool = True,
    ):
        super().__init__(config)
        self._on_started = on_started
        self._signals = signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The storage origin runs beside the API's server, which alone handles Ctrl-C.
        if self._signals:
            with super().capture_signals():
                yield
        else:
            yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: a free one, known before serving starts)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says TCP; without it every answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(
    emulator: Emulator,
    *,
    quiet: bool,
    on_started: Callable[[], None] | None = None,
    storage: bool = False,
) -> uvicorn.Server:
    """A uvicorn server for ``emulator`` (``storage``: for its storage origin); ``quiet`` leaves
    logging alone and logs nothing (for notebooks and tests)."""
    if not storage:
        app = create_app(emulator)
    elif emulator.storage is None:
        raise ValueError("this emulator has no storage origin (its storage mode is 'api')")
    else:
        app = create_storage_app(
            emulator.storage,
            emulator.video,
            decide=emulator.faults.decide,
            record=emulator.storage_log.add,
        )
    config = uvicorn.Config(
        app,
        http=TransportH11Protocol,
        lifespan="off",
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        access_log=not quiet,
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    return _Server(config, on_started, signals=not storage)


async def serve_both(
    api: uvicorn.Server,
    api_socket: socket.socket,
    storage: uvicorn.Server | None,
    storage_socket: socket.socket | None,
) -> None:
    """Serve the API and, when there is one, the storage origin on the same loop; one stops both."""
    if storage is None or storage_socket is None:
        await api.serve(sockets=[api_socket])
        return
    storage_task = asyncio.ensure_future(storage.serve(sockets=[storage_socket]))
    try:
        await api.serve(sockets=[api_socket])
    finally:
        storage.should_exit = True
        await storage_task


def quiet_uvicorn_loggers() -> None:
    """A server in a notebook or a test must not print access lines or startup chatter."""
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
