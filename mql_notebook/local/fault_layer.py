"""The outermost ASGI layer: injects faults and records every API request.

It sits outside Starlette so that it can do what an app cannot: close the connection
without an answer (drop), or after part of the body (truncate). For that it needs the
connection's transport, which :class:`TransportH11Protocol` (the uvicorn protocol the
emulator's servers use) puts into the scope. Closing the transport and then waiting for
uvicorn to see the disconnect leaves nothing for uvicorn to complain about, so no
traceback reaches the test output or the notebook. Under another server, the layer falls
back to starting an answer and raising, which servers answer by closing the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import re
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .faults import Fault
from .minimax_codes import fault_body
from .requestlog import RequestRecord

DecideFault = Callable[[str], Fault | None]
"""The fault for the next request to an endpoint, or None (``Faults.decide``)."""
Record = Callable[[RequestRecord], None]
"""Where each request's record goes (``RequestLog.add``)."""

TRANSPORT_KEY = "mql_notebook.transport"
ADMIN_PREFIX = "/_emulator"

_STATUS_PATH = re.compile(r"^/v1/videos/generations/([^/]+)$")
_CONTENT_PATH = re.compile(r"^/v1/videos/([^/]+)/content$")
_BLOB_PATH = re.compile(r"^/blob/([^/]+)$")
# The MiniMax task route: its create, query and file object count as create, status, content.
TASK_CREATE_PATH = "/v1/videos/minimax/generations"
_QUERY_PATH = re.compile(r"^/v1/videos/query/([^/]+)$")
_FILE_PATH = re.compile(r"^/v1/videos/download/([^/]+)$")

_PROXY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class TransportH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, handing each request's transport to the app (for drops)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope[TRANSPORT_KEY] = transport
            await inner(scope, receive, send)

        self.app = app


class DroppedConnection(Exception):
    """Raised to make a server other than the emulator's own close the connection mid-answer."""


def classify(method: str, path: str) -> str | None:
    """Which endpoint a request is for: create, status, content, storage or None."""
    if method == "POST" and path in ("/v1/videos/generations", TASK_CREATE_PATH):
        return "create"
    if method in ("GET", "HEAD"):
        if _STATUS_PATH.match(path) or _QUERY_PATH.match(path):
            return "status"
        if _CONTENT_PATH.match(path) or _FILE_PATH.match(path):
            return "content"
        if _BLOB_PATH.match(path):
            return "storage"
    return None


