"""The client's one way to the network: its connection pools, sending with retries, the retry
RNG, and how a download travels.

``AsyncMQL`` owns one ``Transport`` and hands it to what sends (``AsyncVideo``, ``Download``);
nothing above it touches a connection pool, as every request of httpx goes to one
``BaseTransport``. The decisions (whether and when to retry, what an answer means) stay plain
functions in ``retry`` and ``protocol``: this module only sends and sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from .._origins import origin_of
from ..errors import APIConnectionError, APIError, APITimeoutError
from . import protocol
from .loops import PoolPerLoop, SyncRunner, ThreadedPool
from .operation import Operation
from .retry import RetryPolicy, request_was_sent, retry_after_exception, retry_after_status
from .settings import Settings
from .unreachable import connection_detail

if TYPE_CHECKING:
    from .fetch import LoopFetch, ThreadFetch
    from .sinks import Sink

log = logging.getLogger("mql_notebook")

# The error a 2xx answer carries in its body, or None (MiniMax's base_resp: minimax.py).
AnswerCheck = Callable[[bytes], "APIError | None"]


class Transport:
    """One client's connections: a pool per event loop, the threaded downloads' sync pool, and
    the random source of every retry's and poll's jitter (``rng``).

    ``transport`` is an ``httpx.AsyncBaseTransport`` to send through instead of the network
    (a test's ``httpx.MockTransport``); it is async-only, so every download then stays on the loop.
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.rng = rng or random.Random()
        self._custom = transport
        self._pools = PoolPerLoop(self._new_pool)
        self._threaded = ThreadedPool(self._new_threaded_pool)  # downloads to a path (fetch.py)

    def pool(self) -> httpx.AsyncClient:
        """The running event loop's connection pool (made on first use)."""
        return self._pools.get()

    async def send(
        self,
        op: Operation,
        *,
        policy: RetryPolicy | None = None,
        retry_statuses: bool = True,
        check: AnswerCheck | None = None,
    ) -> httpx.Response:
        """Send with retries as the policy allows; returns a 2xx response or raises a typed error.

        ``retry_statuses=False``: an error status is raised at once (connections that were never
        made are still retried): the caller has its own plan for them.

        ``check`` reads a 2xx body for an error inside it (MiniMax's ``base_resp``): that error
        is retried as its ``status_code`` would be (1002 like a 429), else raised.
        """
        policy = policy or self.settings.retry_policy
        pool = self._pools.get()
        request = pool.build_request(
            op.method, op.path, json=op.json, content=op.content, headers=op.headers
        )
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await pool.send(request)
            except httpx.TransportError as exc:
                delay = retry_after_exception(
                    policy, attempt, exc, idempotent=op.idempotent, rng=self.rng
                )
                log.debug("%s %s failed: %s", op.method, op.path, type(exc).__name__)
                if delay is None:
                    raise _connection_error(exc, op, request.url) from exc
            else:
                log.debug(
                    "%s %s -> %d in %.3fs",
                    op.method,
                    op.path,
                    response.status_code,
                    time.monotonic() - started,
                )
                inside: APIError | None = None
                if response.is_success:
                    if check is None:
                        return response
                    inside = check(await response.aread())
                    if inside is None:
                        return response
                content = await response.aread()
                await response.aclose()
                error = inside or protocol.error_from_response(
                    response.status_code,
                    response.headers,
                    content,
                    operation=op.description,
                    generation_id=op.generation_id,
                    now=time.time(),
                    model=op.model,
                )
                # A final answer (money, moderation) is never sent again; a create's slot wait
                # (retry_statuses=False) decides about 429/503 itself (client/slots.py).
                delay = (
                    None
                    if error.final or not retry_statuses
                    else retry_after_status(
                        policy,
                        attempt,
                        response.status_code if inside is None else inside.status_code,
                        response.headers,
                        idempotent=op.idempotent,
                        now=time.time(),
                        rng=self.rng,
                    )
                )
                if delay is None:
                    raise error
            await asyncio.sleep(delay)
            attempt += 1

    def fetch_for(self, sink: Sink) -> LoopFetch | ThreadFetch:
        """How a download into ``sink`` travels: a path or bytes in a worker thread on the sync
        pool (fetch.py says why), anything else (a caller's file object, or every download once
        a custom ``transport`` is given) on the event loop."""
        from .fetch import LoopFetch, ThreadFetch  # loaded on the first download
        from .sinks import BytesSink, PathSink

        if isinstance(sink, (PathSink, BytesSink)) and self._custom is None:
            return ThreadFetch(self._threaded.get())
        return LoopFetch(self._pools.get())

    async def aclose(self) -> None:
        """Close the running loop's pool and the threaded one."""
        await self._pools.aclose_current()
        self._threaded.close()

    def close(self, runner: SyncRunner) -> None:
        """Close every pool whose loop can still run (the sync client's close)."""
        self._pools.close_all(runner)
        self._threaded.close()

    def _new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=protocol.auth_headers(self.settings.api_key),
            timeout=self.settings.timeout,
            transport=self._custom,
            follow_redirects=False,
        )

    def _new_threaded_pool(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.settings.base_url,
            headers=protocol.auth_headers(self.settings.api_key),
            timeout=self.settings.timeout,
            follow_redirects=False,
        )


def _connection_error(
    exc: httpx.TransportError, op: Operation, url: httpx.URL
) -> APIConnectionError:
    origin = origin_of(url)  # the server named, never the query or credentials
    detail = connection_detail(exc, origin)
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    if not op.idempotent and request_was_sent(exc):
        detail += (
            "; the server may have accepted the request, so it was not sent again "
            "(a second create could bill a second video)"
        )
    return cls(detail, operation=op.description, generation_id=op.generation_id, origin=origin)
