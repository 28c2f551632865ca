"""The async client: ``AsyncMQL`` does the work; ``MQL`` (sync_client) runs the same code to completion.

All decisions (validation, request shapes, parsing, retry and poll timing) are plain
functions in options, protocol, retry and poller; this module only sends and sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, overload

import httpx

from ..errors import (
    APIConnectionError,
    APITimeoutError,
)
from ..generation import Generation
from ..library import FROM_ENVIRONMENT, LibraryChoice, resolve_library
from ..options import DEFAULT_MODEL, validate_generation_request
from . import protocol
from .callbacks import call
from .loops import PoolPerLoop, ThreadedPool
from .poller import PollTiming, poll_until_done
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

if TYPE_CHECKING:
    from .recording import Recorder
    from .resume import Resumed

log = logging.getLogger("mql_notebook")

Destination = str | os.PathLike[str] | IO[bytes] | None
UpdateCallback = Callable[[Generation], Any]
ProgressCallback = Callable[[int, int | None], Any]


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    description: str  # what was being done, for error messages
    idempotent: bool = True
    json: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    generation_id: str | None = None
    model: str | None = None  # on create: a 404/410 about it is a ModelUnavailableError


# Inside a wait each status look is one request: the poller rides out failures itself.
_ONE_ATTEMPT = RetryPolicy(max_retries=0)


class AsyncMQL:
    """Async client for the Metriqual video API.

    ``api_key`` and ``base_url`` default to ``MQL_API_KEY`` and ``MQL_BASE_URL``, then to
    https://api.metriqual.com; ``base_url="local"`` starts (or reuses) the in-process emulator.
    ``max_retries`` (default 4) is the retries of one request; ``retry_policy`` and
    ``poll_timing`` tune the delays. Every default is in ``mql_notebook/_constants.py``.
    ``library`` (a ``Library``, a folder, True or False) records every generation there.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
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
        self, op: _Operation, *, stream: bool = False, policy: RetryPolicy | None = None
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
    async def _stream(self, op: _Operation) -> AsyncIterator[httpx.Response]:
        response = await self._send(op, stream=True)
        try:
            yield response
        finally:
            await response.aclose()


