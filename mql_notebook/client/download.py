"""Downloading a finished video: streamed, constant-memory, resumable.

The decisions (what a Content-Range says, whether an answer is a page rather than a video,
which headers resume a download) are plain functions in ``download_rules``; when to try
again after a failure is ``retry``'s; ``Download`` does the I/O, through the client's
``Transport`` (transport.py), and asks a ``Links`` callable (``fresh_links``) for a new link
when the one it followed is gone. It knows no client: ``AsyncVideo.download`` builds it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from .._origins import origin_of
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    DownloadError,
    DownloadTooLargeError,
    InvalidResponseError,
    MQLError,
)
from . import protocol
from .download_links import (  # noqa: F401 (re-exported)
    Completed,
    Links,
    fresh_links,
    known_completed,
    variant_id,
)
from .download_rules import (  # noqa: F401 (re-exported)
    NOT_VIDEO_TYPES,
    expected_total,
    is_not_video,
    parse_content_range,
    resume_headers,
)
from .redirects import (
    describe,
    fallback_url,
    may_carry_credentials,
    next_hop,
    redirect_location,
    signed_url_expired,
)
from .retry import (
    is_transient_status,
    is_transient_transport_error,
    outage_retry_delay,
    parse_retry_after,
    retry_after_exception,
)
from .sinks import Sink
from .unreachable import connection_detail

if TYPE_CHECKING:
    from .settings import Settings
    from .transport import Transport

log = logging.getLogger("mql_notebook")

ProgressCallback = Callable[[int, int | None], Any]

MAX_LINK_REFRESHES = 3  # fresh signed URLs asked for in a row without a byte arriving


# -- I/O -------------------------------------------------------------------------------------


class Download:
    """One video into one sink: follows redirects, resumes with Range after a break, asks the
    API for a fresh link when a signed URL has expired, and never sends the key to storage."""

    def __init__(
        self,
        transport: Transport,
        settings: Settings,
        sink: Sink,
        video_id: str,
        generation_id: str,
        links: Links,
        on_progress: ProgressCallback | None,
        completed: Completed | None = None,
        *,
        from_link: bool = False,
    ) -> None:
        # from_link: the bytes are only at the link ``links`` names (a MiniMax file object's
        # download_url), asked anew when it expires; the content endpoint is never asked.
        self._from_link = from_link
        self._settings = settings
        self._rng = transport.rng
        self._links = links
        self._completed = completed
        self._lag_since: float | None = None  # loop time of the first 404 of a completed job
        self._lag_tries = 0
        self.video_id = video_id
        self.gid = generation_id
        self.sink = sink
        self.on_progress = on_progress
        self._fetch = transport.fetch_for(sink)  # on the loop, or in a worker thread
        self.api_url = self._fetch.url_of(protocol.content_path(video_id))
        self.etag: str | None = None
        self._outage_since: float | None = None  # loop time of the outage's first failure
        self._outage_failures = 0  # failed tries in a row with no byte arriving

    async def save(self) -> Any:
        """The video into the sink, committed whole (the sink's result), or the sink aborted."""
        try:
            await self.run()
            return await self.sink.commit()
        except BaseException:
            await asyncio.shield(self.sink.abort())
            raise

    async def run(self) -> None:
        sink, policy = self.sink, self._settings.retry_policy
        # Where the bytes come from: storage, once a redirect led there.
        source = await self._link(fresh=False) if self._from_link else self.api_url
        attempt = refreshes = fallbacks = 0
        progress_mark = sink.written
        while True:
            if sink.written > progress_mark:  # bytes arrived since the last trouble: fresh budgets
                attempt = refreshes = fallbacks = 0
                self._outage_since, self._outage_failures = None, 0
                progress_mark = sink.written
            try:
                response, url = await self._follow(source)
            except httpx.TransportError as exc:
                # No answer at all (refused, reset, timed out): an outage, ridden out for the
                # policy's budget in seconds, then the download resumes from what arrived.
                delay = self._outage_delay(exc) if is_transient_transport_error(exc) else None
                if delay is None:
                    raise self._broken_off(exc, source) from exc
                await asyncio.sleep(delay)
                continue
            try:
                try:
                    if response.is_success:
                        await self._refuse_non_video(response)
                        source = url  # a break from here on resumes at storage, not the API
                        self.etag = response.headers.get("etag") or self.etag
                        if await self._body(response):
                            return
                        continue
                    head = await self._fetch.read_head(response)
                finally:
                    await self._fetch.close(response)
            except httpx.TransportError as exc:
                # The body broke off: resume from what arrived (a break with no byte since the
                # last one counts against the policy's retries).
                delay = retry_after_exception(policy, attempt, exc, idempotent=True, rng=self._rng)
                if delay is None:
                    raise self._broken_off(exc, source) from exc
                log.debug("download of %s interrupted at %d bytes", self.video_id, sink.written)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            status, from_api = response.status_code, may_carry_credentials(url, self.api_url)
            if is_transient_status(status):  # 5xx, 408, 429 from the API or storage: an outage
                error = self._error(url, response, head)
                if getattr(error, "final", False):  # a 429 about money: waiting changes nothing
                    raise error
                retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
                delay = self._outage_delay(f"HTTP {status}", retry_after)
                if delay is None:
                    raise error
                await asyncio.sleep(delay)
            elif signed_url_expired(status, head, from_api=from_api):
                refreshes += 1
                if refreshes > MAX_LINK_REFRESHES:
                    raise self._storage_error(url, status, head, refreshes - 1)
                log.debug(
                    "signed URL for %s expired (%d); asking the API again", self.video_id, status
                )
                source = await self._link(fresh=True) if self._from_link else self.api_url
            elif (
                status == 404
                and from_api
                and fallbacks <= MAX_LINK_REFRESHES
                and (
                    # After an expired one, the generation the caller holds is stale: ask anew.
                    fallback := await self._fallback_url(fresh=fallbacks > 0)
                )
            ):
                fallbacks += 1
                source = fallback
            elif status == 404 and self._completed is not None and await self._completed():
                fallbacks += 1  # asked once more at most each time, while storage lags
                delay = self._lag_delay()
                if delay is None:
                    raise self._still_missing(url, response, head)
                await asyncio.sleep(delay)  # storage not caught up yet: the same source again
            else:
                raise self._error(url, response, head)

    def _outage_delay(self, cause: object, retry_after: float | None = None) -> float | None:
        """Seconds until the next try in an outage, or None once its budget is spent."""
        now = asyncio.get_running_loop().time()
        if self._outage_since is None:
            self._outage_since = now
        self._outage_failures += 1
        delay = outage_retry_delay(
            self._settings.poll_timing.outage,
            self._outage_failures,
            now - self._outage_since,
            self._settings.retry_policy.download_outage_budget,
            retry_after,
            self._rng.random(),
        )
        log.debug(
            "download of %s: %s at %d bytes; %s",
            self.video_id,
            cause,
            self.sink.written,
            "giving up" if delay is None else f"trying again in {delay:.2f} s",
        )
        return delay

    def _lag_delay(self) -> float | None:
        """Seconds until content is asked again while storage lags, or None once the grace is spent."""
        now = asyncio.get_running_loop().time()
        if self._lag_since is None:
            self._lag_since = now
        self._lag_tries += 1
        return outage_retry_delay(
            self._settings.poll_timing.outage,
            self._lag_tries,
            now - self._lag_since,
            self._settings.retry_policy.content_lag_grace,
            None,
            self._rng.random(),
        )

    def _still_missing(self, url: httpx.URL, response: httpx.Response, head: bytes) -> MQLError:
        """Content still 404 for a completed job once the grace is spent: the id is kept."""
        waited = self._settings.retry_policy.content_lag_grace
        return DownloadError(
            f"downloading video {self.video_id}: generation {self.gid} completed but its "
            f"video was still not found after {waited:g} s ({self._error(url, response, head)}); "
            f"the job is kept: download({self.gid!r}) again later, or resume_pending()",
            generation_id=self.gid,
        )

    def _broken_off(self, exc: httpx.TransportError, source: httpx.URL) -> MQLError:
        """The error once a connection failure or a broken body can no longer be resumed."""
        if not self.sink.written and may_carry_credentials(source, self.api_url):
            # Never reached the API at all: the same error as any other call would give.
            cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
            origin = origin_of(source)
            return cls(
                connection_detail(exc, origin),
                operation=f"downloading video {self.video_id}",
                generation_id=self.gid,
                origin=origin,
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
                # A redirect's small body, read so that the connection stays usable.
                await self._fetch.read_head(response)
                await self._fetch.close(response)
                url = next_hop(url, location, visited)
            except DownloadError as err:
                await self._fetch.close(response)
                raise DownloadError(
                    f"downloading video {self.video_id}: {err}", generation_id=self.gid
                ) from None
            visited.append(url)
            log.debug("download of %s redirected to %s", self.video_id, describe(url))

    async def _get(self, url: httpx.URL) -> httpx.Response:
        # identity: the bytes are saved as they come (raw), so they must not be compressed.
        headers = {"Accept-Encoding": "identity", **resume_headers(self.sink.written, self.etag)}
        credentials = may_carry_credentials(url, self.api_url)
        response: httpx.Response = await self._fetch.get(url, headers, credentials=credentials)
        return response

    async def _link(self, *, fresh: bool) -> httpx.URL:
        """The link the bytes are at (``from_link``), or DownloadError when none can be had."""
        raw = await self._links(fresh)
        url = fallback_url(raw, self.api_url)
        if url is None and isinstance(raw, str) and raw.strip() == str(self.api_url):
            url = self.api_url  # the API's own content route: it may carry the key
        if url is None:
            raise DownloadError(
                f"downloading video {self.video_id}: the API named no download_url to fetch it "
                f"from; download({self.gid!r}) again to retry",
                generation_id=self.gid,
            )
        return url

    async def _fallback_url(self, *, fresh: bool) -> httpx.URL | None:
        """The completed generation's ``download_url`` (for this video), when it names another place."""
        return fallback_url(await self._links(fresh), self.api_url)

    async def _body(self, response: httpx.Response) -> bool:
        """Stream one answer's body into the sink; True once the video is whole."""
        sink, video_id, gid = self.sink, self.video_id, self.gid
        limit = self._settings.max_download_bytes
        total, restart = expected_total(response.status_code, response.headers, sink.written, gid)
        if restart:
            await sink.restart()
        if total is not None and total > limit:
            raise DownloadTooLargeError(
                f"video {video_id} is {total} bytes, above this client's max_download_bytes={limit}",
                generation_id=gid,
            )
        ceiling = limit if total is None else min(limit, total)
        await self._fetch.body(response, sink, total, ceiling, (video_id, gid), self.on_progress)
        if total is None or sink.written == total:
            return True
        raise httpx.RemoteProtocolError(f"body ended at {sink.written} of {total} bytes")

    async def _refuse_non_video(self, response: httpx.Response) -> None:
        """A proxy or captive portal may answer 200 with a page: never save that as the video."""
        content_type = response.headers.get("content-type", "")
        if is_not_video(content_type):
            head = await self._fetch.read_head(response)
            raise InvalidResponseError(
                f"downloading video {self.video_id}: the server answered {response.status_code} "
                f"with {protocol.summarize_body(head)} "
                f"({content_type.split(';')[0].strip().lower()}) instead of a video; nothing was saved"
            )

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
