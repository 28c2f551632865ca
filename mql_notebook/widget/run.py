"""One run of a generation: the ``Run`` record (a history entry) and ``carry_out``, the plain
coroutine that takes it from the create to the downloaded videos.

``carry_out`` needs no widget: it writes what happens into the ``Run`` and calls
``on_change(run)`` after each step, so ``VideoWidget`` mirrors the run into its traits and a
test (or a batch of runs) drives it directly, as tests drive ``poll_until_done``. Whatever
goes wrong becomes the run's state (status "failed" or "cancelled", the message in
``error``, a note and ``resumable`` when the remote job may still run): it never raises,
except a cancellation that did not come from ``cancel_requested`` (e.g. ``asyncio.wait_for``),
which propagates once the run records it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..client.settings import scrub_key
from ..errors import (
    APIConnectionError,
    BudgetExceededError,
    GenerationFailedError,
    LibraryError,
    MQLError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from ..request import VALUE_NAMES, describe, validate_generation_request
from ..status import CANCELLED, COMPLETED, FAILED, PROCESSING
from .more_fields import check_fields, describe_fields

if TYPE_CHECKING:
    from ..client import AsyncMQL

__all__ = [
    "IDLE",
    "STOPPED_NOTE",
    "Run",
    "api_key_of",
    "carry_out",
    "error_text",
    "record_end",
]

IDLE = "idle"
STOPPED_NOTE = "Polling stopped; the remote job may still run."


def chosen(values: Mapping[str, Any]) -> dict[str, Any]:
    """The options of ``values`` that are set (None and "" are "not chosen": not sent)."""
    return {n: values[n] for n in VALUE_NAMES if n in values and values[n] not in (None, "")}


@dataclass(eq=False, kw_only=True)
class Run:
    """One press of Generate, or one resume: the request, its fate and its videos.

    ``status`` is one of pending, processing, completed, failed, cancelled. ``resumable``
    says polling stopped while the remote job may still run (cancel, wait timeout, lost
    connection): ``VideoWidget.resume(run.generation_id)`` picks it up again.
    ``reconnecting`` is non-empty while the poller rides out an outage (the reason).
    ``expected_end``: when the job should complete (Unix seconds, from the progress rate or
    the library's learned duration, else the request's typical duration), or None; the badge
    counts down to it. ``stalled``: the job takes clearly longer than usual (the badge says so).
    ``options`` are the request's chosen options by name, as the declaration names them
    (request/fields.py): one left to the server (a resolution, a seed) is absent.
    ``fields`` are the model's own fields (More fields, sent as given); ``images`` the image
    fields as create takes them, ``image_cards`` what the strip shows of them (thumbnails);
    ``fit`` how they are shaped ("crop", "pad", "" as they are); ``cost`` what the library
    says the run cost (``Entry.cost_text()``), "" when unknown.
    Keyword-only: ``Run(prompt=..., model=..., options={...})``.
    """

    prompt: str
    model: str
    options: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    images: dict[str, Any] = field(default_factory=dict, repr=False)
    image_cards: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    fit: str = ""
    cost: str = ""
    status: str = "pending"
    generation_id: str = ""
    error: str = ""
    note: str = ""
    reconnecting: str = ""
    waiting_for_slot: str = ""  # while the gateway is full: the server's reason
    progress: float | None = None
    expected_end: float | None = None
    stalled: bool = False
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    resumable: bool = False
    videos: list[bytes] = field(default_factory=list, repr=False)
    # With a library: the Idempotency-Key this widget sent (how its entry is found before the
    # server answers), the entry's key, when it was created, and its videos on disk (by
    # variant, None where not downloaded). A run with its files on disk need not hold bytes.
    idempotency_key: str = ""
    library_key: str = ""
    created_at: float = field(default_factory=time.time)
    files: tuple[Path | None, ...] = field(default=(), repr=False)
    from_library: bool = False  # made from an entry, not by this widget: the library knows best
    origin: str | None = None  # a run from the library: the server its job lives on
    rating: int | None = None  # the library entry's 0-5 stars (VideoWidget.rate_run)
    parent: str = ""  # the library entry its inputs were filled from (create's parent=)

    @property
    def on_disk(self) -> bool:
        """Whether every video of the run is in the library's folder (bytes can be dropped)."""
        return bool(self.files) and all(f is not None for f in self.files)

    @property
    def video_count(self) -> int:
        """How many videos the run has, held in memory or on disk."""
        return max(len(self.videos), sum(f is not None for f in self.files))

    @property
    def video(self) -> bytes | None:
        """The first video's bytes, or None when the run produced none.

        Only the shown run holds its bytes; another run's are read from its file in the
        library here (a blocking read, for code in a cell: the widget itself never calls it).
        """
        if self.videos:
            return self.videos[0]
        first = self.files[0] if self.files else None
        try:
            return first.read_bytes() if first is not None else None
        except OSError:  # deleted from the library since
            return None

    @property
    def size(self) -> int:
        """The bytes of all the run's videos, held in memory or in the library's files."""
        if self.videos:
            return sum(len(v) for v in self.videos)
        return sum(f.stat().st_size for f in self.files if f is not None and f.exists())

    @classmethod
    def from_inputs(cls, source: Any, generation_id: str = "") -> Run:
        """A run with the prompt, model, options and fields of ``source`` (a widget, or a
        known run, whose images it takes too; a widget adds its own)."""
        known = isinstance(source, Run)
        values = source.options if known else {name: getattr(source, name) for name in VALUE_NAMES}
        return cls(
            prompt=source.prompt,
            model=source.model,
            options=chosen(values),
            fields=dict(getattr(source, "fields", None) or {}),
            images=dict(source.images) if known else {},
            image_cards=dict(source.image_cards) if known else {},
            fit=str(getattr(source, "fit", "") or ""),
            generation_id=generation_id,
        )

    @property
    def request(self) -> dict[str, Any]:
        """The create call's arguments: the prompt, the model, the chosen options, the
        model's own fields, the images and how to fit them, the entry it came from."""
        fit = {"fit": self.fit} if self.fit and self.images else {}
        framed = any(getattr(v, "source_entry", None) for v in self.images.values())
        parent = {"parent": self.parent} if self.parent and not framed else {}  # a frame says
        return {**self.checked_request, **self.images, **fit, **parent}

    @property
    def checked_request(self) -> dict[str, Any]:
        """The arguments ``validate_generation_request`` checks (all but the images)."""
        return {"prompt": self.prompt, "model": self.model, **self.options, **self.fields}

    @property
    def summary(self) -> str:
        """The request as a card shows it: "sora · 16:9 · 5 s · seed 7"."""
        return " · ".join([*describe(self.model, self.options), *describe_fields(self.fields)])

    def check(self) -> dict[str, Any]:
        """The request's JSON body but its images (checked when create reads them);
        InvalidRequestError (naming the field) before any request."""
        check_fields(self.fields)
        return validate_generation_request(**self.checked_request)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def to_json(self) -> dict[str, Any]:
        """What the view's history strip shows: everything but the video bytes."""
        return {
            "prompt": self.prompt,
            "model": self.model,
            "options": dict(self.options),
            "fields": dict(self.fields),
            "images": {name: dict(c) for name, c in self.image_cards.items()},
            "cost": self.cost,
            "summary": self.summary,
            "status": self.status,
            "generation_id": self.generation_id,
            "error": self.error,
            "reconnecting": self.reconnecting,
            "waiting_for_slot": self.waiting_for_slot,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "variant_count": self.video_count,
            "rating": self.rating,
            "rateable": bool(self.library_key),
        }


