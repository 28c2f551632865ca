"""Downloading a finished video: streamed, constant-memory, resumable.

The decisions (what a Content-Range says, whether an answer is a page rather than a video,
which headers resume a download) are plain functions; ``Download`` does the I/O.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    DownloadError,
    DownloadTooLargeError,
    InvalidRequestError,
    InvalidResponseError,
    MQLError,
)
from ..generation import Generation
from . import protocol
from .callbacks import call
from .redirects import (
    CREDENTIAL_HEADERS,
    describe,
    fallback_url,
    may_carry_credentials,
    next_hop,
    redirect_location,
    signed_url_expired,
)
from .retry import retry_after_exception, retry_after_status
from .sinks import Sink, make_sink

if TYPE_CHECKING:
    from .async_client import AsyncVideo

log = logging.getLogger("mql_notebook")

ProgressCallback = Callable[[int, int | None], Any]

# A proxy or captive portal may answer 200 with a page: never save that as the video.
NOT_VIDEO_TYPES = (
    "text/html",
    "application/json",
    "text/plain",
    "application/problem+json",
    "application/xml",  # a storage service's error document
    "text/xml",
)
MAX_LINK_REFRESHES = 3  # fresh signed URLs asked for in a row without a byte arriving


# -- decisions (no I/O) ---------------------------------------------------------------------


def parse_content_range(value: str) -> tuple[int, int | None]:
    """(first byte, total size or None) from ``bytes 100-199/2000``."""
    try:
        _unit, _, rest = value.partition(" ")
        span, _, total = rest.partition("/")
        start = int(span.split("-")[0])
        return start, (int(total) if total.isdigit() else None)
    except ValueError:
        raise DownloadError(f"the server sent an unreadable Content-Range: {value!r}") from None


def is_not_video(content_type: str) -> bool:
    """Whether a 2xx answer of this Content-Type is a page or an error, not the video."""
    return content_type.split(";")[0].strip().lower() in NOT_VIDEO_TYPES


def resume_headers(written: int, etag: str | None) -> dict[str, str]:
    """Range (and If-Range, so a changed file comes whole) to continue after ``written`` bytes."""
    if not written:
        return {}
    headers = {"Range": f"bytes={written}-"}
    if etag:
        headers["If-Range"] = etag
    return headers


def expected_total(
    status_code: int, headers: Mapping[str, str], written: int, gid: str
) -> tuple[int | None, bool]:
    """(the full size of the video or None, whether the sink must start over) from an answer."""
    if status_code == 206:
        start, total = parse_content_range(headers.get("content-range", ""))
        if start != written:
            raise DownloadError(
                f"the server resumed at byte {start}, not {written}", generation_id=gid
            )
        return total, False
    length = headers.get("content-length")
    # A 200 to a Range request: the whole file again, from the start.
    return (int(length) if length and length.isdigit() else None), bool(written)


# -- I/O -------------------------------------------------------------------------------------


async def download_video(
    video: AsyncVideo,
    generation_id: str | Generation,
    dest: str | os.PathLike[str] | IO[bytes] | None,
    variant: int,
    on_progress: ProgressCallback | None,
) -> bytes | Path | IO[bytes]:
    """``AsyncVideo.download``'s body: the sink is committed whole or not at all."""
    video_id = await variant_id(video, generation_id, variant)
    return await download_into(
        video, generation_id, video_id, make_sink(dest, video_id), on_progress
    )


async def download_into(
    video: AsyncVideo,
    generation_id: str | Generation,
    video_id: str,
    sink: Sink,
    on_progress: ProgressCallback | None,
) -> Any:
    """One video into ``sink``, committed whole or aborted (the library passes its own sink)."""
    try:
        await Download(video, generation_id, video_id, sink, on_progress).run()
        return await sink.commit()
    except BaseException:
        await asyncio.shield(sink.abort())
        raise


