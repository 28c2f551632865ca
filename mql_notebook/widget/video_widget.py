"""The notebook widget: a prompt and options bound to a live view, a badge while the job runs,
the finished video inline.

State lives in traits (inputs the view edits, outputs only Python writes); events are small
messages with one discriminating key, ``kind``:

view -> kernel   {"kind": "generate"} {"kind": "cancel"} {"kind": "resume"}
                 {"kind": "show", "index": i} {"kind": "request-videos"}
kernel -> view   video-begin / video-chunk (+ one binary buffer) / video-end  (see transfer.py)

The traits (names, types, which side writes them) and these messages are typed in one place,
js/protocol.d.ts, which the view (js/widget.js) is type-checked against: change both together.

The poller is one asyncio task per generation on the kernel's running loop (create, then
``wait`` with ``on_update``, then a download of every variant). Whatever goes wrong in it
becomes state (status "failed", the message in ``error``): never a silent dead task.
The API key stays in the client object, which is no trait and is never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from ..errors import GenerationFailedError, InvalidRequestError, MQLError, WaitTimeoutError
from ..options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_VARIANTS,
    DURATIONS,
    MAX_PROMPT_CHARS,
    MAX_VARIANTS,
    MODELS,
    validate_generation_request,
)
from ..status import CANCELLED, COMPLETED, FAILED, PENDING, PROCESSING
from . import static_fallback, transfer
from .run import IDLE, Run

if TYPE_CHECKING:
    from ..client import MQL, AsyncMQL

__all__ = ["WIDGET_STATUSES", "Run", "VideoWidget"]

WIDGET_STATUSES = (IDLE, PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED)
INPUT_TRAITS = ("prompt", "model", "aspect_ratio", "duration", "n", "resolution")
OUTPUT_TRAITS = (
    "status",
    "progress",
    "error",
    "note",
    "generation_id",
    "started_at",
    "finished_at",
    "running",
    "resumable",
    "variant_count",
    "runs",
    "shown_run",
    "choices",
    "reconnecting",
)

STOPPED_NOTE = "Polling stopped; the remote job may still run."


def _frontend_file(name: str) -> Path:
    """The wheel ships js/ as mql_notebook/static/; an editable checkout reads js/ itself."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "static" / name
    return packaged if packaged.is_file() else package.parent / "js" / name