async def carry_out(
    run: Run,
    client: AsyncMQL | Callable[[], AsyncMQL],
    *,
    create: bool,
    on_change: Callable[[Run], Any] = lambda run: None,
    cancel_requested: Callable[[], bool] = lambda: False,
) -> Run:
    """Create (when ``create``; else poll ``run.generation_id``), wait, download every variant.

    ``client`` may be a function that builds the client: building it can fail (no key), and
    that failure is the run's state like any other. ``cancel_requested()`` tells a cancel the
    caller asked for (an ordinary end) from one imposed from outside (re-raised).
    """
    api_key: object = None
    try:
        if cancel_requested():  # asked before this coroutine's first step
            raise asyncio.CancelledError
        api = client() if callable(client) else client
        api_key = api_key_of(api)

        def observe(generation: Any) -> None:
            _observe(run, generation)
            on_change(run)

        library_note = ""
        if create:
            key = run.idempotency_key or None
            try:
                generation = await api.video.create(
                    **run.request, idempotency_key=key, on_update=observe
                )
            except LibraryError as exc:  # refused before the POST: nothing was sent
                api, library_note = api.without_library(), library_off_note(exc, api_key)
                run.note = library_note
                on_change(run)
                generation = await api.video.create(
                    **run.request, idempotency_key=key, on_update=observe
                )
            run.generation_id = generation.id
            observe(generation)
            # wait() from the Generation: its state was just reported, hear only what changes.
        generation = await api.video.wait(
            generation if create else run.generation_id, on_update=observe
        )
        _observe(run, generation)
        run.reconnecting, run.expected_end, run.stalled = "", None, False
        run.status, run.progress = PROCESSING, 100.0  # completed for the server; no video here yet
        count = len(generation.variant_ids)
        videos = []
        for i in range(count):
            run.note = (
                f"Downloading video {i + 1} of {count}..."
                if count > 1
                else "Downloading the video..."
            )
            on_change(run)
            videos.append(await api.video.download(generation, variant=i))
        run.videos, run.status, run.note, run.error = videos, COMPLETED, library_note, ""
        await _learn_files(run, api)
    except asyncio.CancelledError:
        outside = not cancel_requested()
        record_end(run, asyncio.CancelledError(), api_key=api_key)
        if outside:
            raise
    except Exception as exc:
        record_end(run, exc, api_key=api_key)
    else:
        record_end(run, None)
    return run


