"""The grid a ``Batch`` shows: a cell per request with a live badge, a progress bar, Cancel all,
and a cell's video (or its Cancel) when it is opened.

State is small and throttled: ``cells`` (each request's label, prompt and model) is set once;
``states`` (each cell's status, message, progress) and ``counts`` are written at most
``UPDATES_PER_SECOND`` times a second however many lines change, so a batch of 200 costs the
kernel and the view a few small updates a second. Videos never go into state: a cell opened or
scrolled into view (js/batch.js: an IntersectionObserver, two asks in flight at most) asks for
its video and it comes back as chunked binary messages (transfer.py), read from the library in
a worker thread.

view -> kernel   {"kind": "video", "index": int}   a seen or opened cell's first video
                 {"kind": "cancel"}                  Cancel all
                 {"kind": "cancel", "index": int}    Cancel that cell's line alone
                 {"kind": "start"}                   Run (again: nothing created is sent again)
kernel -> view   video-begin / video-chunk / video-end, generation_id = the cell's index

The traits and messages are typed for the view in js/batch_protocol.d.ts: change both together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from ..batch.runner import FINISHED, LineRun
from . import frontend, transfer

if TYPE_CHECKING:
    from .batch import Batch

UPDATES_PER_SECOND = 10
STATUSES = (
    "waiting",
    "queued",
    "creating",
    "running",
    "downloading",
    "completed",
    "already",
    "failed",
    "unfinished",
)


def state_of(run: LineRun) -> dict[str, Any]:
    """What the view shows of a line now: text and numbers only."""
    return {
        "status": run.status,
        "message": run.message,
        "progress": run.progress,
        "expected_end": run.expected_end,
        "stalled": run.stalled,
        "id": run.generation_id or "",
        "has_video": run.video is not None,
    }


def counts_of(runs: list[LineRun]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    return counts


class BatchGrid(anywidget.AnyWidget):
    """A batch's cells, live. Made by ``Batch`` (``b.grid``, or displaying ``b``)."""

    _esm = frontend.BATCH_ESM
    _css = frontend.BATCH_CSS

    name = t.Unicode("", help="The batch's name (its keys' identity).").tag(sync=True)
    cells = t.List(t.Dict(), help="Per request: label, prompt, model.").tag(sync=True)
    states = t.List(
        t.Dict(),
        help="Per request: status, message, progress, expected_end, stalled, id, has_video.",
    ).tag(sync=True)
    counts = t.Dict(help="How many requests are in each status.").tag(sync=True)
    running = t.Bool(False, help="The batch is running.").tag(sync=True)
    error = t.Unicode("", help="Why the batch stopped early, as plain text.").tag(sync=True)
    estimate = t.Unicode(
        "", help="What this run's creates are expected to cost: '6 to create: $3.00 (...)'."
    ).tag(sync=True)

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self._runs = batch.runs
        self._flush: asyncio.TimerHandle | None = None
        self._transfer = 0
        self._tasks: set[asyncio.Task[None]] = set()
        super().__init__(
            name=batch.name,
            cells=[
                {"label": label, "prompt": line.prompt, "model": line.model}
                for label, line in zip(batch.labels, batch.lines, strict=True)
            ],
            states=[state_of(run) for run in batch.runs],
            counts=counts_of(batch.runs),
            running=batch.running,
        )
        self.on_msg(self._on_view_message)

    # ---- from the batch ----

    def reset(self, runs: list[LineRun]) -> None:
        self._runs = runs
        self.error = ""
        self.flush()

    def estimated(self, creates: int, text: str) -> None:
        self.estimate = f"{creates} to create: {text}" if creates else "nothing to create"

    def changed(self, run: LineRun) -> None:
        """A line changed: shown with the others at the next flush (at most 10 a second)."""
        if not self.running:
            self.running = True
        if self._flush is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush = loop.call_later(1 / UPDATES_PER_SECOND, self.flush)

    def ended(self, reason: str = "") -> None:
        """The batch's task ended; ``reason``: why, when it stopped before every line did."""
        self.flush()
        with self.hold_sync():
            self.running = False
            if reason or not all(run.status in FINISHED for run in self._runs):
                self.error = f"{reason or 'stopped'}: run again to pick up the rest (nothing "
                self.error += "already created is sent again)"

    def flush(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        with self.hold_sync():
            self.states = [state_of(run) for run in self._runs]
            self.counts = counts_of(self._runs)

    # ---- from the view ----

    def _on_view_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        kind = content.get("kind") if isinstance(content, Mapping) else None
        if kind == "cancel":
            index = content.get("index")
            self.batch.cancel(index if isinstance(index, int) else None)
        elif kind == "start":
            try:
                self.running = True
                self.batch.start()
            except Exception as error:  # shown, never raised into the comm
                self.running, self.error = False, str(error)
        elif kind == "video":
            index = content.get("index")
            if isinstance(index, int) and 0 <= index < len(self._runs):
                self._spawn(self._send_video(index))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_video(self, index: int) -> None:
        run = self._runs[index]
        path = run.video
        data = await asyncio.to_thread(_read, path) if path is not None else None
        self._transfer += 1
        videos = [data] if data is not None else []
        aspect = str(run.line.options.get("aspect_ratio") or "")
        for message, buffers in transfer.video_messages(
            self._transfer, videos, generation_id=str(index), aspect_ratio=aspect
        ):
            self.send(message, buffers=buffers or None)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
