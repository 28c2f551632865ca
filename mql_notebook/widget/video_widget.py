"""The notebook widget: a prompt, options, images and a model's own fields bound to a live
view, the cost beside Generate, a badge while the job runs, the finished video inline.

``VideoWidget`` holds the public methods and the dispatch of the view's messages; its traits
come from mixins (request_traits, output_traits, image_inputs, more_fields, money_view,
history_view) and the run, its task, the shown videos, their transfer and the static fallback
live beside it (widget/__init__.py). The API key stays in the client, never in a trait.
Traits are tagged input (the view writes them) or output (Python only); events are messages
with one key, ``kind`` (``VIEW_MESSAGES``); both are typed in js/protocol.d.ts (over the
generated js/request.d.ts), which js/*.js is type-checked against: change both together.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from ..client.protocol import new_idempotency_key
from ..client.sinks import write_atomically
from ..errors import InvalidRequestError
from ..library import FROM_ENVIRONMENT, LibraryChoice
from ..request import form_choices
from . import client_lifecycle as lifecycle
from . import frontend
from .history_view import LibraryHistory
from .image_inputs import ImageInputs
from .model_suggestions import read_models, soon
from .money_view import MoneyView
from .more_fields import OwnFields
from .output_traits import WIDGET_STATUSES, RunTraits
from .request_traits import RequestTraits, option_values, unset_options, view_inputs, view_updates
from .run import Run, api_key_of, chosen, error_text
from .run_task import RunTask
from .shown_videos import ShownVideos
from .static_fallback import DEFAULT_MAX_BYTES, StaticFallback

if TYPE_CHECKING:
    from ..client import MQL, AsyncMQL

__all__ = ["VIEW_MESSAGES", "WIDGET_STATUSES", "Run", "VideoWidget"]

_BUSY = "a generation is already running in this widget: await w.task or call w.cancel() first"


class VideoWidget(
    RequestTraits,
    OwnFields,
    RunTraits,
    ImageInputs,
    MoneyView,
    LibraryHistory,
    anywidget.AnyWidget,
):
    """Generate a video from a prompt in a notebook cell and play it inline.

    >>> w = VideoWidget("a red fox running through snow", duration=5, seed=7)
    >>> w                      # shows the widget; press Generate, or:
    >>> run = await w.generate()
    >>> w.save("fox.mp4")

    Every value option of the request's declaration (aspect_ratio, duration, n, resolution,
    seed, ...) is a keyword and a trait bound to its control (an unknown keyword: TypeError);
    ``first_frame_image`` / ``last_frame_image`` take what create takes, ``fit`` shapes them,
    ``fields`` are a model's own fields. ``model`` defaults to the client's (``MQL_MODEL``, else
    "sora"). ``client`` is an ``MQL`` or ``AsyncMQL``; without one the widget builds one as
    ``MQL()`` would (``MQL_BASE_URL=local``: the local emulator), recording into ``library``:
    ``Library()`` by default (``MQL_LIBRARY``, else ``./mql-videos``), a folder, a ``Library``,
    or ``False`` (``MQL_LIBRARY=off``) for none; a client passed in keeps its own, as it keeps
    its ``prices=`` and ``budget=`` (given here, the widget's own client has them). The strip
    shows the library's runs (``own_runs_only=True``: this widget's); only the shown run's
    videos stay in memory.
    """

    # The current (or last) run's task; a class default too, as ipywidgets' __del__ calls
    # close() even when __init__ refused its arguments.
    _running: RunTask | None = None

    _esm = frontend.ESM
    _css = frontend.CSS

    # Inputs and outputs come from the mixins (request_traits, output_traits, history_view), and:
    choices = t.Dict(
        help="The view's form (request.form_choices): the models to suggest, max_prompt_chars "
        "and one description per option (fields), from which the view builds its controls."
    ).tag(sync=True, output=True)

    # ---- a kernel-only setting (no trait: never synced) ----
    #: Videos up to this many bytes (all variants together) are embedded in the cell's static
    #: fallback output, which renders without the widget's JavaScript (static_fallback.py);
    #: larger ones leave their poster and saved file name. 0 embeds none.
    static_fallback_max_bytes: int = DEFAULT_MAX_BYTES

    def __init__(
        self,
        prompt: str = "",
        *,
        model: str | None = None,
        client: MQL | AsyncMQL | None = None,
        library: LibraryChoice = FROM_ENVIRONMENT,
        own_runs_only: bool = False,
        first_frame_image: Any = None,
        last_frame_image: Any = None,
        fit: str | None = None,
        fields: Mapping[str, Any] | None = None,
        prices: Any = None,
        budget: Any = None,
        **options: Any,
    ) -> None:
        values = option_values(options)  # TypeError for a keyword that is no declared option
        self._money_args = lifecycle.client_money(client, prices=prices, budget=budget)
        self._client_arg = client
        self._client: AsyncMQL | None = None
        self._init_history(lifecycle.widget_library(client, library), own_runs_only)
        self._videos = ShownVideos(
            send=lambda content, buffers=None: self.send(content, buffers),
            shown=lambda: self._shown,
            changed=self._changed,
        )
        model = lifecycle.default_model(client) if model is None else model
        # Refuse a bad option now rather than at the first Generate; a blank prompt is fine here.
        Run(prompt="x", model=model, options=chosen(values), fields=dict(fields or {})).check()
        if not isinstance(prompt, str):
            raise InvalidRequestError("prompt", prompt, "a string")
        super().__init__(
            prompt=prompt,
            model=model,
            **values,
            fit=fit or "",
            fields=dict(fields or {}),
            choices=form_choices(),
        )
        images = {"first_frame_image": first_frame_image, "last_frame_image": last_frame_image}
        self._init_images({k: v for k, v in images.items() if v is not None})
        self.on_msg(self._on_view_message)
        self._fallback = StaticFallback(f"mql-static-{self.model_id}")  # shown by _ipython_display_
        self._read_first_history()  # a bounded read (HISTORY_PAGE rows) of the local index
        self._suggest_models()
        self._init_money()

    # ---- Python API ----

    @property
    def task(self) -> asyncio.Task[Run] | None:
        """The current (or last) poller task; ``await w.task`` waits for it."""
        return self._running.task if self._running else None

    @property
    def videos(self) -> list[bytes]:
        """The shown run's MP4 bytes, every variant (read from the library when not held)."""
        return list(self._videos.bytes_now())

    @property
    def video(self) -> bytes | None:
        """The MP4 bytes of the shown run's first video, or None."""
        return next(iter(self._videos.bytes_now()), None)

    def generate(self) -> asyncio.Task[Run]:
        """Start a generation with the current prompt and options; returns the poller task.

        Raises InvalidRequestError (and shows it in the view) before any request when an
        option is refused. ``await w.generate()`` waits for the run and returns it; a
        failure does not raise but is the run's (and the widget's) state.
        """
        if self.running:
            raise RuntimeError(_BUSY)
        run = Run.from_inputs(self)
        run.images, run.image_cards = self._images_for_run()
        run.parent = self._parent_key  # filled from an entry: "Use this prompt", show(i)
        try:
            run.check()
        except InvalidRequestError as exc:
            with self.hold_sync():
                self._show_refused(exc)
            raise
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
            raise RuntimeError(_BUSY)
        gid = generation_id if generation_id is not None else self.generation_id
        if not isinstance(gid, str) or not gid.strip():
            raise InvalidRequestError("generation_id", gid, "the id of an existing generation")
        run, replaced = self._resumed_run(gid.strip())
        return self._start(run, create=False, replaces=replaced)

    def cancel(self) -> bool:
        """Stop polling (the remote job may still run); False when nothing was running."""
        return self._running is not None and self._running.cancel()

    def show(self, index: int) -> Run:
        """Show a run of the history: restore its prompt, options, fields and images, show its
        state and videos; a run generated next records it as its parent."""
        if self.running:
            raise RuntimeError("cannot switch to another run while a generation is running")
        run = self._runs[index]
        self._videos.release(self._shown, keep=run)
        self._parent_key = run.library_key  # the next run is made from it
        with self.hold_sync():
            self._restore_inputs(run)
            self._display(run)
        self._update_fallback()
        return run

    def save(self, path: str | os.PathLike[str], variant: int = 0) -> Path:
        """Write a video of the shown run to ``path``, whole or not at all (a temporary file
        beside it, then a rename), with the usual file mode (0644 under a 022 umask)."""
        if not self.videos:
            why = f"it {self.status}: {self.error}" if self.error else f"status: {self.status}"
            raise RuntimeError(f"no video to save yet ({why})")
        dest = write_atomically(path, self.videos[variant])
        if self._shown is not None and variant == 0:
            self._fallback.saved[self._shown] = dest.name
            self._update_fallback()
        return dest

    def close(self) -> None:
        """Stop polling and close the view; a client the widget built itself is closed too."""
        self.cancel()
        self._stop_money()
        own = getattr(self, "_client", None) if getattr(self, "_client_arg", None) is None else None
        if own is not None:
            self._client = None
            lifecycle.close_when_done(own, self.task)
        super().close()

    # ---- ipywidgets plumbing ----

    def _ipython_display_(self) -> None:
        """The widget view, and below it the static fallback (see static_fallback.py), updated by id."""
        view, shown, cap = self._repr_mimebundle_(), self._shown, self.static_fallback_max_bytes
        self._fallback.display_beside(view, shown, self.status, cap)

    def _update_fallback(self) -> None:
        self._fallback.update(self._shown, self.status, self.static_fallback_max_bytes)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply the view's updates to inputs only: outputs are Python's to write."""
        super().set_state(view_updates(type(self), sync_data))

    def _generate_asked(self, content: Mapping[str, Any]) -> None:
        self.set_state(view_inputs(type(self), content.get("inputs")))  # what the view showed
        self.generate()

    def _on_view_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        kind = content.get("kind") if isinstance(content, Mapping) else None
        handler = VIEW_MESSAGES.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return
        try:
            if kind == "image-chunk":  # the one message with a buffer
                self._image_chunk(content, buffers)
                return
            handler(self, content)
        except InvalidRequestError:
            pass  # generate() already made it state
        except Exception as exc:
            self.error = error_text(exc, api_key_of(self._client))

    def _suggest_models(self) -> None:
        """The model box's suggestions: the emulator's, the library's, extra and known ids."""

        def apply(models: list[str]) -> None:
            self.choices = {**self.choices, **form_choices(models)}

        client = self._client_arg or self._client
        soon(lambda: read_models(client, self._library), apply, self._refreshing)

    # ---- the poller ----

    def _async_client(self) -> AsyncMQL:
        if self._client is None:
            self._client = lifecycle.widget_client(
                self._client_arg, self._library, **self._money_args
            )
        return self._client

    def _max_image_bytes(self) -> int:
        settings = getattr(self._client_arg or self._client, "settings", None)
        return int(getattr(settings, "max_image_bytes", 0) or super()._max_image_bytes())

    def _start(self, run: Run, *, create: bool, replaces: Run | None = None) -> asyncio.Task[Run]:
        blank = not run.prompt  # a resume learns its prompt from the server: show it once
        if create:
            run.idempotency_key = new_idempotency_key()  # finds its library entry before the answer
        self._videos.release(self._shown, keep=run)

        def changed(run: Run) -> None:
            if blank and run.prompt and self._shown is run and not self.prompt:
                self.prompt = run.prompt
            self._sync(run)

        running = RunTask(
            run,
            self._async_client,
            create=create,
            on_change=changed,
            on_end=self._finish,
            api_key=lambda: api_key_of(self._client),
            name=f"mql-video-widget-{id(self):x}-{len(self._runs) + 1}",
        )
        self._running = running
        if replaces is not None:  # only now: without a loop, RunTask refused and nothing changed
            self._runs.remove(replaces)
        self._runs.append(run)
        self._runs.sort(key=lambda r: r.created_at)
        with self.hold_sync():
            self.running = True
            self._display(run)
        return running.task

    def _finish(self, run: Run) -> None:
        with self.hold_sync():
            self.running = False
            self._sync(run)
            if self._shown is run:
                self._send_videos()
        if self._shown is run:
            self._update_fallback()
        self._read_history_soon()  # other widgets' and kernels' runs since, and this one's files
        self.refresh_money(0)  # it spent

    # ---- the view ----

    def _display(self, run: Run) -> None:
        changed, self._shown = self._shown is not run, run
        self.shown_run = self._runs.index(run)
        self._sync(run)
        if changed:
            self._send_videos()

    def _busy_run(self) -> Run | None:
        return self._running.run if self._running and self.running else None

    def _restore_inputs(self, run: Run) -> None:
        """The inputs from a run of the strip (showing it, or resuming it): every option, the
        unset ones too; the model first, so its documented values do not overrule them."""
        with self.hold_sync():
            self.prompt, self.model = run.prompt, run.model
            for name, value in (unset_options() | run.options).items():
                setattr(self, name, value)
            self.fields, self.fit = dict(run.fields), run.fit
            self._restore_images(run.images, run.image_cards)

    def _changed(self, run: Run) -> None:
        """The shown run changed outside its poller (its videos read, its files gone)."""
        self._sync(run)
        self._update_fallback()

    def _sync(self, run: Run) -> None:
        with self.hold_sync():
            self.runs = [r.to_json() for r in self._runs]
            if self._shown is not run:
                return
            self.status, self.progress = run.status, run.progress
            self.error, self.note, self.expected_end = run.error, run.note, run.expected_end
            self.stalled = run.stalled
            self.reconnecting, self.generation_id = run.reconnecting, run.generation_id
            self.waiting_for_slot = run.waiting_for_slot
            self.resumable = run.resumable and not self.running
            self.started_at, self.finished_at = run.started_at, run.finished_at
            self.variant_count = run.video_count

    def _send_videos(self) -> None:
        if self.comm is not None:  # no view yet: it asks with "request-videos" when it renders
            self._videos.send(self._shown)


# The view's messages (js/protocol.d.ts ViewMessage): kind -> what the widget does.
VIEW_MESSAGES: dict[str, Callable[[VideoWidget, Mapping[str, Any]], object]] = {
    "generate": lambda w, content: w._generate_asked(content),
    "cancel": lambda w, _: w.cancel(),
    "resume": lambda w, _: w.reattach(),
    "show": lambda w, content: w.show(int(content.get("index", -1))),
    "request-videos": lambda w, _: w._send_videos(),
    "more-history": lambda w, _: w._more_history_asked(),
    "image-chunk": lambda w, _: None,  # with its buffer: _on_view_message hands it on
    "image-clear": lambda w, content: w._clear_image(content),
    "use-frame": lambda w, content: w._use_frame(content),
    "rate": lambda w, content: w._rate_asked(content),
}
