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
from typing import IO, Any, overload

import httpx

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    DownloadError,
    DownloadTooLargeError,
    InvalidRequestError,
    InvalidResponseError,
)
from ..generation import Generation
from ..options import DEFAULT_MODEL, validate_generation_request
from . import protocol
from .callbacks import call
from .loops import PoolPerLoop
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
from .sinks import Sink, make_sink

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


class AsyncMQL:
    """Async client for the Metriqual video API.

    ``api_key`` and ``base_url`` default to ``MQL_API_KEY`` and ``MQL_BASE_URL``, then to
    https://api.metriqual.com; ``base_url="local"`` starts (or reuses) the in-process emulator.
    ``max_retries`` (default 4) is the retries of one request; ``retry_policy`` and
    ``poll_timing`` tune the delays. Every default is in ``mql_notebook/_constants.py``.
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
        self.video = AsyncVideo(self)

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

    def _new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=protocol.auth_headers(self.settings.api_key),
            timeout=self.settings.timeout,
            transport=self._transport,
            follow_redirects=False,
        )

    async def _send(self, op: _Operation, *, stream: bool = False) -> httpx.Response:
        """Send with retries as the policy allows; returns a 2xx response or raises a typed error."""
        pool = self._pools.get()
        request = pool.build_request(op.method, op.path, json=op.json, headers=op.headers)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await pool.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = retry_after_exception(
                    self.retry_policy, attempt, exc, idempotent=op.idempotent, rng=self._rng
                )
                log.debug("%s %s failed: %s", op.method, op.path, type(exc).__name__)
                if delay is None:
                    raise _connection_error(exc, op) from exc
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
                    self.retry_policy,
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
        )
        response = await self._client._send(op)
        return protocol.parse_generation(
            response.status_code, response.content, operation=op.description
        )

    async def get_status(self, generation_id: str | Generation) -> Generation:
        """The job's current state (``status["status"]`` is normalised: pending ... completed)."""
        generation, _ = await self._status_and_hint(generation_id)
        return generation

    async def _status_and_hint(
        self, generation_id: str | Generation
    ) -> tuple[Generation, float | None]:
        gid = _id_of(generation_id)
        op = _Operation(
            "GET", protocol.status_path(gid), f"checking generation {gid}", generation_id=gid
        )
        response = await self._client._send(op)
        generation = protocol.parse_generation(
            response.status_code, response.content, operation=op.description, known_id=gid
        )
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
        Raises GenerationFailedError if the job fails or is cancelled.
        """
        gid = _id_of(generation_id)
        return await poll_until_done(
            lambda: self._status_and_hint(gid),
            timing=self._client.poll_timing,
            timeout=self._client.settings.wait_timeout if timeout is None else timeout,
            on_update=on_update,
            # A Generation passed in has been seen (and reported) already: hear only what changes.
            already_seen=generation_id if isinstance(generation_id, Generation) else None,
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
        gid = _id_of(generation_id)
        video_id = await self._variant_id(generation_id, variant)
        sink = make_sink(dest, video_id)
        try:
            await self._fetch_into(video_id, sink, gid, on_progress)
            return await sink.commit()
        except BaseException:
            await asyncio.shield(sink.abort())
            raise

    async def _variant_id(self, generation_id: str | Generation, variant: int) -> str:
        if not isinstance(variant, int) or isinstance(variant, bool) or variant < 0:
            raise InvalidRequestError(
                "variant", variant, "an int >= 0 (the index of a video of an n > 1 job)"
            )
        if variant == 0:  # the job id downloads the first video
            return _id_of(generation_id)
        generation = (
            generation_id
            if isinstance(generation_id, Generation)
            else await self.get_status(generation_id)
        )
        ids = generation.variant_ids
        if variant >= len(ids):
            raise InvalidRequestError(
                "variant",
                variant,
                f"an index below {len(ids)} (generation {generation.id} has {len(ids)} video(s))",
            )
        return ids[variant]

    async def _fetch_into(
        self, video_id: str, sink: Sink, gid: str, on_progress: ProgressCallback | None
    ) -> None:
        client = self._client
        limit = client.settings.max_download_bytes
        etag: str | None = None
        interruptions = 0
        while True:
            headers: dict[str, str] = {}
            if sink.written:
                headers["Range"] = f"bytes={sink.written}-"
                if etag:
                    headers["If-Range"] = etag
            op = _Operation(
                "GET",
                protocol.content_path(video_id),
                f"downloading video {video_id}",
                headers=headers,
                generation_id=gid,
            )
            try:
                async with client._stream(op) as response:
                    await _refuse_non_video(response, video_id)
                    etag = response.headers.get("etag") or etag
                    total = await _expected_total(response, sink, gid)
                    if total is not None and total > limit:
                        raise DownloadTooLargeError(
                            f"video {video_id} is {total} bytes, above this client's max_download_bytes={limit}",
                            generation_id=gid,
                        )
                    ceiling = limit if total is None else min(limit, total)
                    # The hot loop (thousands of chunks): no await unless there is work for it.
                    async for chunk in response.aiter_raw():
                        if sink.append(chunk):
                            await sink.drain()
                        if sink.written > ceiling:
                            raise DownloadTooLargeError(
                                f"video {video_id} sent more bytes than announced or allowed ({sink.written})",
                                generation_id=gid,
                            )
                        if on_progress is not None:
                            await call(on_progress, sink.written, total)
                    if total is None or sink.written == total:
                        return
                    raise httpx.RemoteProtocolError(
                        f"body ended at {sink.written} of {total} bytes"
                    )
            except httpx.TransportError as exc:
                # The body broke off: resume from what arrived, as often as the policy allows.
                delay = retry_after_exception(
                    client.retry_policy, interruptions, exc, idempotent=True, rng=client._rng
                )
                if delay is None:
                    raise DownloadError(
                        f"downloading video {video_id} broke off at {sink.written} bytes and could not be resumed "
                        f"({type(exc).__name__}); nothing was saved under the destination name; "
                        f"download({gid!r}) again to retry",
                        generation_id=gid,
                    ) from exc
                log.debug(
                    "download of %s interrupted at %d bytes; resuming", video_id, sink.written
                )
                interruptions += 1
                await asyncio.sleep(delay)

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


async def _expected_total(response: httpx.Response, sink: Sink, gid: str) -> int | None:
    """The full size of the video from this answer; restarts the sink if the server ignored our Range."""
    if response.status_code == 206:
        start, total = _parse_content_range(response.headers.get("content-range", ""))
        if start != sink.written:
            raise DownloadError(
                f"the server resumed at byte {start}, not {sink.written}", generation_id=gid
            )
        return total
    if sink.written:
        await sink.restart()  # a 200 to a Range request: the whole file again, from the start
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


# A proxy or captive portal may answer 200 with a page: never save that as the video.
_NOT_VIDEO_TYPES = ("text/html", "application/json", "text/plain", "application/problem+json")


async def _refuse_non_video(response: httpx.Response, video_id: str) -> None:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _NOT_VIDEO_TYPES:
        try:
            head = response.content  # already read (e.g. by a test transport)
        except httpx.ResponseNotRead:
            head = b""
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) >= 64 * 1024:  # enough to describe it; the rest is not wanted
                    break
        raise InvalidResponseError(
            f"downloading video {video_id}: the server answered {response.status_code} with "
            f"{protocol.summarize_body(head)} ({content_type}) instead of a video; nothing was saved"
        )


def _parse_content_range(value: str) -> tuple[int, int | None]:
    # "bytes 100-199/2000"
    try:
        _unit, _, rest = value.partition(" ")
        span, _, total = rest.partition("/")
        start = int(span.split("-")[0])
        return start, (int(total) if total.isdigit() else None)
    except ValueError:
        raise DownloadError(f"the server sent an unreadable Content-Range: {value!r}") from None


def _connection_error(exc: httpx.TransportError, op: _Operation) -> APIConnectionError:
    detail = str(exc) or type(exc).__name__
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    if not op.idempotent and request_was_sent(exc):
        detail += (
            "; the server may have accepted the request, so it was not sent again "
            "(a second create could bill a second video)"
        )
    return cls(detail, operation=op.description, generation_id=op.generation_id)


def _id_of(generation_id: str | Generation) -> str:
    if isinstance(generation_id, Generation):
        return generation_id.id
    protocol.escape_id(generation_id)  # refuses empty, non-string or absurd ids before any request
    return generation_id