class VideoWidget(anywidget.AnyWidget):
    """Generate a video from a prompt in a notebook cell and play it inline.

    >>> w = VideoWidget("a red fox running through snow", duration=5)
    >>> w                      # shows the widget; press Generate, or:
    >>> run = await w.generate()
    >>> w.save("fox.mp4")

    ``client`` is an ``MQL`` or ``AsyncMQL``; without one the widget builds one from the
    environment as ``MQL()`` would (``MQL_BASE_URL=local`` uses the local emulator).
    """

    # Set here too: ipywidgets' __del__ calls close() even when __init__ refused its arguments.
    _task: asyncio.Task[Run] | None = None

    _esm = _frontend_file("widget.js")
    _css = _frontend_file("widget.css")

    # ---- inputs: bound two-way to the view's controls; checked by generate() ----
    prompt = t.Unicode("", help="The text the video is made from; bound to the prompt box.").tag(
        sync=True
    )
    model = t.Unicode(DEFAULT_MODEL, help="The model to use: one of choices['models'].").tag(
        sync=True
    )
    aspect_ratio = t.Unicode(
        DEFAULT_ASPECT_RATIO, help="Frame shape: '16:9', '9:16' or '1:1'."
    ).tag(sync=True)
    duration = t.Int(DEFAULT_DURATION, help="Length in seconds: 5, 10, 15 or 20.").tag(sync=True)
    n = t.Int(
        DEFAULT_VARIANTS, help=f"How many videos to make from the prompt, 1 to {MAX_VARIANTS}."
    ).tag(sync=True)
    resolution = t.Unicode(
        "", help="One of choices['resolutions'], or '' for the server's default."
    ).tag(sync=True)

    # ---- outputs: written by Python only (updates from the view are dropped) ----
    status = t.Unicode(IDLE, help="The shown run's state: " + ", ".join(WIDGET_STATUSES) + ".").tag(
        sync=True
    )
    progress = t.Float(
        None, allow_none=True, help="The server's progress, 0 to 100, or None when unknown."
    ).tag(sync=True)
    error = t.Unicode(
        "", help="Why the shown run failed, as plain text; empty when it did not."
    ).tag(sync=True)
    note = t.Unicode(
        "",
        help="A remark about the shown run, e.g. that polling stopped while the remote job may still run.",
    ).tag(sync=True)
    generation_id = t.Unicode(
        "", help="The server's id of the shown run's job; VideoWidget.resume(id) reattaches to it."
    ).tag(sync=True)
    started_at = t.Float(
        None,
        allow_none=True,
        help="When the shown run started (Unix seconds); the badge's elapsed time.",
    ).tag(sync=True)
    finished_at = t.Float(
        None,
        allow_none=True,
        help="When the shown run ended (Unix seconds), or None while it runs.",
    ).tag(sync=True)
    running = t.Bool(
        False, help="True while a poller task is live; Generate is disabled and Cancel enabled."
    ).tag(sync=True)
    resumable = t.Bool(
        False,
        help="Polling stopped but the remote job may still run: resuming can fetch its video.",
    ).tag(sync=True)
    variant_count = t.Int(
        0, help="How many videos of the shown run the kernel holds (w.videos)."
    ).tag(sync=True)
    runs = t.List(
        t.Dict(),
        help="The history strip: one dict per run (prompt, options, status, id, times, variant_count).",
    ).tag(sync=True)
    shown_run = t.Int(
        -1,
        help="The index in runs of the run whose state and videos are shown; -1 before the first run.",
    ).tag(sync=True)
    choices = t.Dict(
        help="What the API accepts, offered by the view's controls: models, aspect_ratios, durations, max_variants."
    ).tag(sync=True)
    reconnecting = t.Unicode(
        "", help="The last error while a wait rides out an outage; '' when the server answers."
    ).tag(sync=True)

    # ---- a kernel-only setting (no trait: never synced) ----
    #: Videos up to this many bytes (all variants together) are embedded in the cell's static
    #: fallback output, which renders without the widget's JavaScript (static_fallback.py);
    #: larger ones leave their poster and saved file name. 0 embeds none.
    static_fallback_max_bytes: int = static_fallback.DEFAULT_MAX_BYTES

    def __init__(
        self,
        prompt: str = "",
        *,
        model: str = DEFAULT_MODEL,
        aspect_ratio: str = DEFAULT_ASPECT_RATIO,
        duration: int = DEFAULT_DURATION,
        n: int = DEFAULT_VARIANTS,
        client: MQL | AsyncMQL | None = None,
    ) -> None:
        self._client_arg = client
        self._client: AsyncMQL | None = None
        self._runs: list[Run] = []
        self._shown: Run | None = None
        self._task: asyncio.Task[Run] | None = None
        self._cancel_requested = False
        self._poll_started = False
        self._transfer = 0
        self._fallback_id: str | None = None  # the display id of the static fallback output
        self._saved: dict[Run, Path] = {}
        extra_models = _extra_models(client)
        # Refuse a bad option now rather than at the first Generate; a blank prompt is fine here.
        validate_generation_request(
            model=model,
            prompt="x",
            aspect_ratio=aspect_ratio,
            duration=duration,
            n=n,
            extra_models=extra_models,
        )
        if not isinstance(prompt, str):
            raise InvalidRequestError("prompt", prompt, "a string")
        super().__init__(
            prompt=prompt,
            model=model,
            aspect_ratio=aspect_ratio,
            duration=duration,
            n=n,
            choices={
                "models": list(MODELS) + [m for m in extra_models if m not in MODELS],
                "aspect_ratios": list(ASPECT_RATIOS),
                "durations": list(DURATIONS),
                "max_variants": MAX_VARIANTS,
                "max_prompt_chars": MAX_PROMPT_CHARS,
            },
        )
        self.on_msg(self._on_view_message)

    # ---- Python API ----

    @property
    def task(self) -> asyncio.Task[Run] | None:
        """The current (or last) poller task; ``await w.task`` waits for it."""
        return self._task

    @property
    def history(self) -> list[Run]:
        """Every run of this widget, oldest first, with its videos (the history strip)."""
        return list(self._runs)

    @property
    def videos(self) -> list[bytes]:
        """The MP4 bytes of every video of the shown run (empty until it completes)."""
        return list(self._shown.videos) if self._shown else []

    @property
    def video(self) -> bytes | None:
        """The MP4 bytes of the shown run's first video, or None."""
        return self._shown.video if self._shown else None

    def generate(self) -> asyncio.Task[Run]:
        """Start a generation with the current prompt and options; returns the poller task.

        Raises InvalidRequestError (and shows it in the view) before any request when an
        option is refused. ``await w.generate()`` waits for the run and returns it; a
        failure does not raise but is the run's (and the widget's) state.
        """
        if self.running:
            raise RuntimeError(
                "a generation is already running in this widget: await w.task or call w.cancel() first"
            )
        try:
            validate_generation_request(
                model=self.model,
                prompt=self.prompt,
                aspect_ratio=self.aspect_ratio,
                duration=self.duration,
                n=self.n,
                extra_models=_extra_models(self._client_arg),
            )
        except InvalidRequestError as exc:
            self._refuse(exc)
            raise
        run = Run(
            prompt=self.prompt,
            model=self.model,
            aspect_ratio=self.aspect_ratio,
            duration=self.duration,
            n=self.n,
        )
        return self._start(run, create=True)

    @classmethod
    def resume(cls, generation_id: str, client: MQL | AsyncMQL | None = None) -> VideoWidget:
        """A widget reattached to an existing job (after a kernel restart or a wait timeout).

        It polls and downloads without creating a new job; ``await w.task`` waits for it.
        """
        widget = cls(client=client)
        widget.reattach(generation_id)
        return widget

    def reattach(self, generation_id: str | None = None) -> asyncio.Task[Run]:
        """Poll (again) for ``generation_id``, by default the shown run's, without a new create."""
        if self.running:
            raise RuntimeError(
                "a generation is already running in this widget: await w.task or call w.cancel() first"
            )
        gid = generation_id if generation_id is not None else self.generation_id
        if not isinstance(gid, str) or not gid.strip():
            raise InvalidRequestError("generation_id", gid, "the id of an existing generation")
        known = self._shown if self._shown and self._shown.generation_id == gid else None
        source = known or self
        run = Run(
            prompt=source.prompt,
            model=source.model,
            aspect_ratio=source.aspect_ratio,
            duration=source.duration,
            n=source.n,
            generation_id=gid.strip(),
        )
        return self._start(run, create=False)

    def cancel(self) -> bool:
        """Stop polling (the remote job may still run); False when nothing was running."""
        if self._task is None or self._task.done():
            return False
        self._cancel_requested = True
        if self._poll_started:
            self._task.cancel()
        # else: the task has not run yet; _poll sees the request at its start and ends as
        # cancelled (a task cancelled before its first step would skip _poll's handlers).
        return True

    def show(self, index: int) -> Run:
        """Show a run of the history: restore its prompt and options, show its state and videos."""
        if self.running:
            raise RuntimeError("cannot switch to another run while a generation is running")
        run = self._runs[index]
        with self.hold_sync():
            self.prompt = run.prompt
            self.model, self.aspect_ratio, self.duration, self.n = (
                run.model,
                run.aspect_ratio,
                run.duration,
                run.n,
            )
            self._display(run)
        self._update_fallback()
        return run

    def save(self, path: str | os.PathLike[str], variant: int = 0) -> Path:
        """Write a video of the shown run to ``path`` (via a temporary file, then a rename)."""
        videos = self.videos
        if not videos:
            why = (
                f" (it {self.status}: {self.error})" if self.error else f" (status: {self.status})"
            )
            raise RuntimeError("no video to save yet" + why)
        data = videos[variant]
        dest = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent or ".")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self._shown is not None and variant == 0:
            self._saved[self._shown] = dest
            self._update_fallback()
        return dest

    def close(self) -> None:
        """Stop polling and close the view; a client the widget built itself is closed too."""
        self.cancel()
        own = getattr(self, "_client", None) if getattr(self, "_client_arg", None) is None else None
        if own is not None:
            self._client = None
            _close_when_done(own, self._task)
        super().close()

    # ---- ipywidgets plumbing ----

    def _ipython_display_(self) -> None:
        """The widget view, and below it the static fallback (see static_fallback.py), updated by id."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True)
        if self._fallback_id is None:
            self._fallback_id = f"mql-static-{self.model_id}"
        display(self._fallback_bundle(), raw=True, display_id=self._fallback_id)

    def _fallback_bundle(self) -> dict[str, str]:
        run = self._shown
        if run is None or not run.finished:
            status = run.status if run else self.status
            return {
                "text/html": f'<div class="{static_fallback.FALLBACK_CLASS}" data-status="{html.escape(status)}"></div>',
                "text/plain": "",
            }
        saved = self._saved.get(run)
        markup = static_fallback.fallback_html(
            prompt=run.prompt,
            status=run.status,
            generation_id=run.generation_id,
            error=run.error,
            note=run.note,
            options=run.options,
            videos=run.videos,
            max_bytes=self.static_fallback_max_bytes,
            saved_name=saved.name if saved else None,
        )
        return {
            "text/html": markup,
            "text/plain": f"VideoWidget: {run.status} {run.generation_id}".rstrip(),
        }

    def _update_fallback(self) -> None:
        if self._fallback_id is None:
            return
        from IPython.display import update_display

        with contextlib.suppress(Exception):
            update_display(self._fallback_bundle(), raw=True, display_id=self._fallback_id)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply the view's updates to inputs only: outputs are Python's to write."""
        super().set_state({k: v for k, v in sync_data.items() if k not in OUTPUT_TRAITS})

    def _on_view_message(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        kind = content.get("kind") if isinstance(content, Mapping) else None
        try:
            if kind == "generate":
                self.generate()
            elif kind == "cancel":
                self.cancel()
            elif kind == "resume":
                self.reattach()
            elif kind == "show":
                self.show(int(content.get("index", -1)))
            elif kind == "request-videos":
                self._send_videos()
        except InvalidRequestError:
            pass  # generate() already made it state
        except Exception as exc:
            self.error = _message(exc, self._client)

    # ---- the poller ----

    def _async_client(self) -> AsyncMQL:
        if self._client is None:
            from ..client import as_async_client

            self._client = as_async_client(self._client_arg)
        return self._client

    def _start(self, run: Run, *, create: bool) -> asyncio.Task[Run]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "the widget polls on a running event loop: call generate() in a notebook cell "
                "or inside async code (in a script: asyncio.run(main()) with `await w.generate()`)"
            ) from None
        self._runs.append(run)
        self._cancel_requested = self._poll_started = False
        with self.hold_sync():
            self.running = True
            self._display(run)
        task = loop.create_task(
            self._poll(run, create=create), name=f"mql-video-widget-{id(self):x}-{len(self._runs)}"
        )
        task.add_done_callback(lambda done: self._task_done(run, done))
        self._task = task
        return task

    async def _poll(self, run: Run, *, create: bool) -> Run:
        stop: BaseException | None = None
        self._poll_started = True
        try:
            if self._cancel_requested:
                raise asyncio.CancelledError
            client = self._async_client()
            if create:
                generation = await client.video.create(
                    model=run.model,
                    prompt=run.prompt,
                    aspect_ratio=run.aspect_ratio,
                    duration=run.duration,
                    n=run.n,
                )
                run.generation_id = generation.id
                self._observe(run, generation)
            generation = await client.video.wait(
                run.generation_id, on_update=lambda g: self._observe(run, g)
            )
            self._observe(run, generation)
            run.status, run.progress = (
                PROCESSING,
                100.0,
            )  # completed for the server; the video is not here yet
            count = len(generation.variant_ids)
            videos = []
            for i in range(count):
                run.note = (
                    f"Downloading video {i + 1} of {count}..."
                    if count > 1
                    else "Downloading the video..."
                )
                self._sync(run)
                videos.append(await client.video.download(generation, variant=i))
            run.videos, run.status, run.note, run.error = videos, COMPLETED, "", ""
        except asyncio.CancelledError as exc:
            run.status = CANCELLED
            self._stopped(run, "Cancelled. ")
            if (
                not self._cancel_requested
            ):  # cancelled from outside (e.g. wait_for): let it propagate
                stop = exc
        except GenerationFailedError as exc:
            run.status, run.error = exc.generation.status, exc.generation.error_message or str(exc)
        except WaitTimeoutError as exc:
            run.status, run.error = FAILED, str(exc)
            self._stopped(run, "")
        except Exception as exc:
            run.status, run.error = FAILED, _message(exc, self._client)
            if run.generation_id and (_is_transient(exc) or not isinstance(exc, MQLError)):
                self._stopped(run, "")  # the job itself may be fine: say so and offer a resume
        self._finish(run)
        if stop is not None:
            raise stop
        return run

    def _observe(self, run: Run, generation: Any) -> None:
        """on_update: mirror the server's word into the run (and the view if it is shown)."""
        run.status = generation.status if generation.status != COMPLETED else PROCESSING
        if generation.progress is not None:
            run.progress = generation.progress
        if not run.prompt and getattr(generation, "prompt", None):  # a resume learns what it is for
            run.prompt = generation.prompt
            if self._shown is run and not self.prompt:
                self.prompt = generation.prompt
        self._sync(run)

    def _stopped(self, run: Run, prefix: str) -> None:
        if run.generation_id:
            run.resumable = True
            run.note = (
                f"{prefix}{STOPPED_NOTE} Resume with VideoWidget.resume({run.generation_id!r})."
            )
        else:
            run.note = f"{prefix}Polling stopped before the server answered; a job may still have been created."

    def _finish(self, run: Run) -> None:
        run.finished_at = time.time()
        with self.hold_sync():
            self.running = False
            self._sync(run)
            if self._shown is run:
                self._send_videos()
        if self._shown is run:
            self._update_fallback()

    def _task_done(self, run: Run, task: asyncio.Task[Run]) -> None:
        """Safety net: a task cancelled before its first step never ran _poll's handlers."""
        if run.finished:
            return
        if task.cancelled():
            run.status = CANCELLED
            self._stopped(run, "Cancelled. ")
        else:
            exc = task.exception()
            run.status, run.error = (
                FAILED,
                _message(exc, self._client) if exc else "the poller ended unexpectedly",
            )
        self._finish(run)

    def _refuse(self, exc: InvalidRequestError) -> None:
        """Show a locally refused request without a run: nothing was sent."""
        with self.hold_sync():
            self.status, self.error, self.note, self.progress = (
                FAILED,
                f"Invalid request: {exc}",
                "Nothing was sent.",
                None,
            )
            self.started_at = self.finished_at = None

    # ---- the view ----

    def _display(self, run: Run) -> None:
        changed = self._shown is not run
        self._shown = run
        self.shown_run = self._runs.index(run)
        self._sync(run)
        if changed:
            self._send_videos()

    def _sync(self, run: Run) -> None:
        with self.hold_sync():
            self.runs = [r.to_json() for r in self._runs]
            if self._shown is not run:
                return
            self.status, self.progress, self.error, self.note = (
                run.status,
                run.progress,
                run.error,
                run.note,
            )
            self.generation_id, self.resumable = (
                run.generation_id,
                run.resumable and not self.running,
            )
            self.started_at, self.finished_at, self.variant_count = (
                run.started_at,
                run.finished_at,
                len(run.videos),
            )

    def _send_videos(self) -> None:
        run = self._shown
        if self.comm is None:
            return
        self._transfer += 1
        messages = transfer.video_messages(
            self._transfer,
            run.videos if run else [],
            generation_id=run.generation_id if run else "",
            aspect_ratio=run.aspect_ratio if run else "",
        )
        for content, buffers in messages:
            self.send(content, buffers=buffers or None)


