"""``client.video``: the seed's calls (create, get_status, download, create_and_wait,
create_and_download) plus ``wait`` and ``resume_pending``.

Each method builds its requests (``Operation``), sends them through the client's ``Transport``
and hands decisions to plain functions: options checks, the wire format (protocol), the poll
plan (poller), downloads (download). What it needs is handed to it by ``AsyncMQL``: the
transport, the settings, the library's recorder and a way to make a client of another server.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, overload

from ..errors import InvalidRequestError, ModelUnavailableError
from ..generation import GENERATIONS_ROUTE, MINIMAX_ROUTE, ROUTES, Generation
from ..request import gather_options, validate_generation_request
from . import minimax, protocol
from .callbacks import call
from .minimax_calls import MiniMaxCalls
from .operation import Operation
from .poller import poll_until_done
from .retry import RetryPolicy
from .settings import with_default_model_hint
from .tasks import TaskRoute

if TYPE_CHECKING:
    from .download import Links
    from .recording import Recorder
    from .resume import ClientFactory, Resumed
    from .settings import Settings
    from .transport import Transport

Destination = str | os.PathLike[str] | IO[bytes] | None
UpdateCallback = Callable[[Generation], Any]
ProgressCallback = Callable[[int, int | None], Any]

# Inside a wait each status look is one request: the poller rides out failures itself.
_ONE_ATTEMPT = RetryPolicy(max_retries=0)


class AsyncVideo(MiniMaxCalls):
    """``client.video``: the seed's calls (create, get_status, download, create_and_wait,
    create_and_download) plus ``wait``, and the official SDK's MiniMax task calls
    (``create_from_image``, ``query_video_status``, ...; see minimax_calls.py).

    Each job lives on one route of the API (``Generation.route``): ``create`` chooses it from
    the request (``minimax.choose_route``), and ``wait`` and ``download`` follow it.
    """

    def __init__(
        self,
        transport: Transport,
        settings: Settings,
        recorder: Recorder | None = None,
        *,
        client_of: ClientFactory | None = None,
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._recorder = recorder  # the library's, when the client has one
        self._client_of = client_of  # resume_pending: a client of another origin
        self.tasks = TaskRoute(transport, recorder)  # the MiniMax task route's looks and files

    async def create(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *positional: Any,
        idempotency_key: str | None = None,
        route: str | None = None,
        **options: Any,
    ) -> Generation:
        """Start a generation job (billed). Every option is checked before anything is sent.

        ``create(model, prompt, aspect_ratio, duration, n)`` as the API page calls it; every
        option of the request's declaration (``mql_notebook.request.OPTIONS``: aspect_ratio,
        duration, n, resolution, seed, ...) may be given by name, and one left as None is not
        sent. ``model`` None is the client's default model (``MQL_MODEL``, else "sora").

        A MiniMax model with a ``first_frame_image`` goes by the MiniMax task route (its id is
        the ``task_id``); anything else by ``/v1/videos/generations``. ``route="minimax"`` or
        ``route="generations"`` chooses. The Generation's ``route`` says which it took.
        """
        chosen = model if model is not None else self._settings.model
        gathered = gather_options(positional, options)
        route = minimax.choose_route(chosen if isinstance(chosen, str) else "", gathered, route)
        key = idempotency_key or protocol.new_idempotency_key()
        check = None
        if route == MINIMAX_ROUTE:
            body = minimax.task_body(chosen, prompt, gathered)
            op = minimax.create_operation(body, key)
            parse = minimax.parse_created
            check = functools.partial(minimax.base_resp_error, operation=op.description)
        else:
            body = validate_generation_request(model=chosen, prompt=prompt, **gathered)
            op = Operation(
                "POST",
                protocol.CREATE_PATH,
                "creating a generation",
                idempotent=False,
                json=body,
                headers={"Idempotency-Key": key},
                model=body["model"],
            )
            parse = protocol.parse_generation
        recorder = self._recorder
        entry = await recorder.before_create(body, key, route) if recorder else None
        try:
            response = await self._transport.send(op, check=check)
            generation = parse(response.status_code, response.content, operation=op.description)
        except BaseException as error:
            if recorder and entry:
                await recorder.create_failed(entry, error)
            if isinstance(error, ModelUnavailableError) and model is None:
                raise with_default_model_hint(error, self._settings) from error
            raise
        if recorder and entry:
            await recorder.answered(entry, generation)
        return generation

    async def get_status(
        self, generation_id: str | Generation, *, route: str | None = None
    ) -> Generation:
        """The job's current state (``status["status"]`` is normalised: pending ... completed).

        ``route``: as for ``wait``."""
        route = await self.route_of(generation_id, route)
        generation, _ = await self._status_and_hint(generation_id, route=route)
        return generation

    async def route_of(self, generation_id: str | Generation, route: str | None = None) -> str:
        """The route a job lives on: ``route`` if given, else the Generation's, else the one the
        library recorded for the id, else the generations route."""
        if route is not None:
            if route not in ROUTES:
                raise InvalidRequestError("route", route, ROUTES)
            return route
        if isinstance(generation_id, Generation):
            return generation_id.route
        known = await self._recorder.route_of(generation_id) if self._recorder else None
        return known or GENERATIONS_ROUTE

    async def _status_and_hint(
        self,
        generation_id: str | Generation,
        *,
        policy: RetryPolicy | None = None,
        route: str = GENERATIONS_ROUTE,
    ) -> tuple[Generation, float | None]:
        gid = protocol.id_of(generation_id)
        if route == MINIMAX_ROUTE:
            return await self.tasks.look(gid, policy=policy)
        op = Operation(
            "GET", protocol.status_path(gid), f"checking generation {gid}", generation_id=gid
        )
        response = await self._transport.send(op, policy=policy)
        generation = protocol.parse_generation(
            response.status_code, response.content, operation=op.description, known_id=gid
        )
        if self._recorder:
            await self._recorder.observed(generation)
        return generation, protocol.poll_hint(response.headers, time.time())

    async def wait(
        self,
        generation_id: str | Generation,
        *,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        route: str | None = None,
        poll_interval: float | None = None,
    ) -> Generation:
        """Poll until the job completes; resumable: after a WaitTimeoutError call it again with the id.

        ``route``: the route the job lives on (``"minimax"`` for a MiniMax task id); by default
        the Generation's, else the library's record of the id, else the generations route.
        ``poll_interval``: the longest gap between two looks (the client's poll timing is kept
        otherwise: it looks sooner when it can tell the job is about to end).

        ``on_update(generation)`` is called on every change of status or progress; its
        ``expected_end`` / ``eta_seconds`` say when the job should end, once that can be told
        (the progress rate, or with a library how long such jobs took here lately).
        Outages (connection errors, timeouts, 408, 429, 5xx, 529) never end the wait before
        its deadline: ``on_update`` then hears the last state with ``reconnecting`` set to
        the reason, and the fresh state once the server answers again.
        Raises GenerationFailedError if the job fails or is cancelled.
        """
        gid = protocol.id_of(generation_id)
        route = await self.route_of(generation_id, route)
        recorder = self._recorder  # how long such jobs took here (read in a thread)
        expected = await recorder.expected_for(gid) if recorder else None
        timing = self._settings.poll_timing
        if poll_interval is not None:
            timing = dataclasses.replace(
                timing,
                max_interval=min(timing.max_interval, poll_interval),
                min_interval=min(timing.min_interval, poll_interval),
                first_delay=min(timing.first_delay, poll_interval),
            )
        return await poll_until_done(
            lambda: self._status_and_hint(gid, policy=_ONE_ATTEMPT, route=route),
            timing=timing,
            timeout=self._settings.wait_timeout if timeout is None else timeout,
            on_update=on_update,
            # A Generation passed in has been seen (and reported) already: hear only what changes.
            already_seen=generation_id if isinstance(generation_id, Generation) else None,
            generation_id=gid,
            rng=self._transport.rng,
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
        route: str | None = None,
    ) -> bytes: ...
    @overload
    async def download(
        self,
        generation_id: str | Generation,
        dest: str | os.PathLike[str],
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
        route: str | None = None,
    ) -> Path: ...
    @overload
    async def download(
        self,
        generation_id: str | Generation,
        dest: IO[bytes],
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
        route: str | None = None,
    ) -> IO[bytes]: ...

    async def download(
        self,
        generation_id: str | Generation,
        dest: Destination = None,
        *,
        variant: int = 0,
        on_progress: ProgressCallback | None = None,
        route: str | None = None,
    ) -> bytes | Path | IO[bytes]:
        """The finished video: bytes when ``dest`` is None, else streamed to a path or file object.

        A path is written under a temporary name and renamed once complete; a dropped
        connection resumes with a Range request. ``variant`` picks a video of an n > 1 job.
        With a library, the video goes into it first, then to ``dest``. A MiniMax task's
        video (``route``, as for ``wait``) comes from its file object's ``download_url``.
        """
        # Loaded on the first download: a lighter import.
        from .download import fresh_links, variant_id

        if await self.route_of(generation_id, route) == MINIMAX_ROUTE:
            if variant != 0:
                raise InvalidRequestError("variant", variant, "0 (a MiniMax task has one video)")
            source = await self.tasks.source(generation_id)
            return await self._save(source.task_id, source.links, dest, on_progress=on_progress)
        video_id = await variant_id(generation_id, variant, self.get_status)
        links = fresh_links(generation_id, video_id, self.get_status)
        gid = protocol.id_of(generation_id)
        return await self._save(
            gid, links, dest, variant=variant, video_id=video_id, on_progress=on_progress
        )

    async def _save(
        self,
        gid: str,
        links: Links,
        dest: Destination,
        *,
        variant: int = 0,
        video_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Any:
        """Video ``variant`` of job ``gid`` into the library (with one) and to ``dest``.

        ``video_id`` None: the bytes are only at the link ``links`` names (a MiniMax file's
        download_url), never at the content endpoint."""
        from .download import Download
        from .sinks import make_sink

        target = make_sink(dest, video_id or gid)  # refuses a bad dest before anything is fetched

        def into(sink: Any) -> Any:
            download = Download(
                self._transport,
                self._settings,
                sink,
                video_id or gid,
                gid,
                links,
                on_progress,
                from_link=video_id is None,
            )
            return download.save()

        recorder = self._recorder
        if recorder is None:
            return await into(target)
        # Into the library first (its sink, hashed), recorded there, then handed to dest.
        from .recording import hand_over

        kept = await recorder.library_sink(gid, variant)
        try:
            await into(kept)
        except OSError as error:  # a full disk, an unwritable folder
            raise await recorder.record_failed_download(gid, video_id or gid, error) from error
        path = await recorder.record_download(gid, variant, kept)
        return await hand_over(path, dest, target)

    async def create_and_wait(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *positional: Any,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        **options: Any,
    ) -> Generation:
        """Create a job and wait for it; errors after the create carry its id, so nothing is lost.

        The options are ``create``'s.
        """
        generation = await self.create(model, prompt, *positional, **options)
        await call(on_update, generation)
        return await self.wait(generation, timeout=timeout, on_update=on_update)

    async def create_and_download(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *positional: Any,
        dest: Destination = None,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        on_progress: ProgressCallback | None = None,
        **options: Any,
    ) -> Any:
        """Create, wait and download the first video (bytes, or the path/file given as ``dest``).

        The options are ``create``'s.
        """
        generation = await self.create_and_wait(
            model, prompt, *positional, timeout=timeout, on_update=on_update, **options
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

        return await resume_pending(
            self,
            self._recorder,
            self._client_of,
            resend_unanswered=resend_unanswered,
            timeout=timeout,
        )