class FaultLayer:
    """Around ``app``: asks ``decide`` what to inject for each API request, hands ``record`` what
    happened. ``keep_headers``: records carry the headers and query (the storage origin's do)."""

    def __init__(
        self, app: ASGIApp, *, decide: DecideFault, record: Record, keep_headers: bool = False
    ):
        self.app = app
        self.decide = decide
        self.record = record
        self.keep_headers = keep_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        endpoint = classify(method, path)
        arrived, wall = time.monotonic(), time.time()
        seen: dict[str, Any] = {"status": None, "logged": False}
        labels: list[str] = []

        def log() -> None:
            # Called before the last byte of the answer goes out (or the connection closes),
            # so a client that has its answer always finds its request in the log.
            if seen["logged"]:
                return
            seen["logged"] = True
            state = scope.get("state") or {}
            if state.get("job_fault"):
                labels.append(f"job:{state['job_fault']}")
            raw_headers = dict(scope.get("headers") or [])
            idempotency_key = raw_headers.get(b"idempotency-key")
            kept = _decoded(scope.get("headers") or []) if self.keep_headers else None
            self.record(
                RequestRecord(
                    method=method,
                    path=path,
                    status=seen["status"],
                    time=arrived,
                    wall_time=wall,
                    duration=time.monotonic() - arrived,
                    endpoint=endpoint,
                    generation_id=state.get("generation_id") or _path_id(path),
                    idempotency_key=idempotency_key.decode("latin-1") if idempotency_key else None,
                    fault="+".join(labels) or None,
                    headers=kept,
                    query=scope.get("query_string", b"").decode("latin-1") if kept else None,
                )
            )

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                length = dict(message.get("headers") or []).get(b"content-length", b"")
                seen["left"] = int(length) if length.isdigit() else None
                if seen["left"] == 0:  # the headers are the whole answer (a redirect, say)
                    log()
            elif message["type"] == "http.response.body":
                if seen.get("left") is not None:
                    seen["left"] -= len(message.get("body", b""))
                # With a Content-Length, the client is done at the last byte, before the
                # (empty) closing message: log by then.
                if not message.get("more_body", False) or seen.get("left") == 0:
                    log()
            await send(message)

        fault = self.decide(endpoint) if endpoint else None
        try:
            if fault is not None and fault.latency:
                labels.append(f"latency:{fault.latency:g}")
                await asyncio.sleep(fault.latency)
            kind = fault.kind if fault is not None else "none"
            if kind != "none":
                labels.append(fault.label)  # type: ignore[union-attr]
            if kind in ("rate_limit", "server_error", "overloaded"):
                await _drain(receive)
                await _answer_fault(fault, recording_send)  # type: ignore[arg-type]
            elif kind == "minimax":  # an error inside an HTTP 200, as MiniMax answers
                await _drain(receive)
                body = fault_body(fault.status or 0, endpoint, _path_id(path))  # type: ignore[union-attr]
                await _answer_json(200, body, recording_send)
            elif kind == "refused":  # an outage: nothing behind the proxy, the connection is cut
                log()
                await _close(scope, receive, send, reset=True)
            elif kind == "drop":
                await self.app(
                    scope, receive, _discard
                )  # for create: the job is made, its answer lost
                log()
                await _close(scope, receive, send)
            elif kind == "truncate":
                await self._truncated(fault, scope, receive, recording_send, log)  # type: ignore[arg-type]
            else:
                await self.app(scope, receive, recording_send)
        finally:
            log()

    async def _truncated(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, log: Callable[[], None]
    ) -> None:
        """Pass the headers (full Content-Length) and ``fault.fraction`` of the body, then close."""
        progress = {"limit": 0, "sent": 0, "cut": False}

        async def cutting_send(message: Message) -> None:
            if progress["cut"]:
                return
            if message["type"] == "http.response.start":
                length = dict(message.get("headers") or []).get(b"content-length", b"")
                # With no Content-Length (chunked), cut inside the first piece of the body.
                progress["limit"] = int(int(length) * fault.fraction) if length.isdigit() else -1
                await send(message)
                return
            body = message.get("body", b"")
            if progress["limit"] < 0:
                progress["limit"] = max(1, int(len(body) * fault.fraction))
            room = progress["limit"] - progress["sent"]
            if len(body) < room and message.get("more_body", False):
                progress["sent"] += len(body)
                await send(message)
                return
            progress["cut"] = True
            log()
            await send({"type": "http.response.body", "body": body[:room], "more_body": True})
            transport = scope.get(TRANSPORT_KEY)
            if transport is None:
                raise DroppedConnection("truncated on purpose by the emulator's fault injection")
            transport.close()

        await self.app(scope, receive, cutting_send)
        await _close(scope, receive, send)


async def _discard(message: Message) -> None:
    return None


async def _drain(receive: Receive) -> None:
    """Read the request body, so the connection stays usable after a fault answer."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _close(scope: Scope, receive: Receive, send: Send, *, reset: bool = False) -> None:
    """Close the connection without (the rest of) an answer, and wait until the server has noticed.

    ``reset``: cut it with a TCP reset at once (SO_LINGER 0), as a host with nothing listening does.
    """
    transport = scope.get(TRANSPORT_KEY)
    if transport is None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
        )
        raise DroppedConnection("dropped on purpose by the emulator's fault injection")
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass


async def _answer_fault(fault: Fault, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if fault.kind == "rate_limit":
        status = 429
        retry_after = fault.retry_after or 0.0
        if fault.retry_after_format == "date":
            value = email.utils.formatdate(time.time() + retry_after, usegmt=True)
        else:
            value = f"{retry_after:g}"
        headers.append((b"retry-after", value.encode()))
        body = _json_error(
            f"Rate limit reached (injected by the local emulator); retry after {retry_after:g} s.",
            "rate_limit_exceeded",
        )
        content_type = b"application/json"
    elif fault.kind == "overloaded":
        status = 529
        body = _json_error(
            "The service is overloaded (injected by the local emulator).", "overloaded"
        )
        content_type = b"application/json"
    else:
        status = fault.status or 500
        if status == 500:
            body = _json_error(
                "The server had an error (injected by the local emulator).", "server_error"
            )
            content_type = b"application/json"
        else:  # what a proxy in front of the API sends
            reason = {
                502: "Bad Gateway",
                503: "Service Temporarily Unavailable",
                504: "Gateway Time-out",
            }.get(status, "Error")
            body = _PROXY_PAGE.format(status=status, reason=reason).encode()
            content_type = b"text/html"
    headers += [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _answer_json(status: int, body: bytes, send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_error(message: str, code: str) -> bytes:
    return json.dumps({"error": {"message": message, "code": code}}).encode()


def _decoded(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names lower-case; a repeated header keeps every value (comma-joined)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _path_id(path: str) -> str | None:
    for pattern in (_STATUS_PATH, _CONTENT_PATH, _BLOB_PATH, _QUERY_PATH, _FILE_PATH):
        match = pattern.match(path)
        if match:
            return match.group(1)
    return None