_closing: set[asyncio.Task[None]] = set()  # strong references until the closes finish


def _close_when_done(client: AsyncMQL, task: asyncio.Task[Run] | None) -> None:
    """Close ``client``'s connections once ``task`` (just cancelled) has unwound."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop to close on: the pool goes with the garbage collector

    async def close() -> None:
        if task is not None and not task.done():
            await asyncio.wait([task])
        await client.aclose()

    closing = loop.create_task(close())
    _closing.add(closing)
    closing.add_done_callback(_closing.discard)


def _extra_models(client: Any) -> tuple[str, ...]:
    settings = getattr(client, "settings", None)
    return tuple(getattr(settings, "extra_models", ()) or ())


def _is_transient(exc: BaseException) -> bool:
    from ..errors import APIConnectionError, RateLimitError, ServerError

    return isinstance(exc, APIConnectionError | RateLimitError | ServerError)


def _message(exc: BaseException, client: Any) -> str:
    """An exception as text for the view, with the API key scrubbed should it ever appear."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, MQLError):
        text = f"{type(exc).__name__}: {text}"
    key = getattr(getattr(client, "settings", None), "api_key", None)
    if isinstance(key, str) and len(key) >= 8 and key in text:
        text = text.replace(key, key[:4] + "***")
    return text