async def variant_id(video: AsyncVideo, generation_id: str | Generation, variant: int) -> str:
    if not isinstance(variant, int) or isinstance(variant, bool) or variant < 0:
        raise InvalidRequestError(
            "variant", variant, "an int >= 0 (the index of a video of an n > 1 job)"
        )
    if variant == 0:  # the job id downloads the first video
        return protocol.id_of(generation_id)
    generation = (
        generation_id
        if isinstance(generation_id, Generation)
        else await video.get_status(generation_id)
    )
    ids = generation.variant_ids
    if variant >= len(ids):
        raise InvalidRequestError(
            "variant",
            variant,
            f"an index below {len(ids)} (generation {generation.id} has {len(ids)} video(s))",
        )
    return ids[variant]


class Download:
    """One video into one sink: follows redirects, resumes with Range after a break, asks the
    API for a fresh link when a signed URL has expired, and never sends the key to storage."""

    def __init__(
        self,
        video: AsyncVideo,
        generation: str | Generation,
        video_id: str,
        sink: Sink,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._video = video
        self._client = video._client
        self._generation = generation
        self.video_id = video_id
        self.gid = protocol.id_of(generation)
        self.sink = sink
        self.on_progress = on_progress
        pool = self._client._pools.get()
        self.api_url = pool.build_request("GET", protocol.content_path(video_id)).url
        self.etag: str | None = None

    async def run(self) -> None:
        client, sink = self._client, self.sink
        source = self.api_url  # where the bytes come from: storage, once a redirect led there
        attempt = refreshes = fallbacks = 0
        progress_mark = sink.written
        while True:
            if sink.written > progress_mark:  # bytes arrived since the last trouble: fresh budgets
                attempt = refreshes = fallbacks = 0
                progress_mark = sink.written
            try:
                response, url = await self._follow(source)
                try:
                    if response.is_success:
                        await refuse_non_video(response, self.video_id)
                        source = url  # a break from here on resumes at storage, not the API
                        self.etag = response.headers.get("etag") or self.etag
                        if await self._body(response):
                            return
                        continue
                    head = await read_head(response)
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                # The connection failed or the body broke off: resume from what arrived.
                delay = retry_after_exception(
                    client.retry_policy, attempt, exc, idempotent=True, rng=client._rng
                )
                if delay is None:
                    raise self._broken_off(exc, source) from exc
                log.debug("download of %s interrupted at %d bytes", self.video_id, sink.written)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            status, from_api = response.status_code, may_carry_credentials(url, self.api_url)
            delay = retry_after_status(
                client.retry_policy,
                attempt,
                status,
                response.headers,
                idempotent=True,
                now=time.time(),
                rng=client._rng,
            )
            if delay is not None:
                attempt += 1
                await asyncio.sleep(delay)
            elif signed_url_expired(status, head, from_api=from_api):
                refreshes += 1
                if refreshes > MAX_LINK_REFRESHES:
                    raise self._storage_error(url, status, head, refreshes - 1)
                log.debug(
                    "signed URL for %s expired (%d); asking the API again", self.video_id, status
                )
                source = self.api_url
            elif status == 404 and from_api and fallbacks <= MAX_LINK_REFRESHES:
                # After an expired one, the generation the caller holds is stale: ask anew.
                fallback = await self._fallback_url(fresh=fallbacks > 0)
                fallbacks += 1
                if fallback is None:
                    raise self._error(url, response, head)
                source = fallback
            else:
                raise self._error(url, response, head)

    def _broken_off(self, exc: httpx.TransportError, source: httpx.URL) -> MQLError:
        """The error once a connection failure or a broken body can no longer be resumed."""
        if not self.sink.written and may_carry_credentials(source, self.api_url):
            # Never reached the API at all: the same error as any other call would give.
            cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
            return cls(
                str(exc) or type(exc).__name__,
                operation=f"downloading video {self.video_id}",
                generation_id=self.gid,
            )
        return DownloadError(
            f"downloading video {self.video_id} broke off at {self.sink.written} bytes and "
            f"could not be resumed ({type(exc).__name__}); nothing was saved under the "
            f"destination name; download({self.gid!r}) again to retry",
            generation_id=self.gid,
        )

    async def _follow(self, url: httpx.URL) -> tuple[httpx.Response, httpx.URL]:
        """GET ``url`` and follow its redirects; the first other answer, its body not yet read."""
        visited = [url]
        while True:
            response = await self._get(url)
            try:
                location = redirect_location(response.status_code, response.headers)
                if location is None:
                    return response, url
                await read_head(response)  # a redirect's small body: the connection stays usable
                await response.aclose()
                url = next_hop(url, location, visited)
            except DownloadError as err:
                await response.aclose()
                raise DownloadError(
                    f"downloading video {self.video_id}: {err}", generation_id=self.gid
                ) from None
            visited.append(url)
            log.debug("download of %s redirected to %s", self.video_id, describe(url))

    async def _get(self, url: httpx.URL) -> httpx.Response:
        pool = self._client._pools.get()
        # identity: the bytes are saved as they come (aiter_raw), so they must not be compressed.
        headers = {"Accept-Encoding": "identity", **resume_headers(self.sink.written, self.etag)}
        request = pool.build_request("GET", url, headers=headers)
        if not may_carry_credentials(url, self.api_url):
            for name in CREDENTIAL_HEADERS:  # the key never leaves for another origin
                request.headers.pop(name, None)
        return await pool.send(request, stream=True, follow_redirects=False)

    async def _fallback_url(self, *, fresh: bool) -> httpx.URL | None:
        """The completed generation's ``download_url`` (for this video), when it names another place."""
        generation = self._generation
        if fresh or not isinstance(generation, Generation) or generation.download_url is None:
            try:
                generation = await self._video.get_status(self.gid)
            except MQLError:
                return None
        return fallback_url(download_url_of(generation, self.video_id), self.api_url)

    async def _body(self, response: httpx.Response) -> bool:
        """Stream one answer's body into the sink; True once the video is whole."""
        sink, video_id, gid = self.sink, self.video_id, self.gid
        limit = self._client.settings.max_download_bytes
        total, restart = expected_total(response.status_code, response.headers, sink.written, gid)
        if restart:
            await sink.restart()
        if total is not None and total > limit:
            raise DownloadTooLargeError(
                f"video {video_id} is {total} bytes, above this client's max_download_bytes={limit}",
                generation_id=gid,
            )
        ceiling = limit if total is None else min(limit, total)
        on_progress = self.on_progress
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
            return True
        raise httpx.RemoteProtocolError(f"body ended at {sink.written} of {total} bytes")

    def _error(self, url: httpx.URL, response: httpx.Response, head: bytes) -> MQLError:
        if may_carry_credentials(url, self.api_url):  # the API's own answer: its typed error
            return protocol.error_from_response(
                response.status_code,
                response.headers,
                head,
                operation=f"downloading video {self.video_id}",
                generation_id=self.gid,
                now=time.time(),
            )
        return self._storage_error(url, response.status_code, head, None)

    def _storage_error(
        self, url: httpx.URL, status: int, head: bytes, refreshed: int | None
    ) -> DownloadError:
        again = f" after {refreshed} fresh link(s) from the API" if refreshed else ""
        return DownloadError(
            f"downloading video {self.video_id}: storage at {describe(url)} answered {status} "
            f"({protocol.summarize_body(head)}){again}; nothing was saved under the destination "
            f"name; download({self.gid!r}) again to retry",
            generation_id=self.gid,
        )


def download_url_of(generation: Generation, video_id: str) -> object:
    """The ``download_url`` the generation gives for ``video_id`` (a variant's own, for n > 1)."""
    if video_id == generation.id:
        return generation.download_url
    for entry in generation.raw.get("generations") or ():
        if isinstance(entry, Mapping) and entry.get("id") == video_id:
            return entry.get("download_url")
    return None


async def read_head(response: httpx.Response, limit: int = 64 * 1024) -> bytes:
    """The start of a body, enough to describe it; the rest is not wanted."""
    try:
        return response.content[:limit]  # already read (e.g. by a test transport)
    except httpx.ResponseNotRead:
        pass
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= limit:
            break
    return head


async def refuse_non_video(response: httpx.Response, video_id: str) -> None:
    content_type = response.headers.get("content-type", "")
    if is_not_video(content_type):
        head = await read_head(response)
        raise InvalidResponseError(
            f"downloading video {video_id}: the server answered {response.status_code} with "
            f"{protocol.summarize_body(head)} ({content_type.split(';')[0].strip().lower()}) "
            "instead of a video; nothing was saved"
        )
