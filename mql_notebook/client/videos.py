"""``client.video``: the seed's calls (create, get_status, download, create_and_wait,
create_and_download) plus ``wait``, ``resume_pending``, ``estimate`` and ``spending``.

Each method builds its requests (``Operation``), sends them through the client's ``Transport``
and hands decisions to plain functions: options checks, the wire format (protocol), the poll
plan (poller), downloads (download). What it needs is handed to it by ``AsyncMQL``: the
transport, the settings, the library's recorder and a way to make a client of another server.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, overload

from ..errors import InvalidRequestError, ModelUnavailableError
from ..generation import GENERATIONS_ROUTE, MINIMAX_ROUTE, ROUTES, Generation
from . import protocol
from .callbacks import call
from .create_request import build_create
from .minimax_calls import MiniMaxCalls
from .money_calls import MoneyCalls
from .operation import Operation
from .poller import poll_until_done
from .retry import RetryPolicy
from .settings import with_default_model_hint
from .slot_wait import send_when_free
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


class AsyncVideo(MoneyCalls, MiniMaxCalls):
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
        fit: str | None = None,
        parent: Any = None,
        slot_timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        route: str | None = None,
        **options: Any,
    ) -> Generation:
        """Start a generation job (billed). Every option is checked before anything is sent.

        While the gateway is full (it answers 429, or 503: nothing was made) the same request
        (the same Idempotency-Key) goes again, as ``Retry-After`` asks or every few seconds, for
        up to ``slot_timeout`` seconds (None: the client's ``slot_timeout``, by default its
        ``wait_timeout``; 0: not at all); ``on_update`` then hears a Generation with no id whose
        ``waiting_for_slot`` is the server's reason, and the created job once it is made. An
        answer that means "never" (``BillingError``: arrears, a depleted pack, a spend cap, a
        balance, 402; ``ContentRefusedError``: moderation) is raised after that one request.

        ``create(model, prompt, aspect_ratio, duration, n)`` as the API page calls it; every
        option of the request's declaration (``mql_notebook.request.OPTIONS``: aspect_ratio,
        duration, n, resolution, seed, first_frame_image, last_frame_image, ...) may be given
        by name, and one left as None is not sent. ``model`` None is the client's default
        model (``MQL_MODEL``, else "sora").

        ``first_frame_image`` / ``last_frame_image``: a path, bytes, a PIL image, a numpy array,
        a ``Frame`` (``entry.frame()``) or a data URL, encoded (in a worker thread) and sent as
        a data URL; an http(s) URL as given. ``fit="crop"`` or ``"pad"`` reshapes them to the
        request's aspect first. ``parent`` (an Entry or its key) is recorded as the run this one
        was made from; a ``Frame`` of a library entry says so by itself. Neither is sent.

        A MiniMax model with a ``first_frame_image`` goes by the MiniMax task route (its id is
        the ``task_id``); anything else by ``/v1/videos/generations``. ``route="minimax"`` or
        ``route="generations"`` chooses. The Generation's ``route`` says which it took.
        """
        request = await build_create(
            self._settings,
            model,
            prompt,
            positional,
            options,
            idempotency_key=idempotency_key,
            fit=fit,
            parent=parent,
            route=route,
        )
        recorder, op = self._recorder, request.op
        entry = (
            await recorder.before_create(
                request.body, request.key, request.route, parent=request.made_from
            )
            if recorder
            else None
        )
        request.drop_body()
        deadline = self._settings.slot_deadline if slot_timeout is None else slot_timeout
        try:
            response, _ = await send_when_free(
                self._transport,
                self._settings,
                op,
                timeout=deadline,
                on_update=on_update,
                check=request.check,
            )
            generation = request.parse(
                response.status_code, response.content, operation=op.description
            )
        except BaseException as error:
            if recorder and entry:
                await recorder.create_failed(entry, error)
            if isinstance(error, ModelUnavailableError) and model is None:
                raise with_default_model_hint(error, self._settings) from error
            raise
        if recorder and entry:
            await recorder.answered(entry, generation)
        await call(on_update, generation)
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
        from .download import fresh_links, known_completed, variant_id

        if await self.route_of(generation_id, route) == MINIMAX_ROUTE:
            if variant != 0:
                raise InvalidRequestError("variant", variant, "0 (a MiniMax task has one video)")
            source = await self.tasks.source(generation_id)
            return await self._save(source.task_id, source.links, dest, on_progress=on_progress)
        video_id = await variant_id(generation_id, variant, self.get_status)
        links = fresh_links(generation_id, video_id, self.get_status)
        completed = known_completed(generation_id, self.get_status)  # a 404 then: storage lag
        gid = protocol.id_of(generation_id)
        return await self._save(
            gid,
            links,
            dest,
            variant=variant,
            video_id=video_id,
            on_progress=on_progress,
            completed=completed,
        )

    async def _save(self, gid: str, links: Links, dest: Destination, **how: Any) -> Any:
        """Video of job ``gid`` into the library (with one) and to ``dest``: ``save_video``
        with this client's transport, settings and recorder (``how``: its keywords)."""
        from .saving import save_video

        return await save_video(
            self._transport, self._settings, self._recorder, gid, links, dest, **how
        )

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

        The options are ``create``'s (``slot_timeout`` included: the wait for a free slot has
        its own deadline; ``timeout`` is the job's, from when it exists).
        """
        generation = await self.create(model, prompt, *positional, on_update=on_update, **options)
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