def record_end(run: Run, exc: BaseException | None, *, api_key: object = None) -> None:
    """Close the run: what ended it (None: success, a CancelledError: a cancel) as its state."""
    if isinstance(exc, asyncio.CancelledError):
        run.status = CANCELLED
        _stopped(run, "Cancelled. ")
    elif isinstance(exc, GenerationFailedError):
        run.status = exc.generation.status
        run.error = scrub_key(exc.generation.error_message or str(exc), api_key)
    elif isinstance(exc, BudgetExceededError):  # refused before the POST
        run.status, run.error, run.note = FAILED, error_text(exc, api_key), "Nothing was sent."
    elif isinstance(exc, WaitTimeoutError):
        run.status, run.error = FAILED, error_text(exc, api_key)
        _stopped(run, "")
    elif exc is not None:
        run.status, run.error = FAILED, error_text(exc, api_key)
        if run.generation_id and (_is_transient(exc) or not isinstance(exc, MQLError)):
            _stopped(run, "")  # the job itself may be fine: say so and offer a resume
    run.reconnecting, run.waiting_for_slot, run.expected_end = "", "", None
    run.stalled = False
    run.finished_at = time.time()


def library_off_note(exc: LibraryError, api_key: object = None) -> str:
    """Why this run is not in the library (it still runs, and its video still plays)."""
    return f"The library is off for this run: {error_text(exc, api_key)}"


def api_key_of(client: Any) -> object:
    """The key a client holds (to mask it in messages), or None."""
    return getattr(getattr(client, "settings", None), "api_key", None)


def error_text(exc: BaseException, api_key: object = None) -> str:
    """An exception as text for a person, with the API key masked should it ever appear."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, MQLError):
        text = f"{type(exc).__name__}: {text}"
    return scrub_key(text, api_key)


async def _learn_files(run: Run, api: Any) -> None:
    """Where the client's library keeps the run's videos (read in a worker thread)."""
    library = getattr(api, "library", None)
    if library is None or not run.generation_id:
        return
    try:
        entry = await asyncio.to_thread(library.get, run.generation_id)
    except Exception:  # an unreadable index: the run keeps its bytes in memory
        return
    if entry is not None:
        run.library_key = entry.key
        run.cost = cost_of(entry)
        if len(entry.files) >= len(run.videos):
            run.files = entry.files


def cost_of(entry: Any) -> str:
    """What a library entry says the run cost (``$0.50``, ``~$0.50``), "" when unknown."""
    return str(entry.cost_text()) if entry.spent is not None else ""


def _observe(run: Run, generation: Any) -> None:
    """Mirror the server's word into the run; an outage update only sets ``reconnecting``."""
    reason = getattr(generation, "reconnecting", None)
    if reason:
        run.reconnecting = str(reason)  # the last state seen still stands
        return
    run.reconnecting = ""
    waiting = getattr(generation, "waiting_for_slot", None)
    run.waiting_for_slot = str(waiting or "")  # the gateway is full: no job yet, it goes again
    if waiting:
        return
    run.expected_end = getattr(generation, "expected_end", None)
    run.stalled = bool(getattr(generation, "stalled", False))
    run.status = generation.status if generation.status != COMPLETED else PROCESSING
    if generation.progress is not None:
        run.progress = generation.progress
    if not run.prompt and getattr(generation, "prompt", None):  # a resume learns what it is for
        run.prompt = generation.prompt


def _stopped(run: Run, prefix: str) -> None:
    if run.generation_id:
        run.resumable = True
        run.note = f"{prefix}{STOPPED_NOTE} Resume with VideoWidget.resume({run.generation_id!r})."
    else:
        run.note = (
            f"{prefix}Polling stopped before the server answered; "
            "a job may still have been created."
        )


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, APIConnectionError | RateLimitError | ServerError)
