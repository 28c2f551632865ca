"""The async client: ``AsyncMQL`` does the work; ``MQL`` (sync_client) runs the same code to completion.

All decisions (validation, request shapes, parsing, retry and poll timing) are plain
functions in options, protocol, retry and poller; this module only sends and sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import IO, TYPE_CHECKING, Any

import httpx

from ..errors import (
    APIConnectionError,
    APITimeoutError,
)
from ..generation import Generation
from ..library import FROM_ENVIRONMENT, LibraryChoice, resolve_library
from . import protocol
from .loops import PoolPerLoop, ThreadedPool
from .operation import Operation
from .poller import PollTiming
from .retry import RetryPolicy, request_was_sent, retry_after_exception, retry_after_status
from .settings import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    LOCAL_BASE_URL,
    Settings,
    resolve_settings,
)
from .unreachable import connection_detail, origin_of
from .videos import AsyncVideo

if TYPE_CHECKING:
    from .recording import Recorder

log = logging.getLogger("mql_notebook")

Destination = str | os.PathLike[str] | IO[bytes] | None
UpdateCallback = Callable[[Generation], Any]
ProgressCallback = Callable[[int, int | None], Any]


class AsyncMQL:
    """Async client for the Metriqual video API.

    ``api_key`` and ``base_url`` default to ``MQL_API_KEY`` and ``MQL_BASE_URL``, then to
    https://api.metriqual.com; ``base_url="local"`` starts (or reuses) the in-process emulator.
    ``max_retries`` (default 4) is the retries of one request; ``retry_policy`` and
    ``poll_timing`` tune the delays. Every default is in ``mql_notebook/_constants.py``.
    ``model`` is the model a create uses when it names none (``MQL_MODEL``, else "sora").
    ``library`` (a ``Library``, a folder, True or False) records every generation there.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        model: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        extra_models: tuple[str, ...] | list[str] = (),
        poll_timing: PollTiming | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        library: LibraryChoice = FROM_ENVIRONMENT,
    ) -> None:
        self.settings: Settings = resolve_settings(
            api_key,
            base_url,
            model=model,
            timeout=timeout,
            max_retries=max_retries,
            wait_timeout=wait_timeout,
            max_download_bytes=max_download_bytes,
            extra_models=extra_models,
            poll_timing=poll_timing,
            retry_policy=retry_policy,
        )
        self._transport = transport
        self._rng = random.Random()
        self._pools = PoolPerLoop(self._new_pool)
        self._threaded = ThreadedPool(self._new_threaded_pool)  # downloads to a path (fetch.py)
        self.video = AsyncVideo(self)
        # The library records every generation (client/recording.py): a Library, a folder, True
        # for the default one; unset, only when MQL_LIBRARY is set.
        self.library = resolve_library(library)
        self.recorder: Recorder | None = None
        if self.library:
            from .recording import Recorder  # with the download machinery: loaded when used

            self.recorder = Recorder(self.library, self.settings)

    def without_library(self) -> AsyncMQL:
        """This client (its settings, its connections) recording nothing: how the widget still
        makes a run whose library refused the request before anything was sent."""
        other = copy.copy(self)
        other.library, other.recorder = None, None
        other.video = AsyncVideo(other)
        return other

    @property
    def retry_policy(self) -> RetryPolicy:
        """How requests are retried (``settings.retry_policy``; ``max_retries=`` sets its count)."""
        return self.settings.retry_policy

    @property
    def poll_timing(self) -> PollTiming:
        """When a wait looks again (``settings.poll_timing``)."""
        return self.settings.poll_timing

    @classmethod
    def local(cls, **options: Any) -> AsyncMQL:
        """A client of the in-process emulator (started on first use, shared by the process)."""
        return cls(base_url=LOCAL_BASE_URL, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"

    async def __aenter__(self) -> AsyncMQL:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._pools.aclose_current()
        self._threaded.close()

    def _new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=protocol.auth_headers(self.settings.api_key),
            timeout=self.settings.timeout,
            transport=self._transport,
            follow_redirects=False,
        )

    def _new_threaded_pool(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.settings.base_url,
            headers=protocol.auth_headers(self.settings.api_key),
            timeout=self.settings.timeout,
            follow_redirects=False,
        )

    async def _send(
        self, op: Operation, *, stream: bool = False, policy: RetryPolicy | None = None
    ) -> httpx.Response:
        """Send with retries as the policy allows; returns a 2xx response or raises a typed error."""
        policy = policy or self.retry_policy
        pool = self._pools.get()
        request = pool.build_request(op.method, op.path, json=op.json, headers=op.headers)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await pool.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = retry_after_exception(
                    policy, attempt, exc, idempotent=op.idempotent, rng=self._rng
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
                if response.is_success:
                    return response
                content = await response.aread()
                await response.aclose()
                delay = retry_after_status(
                    policy,
                    attempt,
                    response.status_code,
                    response.headers,
                    idempotent=op.idempotent,
                    now=time.time(),
                    rng=self._rng,
                )
                if delay is None:
                    raise protocol.error_from_response(
                        response.status_code,
                        response.headers,
                        content,
                        operation=op.description,
                        generation_id=op.generation_id,
                        now=time.time(),
                        model=op.model,
                    )
            await asyncio.sleep(delay)
            attempt += 1

    @contextlib.asynccontextmanager
    async def _stream(self, op: Operation) -> AsyncIterator[httpx.Response]:
        response = await self._send(op, stream=True)
        try:
            yield response
        finally:
            await response.aclose()


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
