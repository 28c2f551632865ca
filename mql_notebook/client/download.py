"""Downloading a finished video: streamed, constant-memory, resumable.

The decisions (what a Content-Range says, whether an answer is a page rather than a video,
which headers resume a download) are plain functions; ``Download`` does the I/O.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from ..errors import DownloadError, DownloadTooLargeError, InvalidRequestError, InvalidResponseError
from ..generation import Generation
from . import protocol
from .callbacks import call
from .retry import retry_after_exception
from .sinks import Sink, make_sink

if TYPE_CHECKING:
    from .async_client import AsyncVideo

log = logging.getLogger("mql_notebook")

ProgressCallback = Callable[[int, int | None], Any]

# A proxy or captive portal may answer 200 with a page: never save that as the video.
NOT_VIDEO_TYPES = ("text/html", "application/json", "text/plain", "application/problem+json")


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
    gid = protocol.id_of(generation_id)
    video_id = await variant_id(video, generation_id, variant)
    sink = make_sink(dest, video_id)
    try:
        await Download(video, video_id, gid, sink, on_progress).run()
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
    """One video into one sink, resuming with Range after a break."""

    def __init__(
        self,
        video: AsyncVideo,
        video_id: str,
        gid: str,
        sink: Sink,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._video = video
        self._client = video._client
        self.video_id = video_id
        self.gid = gid
        self.sink = sink
        self.on_progress = on_progress

    async def run(self) -> None:
        client, sink, video_id, gid = self._client, self.sink, self.video_id, self.gid
        etag: str | None = None
        interruptions = 0
        while True:
            try:
                async with self._video._content_stream(
                    video_id, gid, resume_headers(sink.written, etag)
                ) as response:
                    await refuse_non_video(response, video_id)
                    etag = response.headers.get("etag") or etag
                    if await self._body(response):
                        return
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


async def refuse_non_video(response: httpx.Response, video_id: str) -> None:
    content_type = response.headers.get("content-type", "")
    if is_not_video(content_type):
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
            f"{protocol.summarize_body(head)} ({content_type.split(';')[0].strip().lower()}) "
            "instead of a video; nothing was saved"
        )