class AsyncVideo:
    """``client.video``: the seed's calls (create, get_status, download, create_and_wait,
    create_and_download) plus ``wait``."""

    def __init__(self, client: AsyncMQL) -> None:
        self._client = client

    async def create(
        self,
        model: str = DEFAULT_MODEL,
        prompt: str | None = None,
        aspect_ratio: str | None = None,
        duration: int | None = None,
        n: int | None = None,
        *,
        resolution: str | None = None,
        idempotency_key: str | None = None,
    ) -> Generation:
        """Start a generation job (billed). Every option is checked before anything is sent."""
        body = validate_generation_request(
            model=model,
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            duration=duration,
            n=n,
            resolution=resolution,
            extra_models=self._client.settings.extra_models,
        )
        key = idempotency_key or protocol.new_idempotency_key()
        op = _Operation(
            "POST",
            protocol.CREATE_PATH,
            "creating a generation",
            idempotent=False,
            json=body,
            headers={"Idempotency-Key": key},
            model=body["model"],
        )
        recorder = self._client.recorder
        entry = await recorder.before_create(body, key) if recorder else None
        try:
            response = await self._client._send(op)
            generation = protocol.parse_generation(
                response.status_code, response.content, operation=op.description
            )
        except BaseException as error:
            if recorder and entry:
                await recorder.create_failed(entry, error)
            raise
        if recorder and entry:
            await recorder.answered(entry, generation)
        return generation

    async def get_status(self, generation_id: str | Generation) -> Generation:
        """The job's current state (``status["status"]`` is normalised: pending ... completed)."""
        generation, _ = await self._status_and_hint(generation_id)
        return generation

    async def _status_and_hint(
        self, generation_id: str | Generation, *, policy: RetryPolicy | None = None
    ) -> tuple[Generation, float | None]:
        gid = protocol.id_of(generation_id)
        op = _Operation(
            "GET", protocol.status_path(gid), f"checking generation {gid}", generation_id=gid
        )
        response = await self._client._send(op, policy=policy)
        generation = protocol.parse_generation(
            response.status_code, response.content, operation=op.description, known_id=gid
        )
        if self._client.recorder:
            await self._client.recorder.observed(generation)
        return generation, protocol.poll_hint(response.headers, time.time())

    async def wait(
        self,
        generation_id: str | Generation,
        *,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
    ) -> Generation:
        """Poll until the job completes; resumable: after a WaitTimeoutError call it again with the id.

        ``on_update(generation)`` is called on every change of status or progress.
        Outages (connection errors, timeouts, 408, 429, 5xx, 529) never end the wait before
        its deadline: ``on_update`` then hears the last state with ``reconnecting`` set to
        the reason, and the fresh state once the server answers again.
        Raises GenerationFailedError if the job fails or is cancelled.
        """
        gid = protocol.id_of(generation_id)
        recorder = self._client.recorder  # how long such jobs took here (read in a thread)
        expected = await recorder.expected_for(gid) if recorder else None
        return await poll_until_done(
            lambda: self._status_and_hint(gid, policy=_ONE_ATTEMPT),
            timing=self._client.poll_timing,
            timeout=self._client.settings.wait_timeout if timeout is None else timeout,
            on_update=on_update,
            # A Generation passed in has been seen (and reported) already: hear only what changes.
            already_seen=generation_id if isinstance(generation_id, Generation) else None,
            generation_id=gid,
            rng=self._client._rng,
            expected=expected,
        )

    @overload
    async def download(
        self,
        generation_id: str | Generation,
        dest: None = None,
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> bytes: ...
    @overload
    async def download(
        self,
        generation_id: str | Generation,
        dest: str | os.PathLike[str],
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> Path: ...
    @overload
    async def download(
        self,
        generation_id: str | Generation,
        dest: IO[bytes],
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> IO[bytes]: ...

    async def download(
        self,
        generation_id: str | Generation,
        dest: Destination = None,
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
    ) -> bytes | Path | IO[bytes]:
        """The finished video: bytes when ``dest`` is None, else streamed to a path or file object.

        A path is written under a temporary name and renamed once complete; a dropped
        connection resumes with a Range request. ``variant`` picks a video of an n > 1 job.
        """
        if self._client.recorder:  # into the library first, then as dest asks
            return await self._client.recorder.download(
                self, generation_id, dest, variant, on_progress
            )
        from .download import download_video  # loaded on the first download: a lighter import

        return await download_video(self, generation_id, dest, variant, on_progress)

    async def create_and_wait(
        self,
        model: str = DEFAULT_MODEL,
        prompt: str | None = None,
        aspect_ratio: str | None = None,
        duration: int | None = None,
        n: int | None = None,
        *,
        resolution: str | None = None,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
    ) -> Generation:
        """Create a job and wait for it; errors after the create carry its id, so nothing is lost."""
        generation = await self.create(
            model, prompt, aspect_ratio, duration, n, resolution=resolution
        )
        await call(on_update, generation)
        return await self.wait(generation, timeout=timeout, on_update=on_update)

    async def create_and_download(
        self,
        model: str = DEFAULT_MODEL,
        prompt: str | None = None,
        aspect_ratio: str | None = None,
        duration: int | None = None,
        n: int | None = None,
        *,
        resolution: str | None = None,
        dest: Destination = None,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Any:
        """Create, wait and download the first video (bytes, or the path/file given as ``dest``)."""
        generation = await self.create_and_wait(
            model,
            prompt,
            aspect_ratio,
            duration,
            n,
            resolution=resolution,
            timeout=timeout,
            on_update=on_update,
        )
        return await self.download(generation, dest, on_progress=on_progress)

    async def resume_pending(
        self, *, resend_unanswered: bool = False, timeout: float | None = None
    ) -> list[Resumed]:
        """Wait for and download every unfinished entry of the library (see client/resume.py).

        Creates nothing, unless ``resend_unanswered``: then a create that never got an answer
        is sent again with its Idempotency-Key. Returns what became of each entry.
        """
        from .resume import resume_pending

        return await resume_pending(self, resend_unanswered=resend_unanswered, timeout=timeout)


def _connection_error(
    exc: httpx.TransportError, op: _Operation, url: httpx.URL
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
