"""One generation as the library remembers it, and the plain decisions about entries (no I/O)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._constants import CONTENT_REFUSED_PREFIX as CONTENT_REFUSED_PREFIX
from .._constants import LEARNED_DURATION_SAMPLES
from .._origins import origin_of as origin_of  # widget/history.py reads it here
from ..generation import GENERATIONS_ROUTE
from ..money import format_amount
from ..request import IMAGE_NAMES
from ..status import COMPLETED, is_terminal
from .images import InputImage

if TYPE_CHECKING:
    from ..media.frames import Frame

EMULATOR = "emulator"  # origin_kind of a job made by an in-process emulator (base_url="local")
# CONTENT_REFUSED_PREFIX (_constants.py): how an entry's error begins when moderation refused it
# (input or output): a batch re-run does not send such a line again unless asked.


@dataclass(frozen=True)
class Entry:
    """A generation recorded in a library.

    ``id`` is None until the server answered the create; ``key`` is the library's own stable
    name for the entry from before the request left. ``files``, ``sizes``, ``sha256`` and
    ``posters`` are indexed by variant (``files[0]`` is the first video), None where that
    variant has not been downloaded (yet). ``images`` are the input images by field
    (``images["first_frame_image"].path``: the library's copy); ``parent`` is the key of the
    entry whose frame this run was made from (``parent_time``: that frame's time), or None.
    ``rating`` (0-5 stars) and ``note`` are the user's (``Library.rate``, ``Library.note``);
    ``batch`` the id of the Batch (or ``mql-notebook batch``) it was made in, ``batch_index``
    its place there (from 0) and ``batch_size`` how many that batch had (``batch_text``).
    """

    key: str
    id: str | None
    status: str
    prompt: str | None
    model: str | None
    options: dict[str, Any]
    created_at: float
    finished_at: float | None = None
    error: str | None = None
    origin: str | None = None
    idempotency_key: str | None = None
    files: tuple[Path | None, ...] = ()
    sizes: tuple[int | None, ...] = ()
    sha256: tuple[str | None, ...] = ()
    posters: tuple[Path | None, ...] = ()
    origin_kind: str | None = None
    answered_at: float | None = None
    route: str = GENERATIONS_ROUTE  # "minimax": a MiniMax task (its id is the task_id)
    # Money: what the create was estimated to cost before it was sent, what the server said it
    # cost (None when it did not), their currency, and whether it counts against budgets
    # (False once given back: a refused create, a failed job the server billed nothing for).
    estimate: float | None = None
    cost: float | None = None
    currency: str | None = None
    counted: bool = False
    images: dict[str, InputImage] = field(default_factory=dict)
    parent: str | None = None
    parent_time: float | None = None
    rating: int | None = None  # 0-5 stars (Library.rate), None when not rated
    note: str | None = None  # the user's note (Library.note)
    batch: str | None = None  # the batch or sweep it was made in (its id), None when none
    batch_index: int | None = None  # its place in that batch, from 0
    batch_size: int | None = None  # how many requests that batch had

    def frame(self, t: float | None = None, *, variant: int = 0) -> Frame:
        """The frame of this entry's video shown at ``t`` seconds (the last when None), decoded
        exactly from its file; give it as ``first_frame_image=`` to chain a run from it (the new
        run records this entry as its parent). Blocks: ``await entry.frame_async()`` on a loop.
        Raises ValueError when the video is not downloaded."""
        from ..media.frames import frame_of

        return frame_of(self._video_of(variant), t, entry_key=self.key)

    async def frame_async(self, t: float | None = None, *, variant: int = 0) -> Frame:
        """``frame`` in a worker thread."""
        from ..media.frames import frame_of_async

        return await frame_of_async(self._video_of(variant), t, entry_key=self.key)

    def _video_of(self, variant: int) -> Path:
        path = self.files[variant] if 0 <= variant < len(self.files) else None
        if path is None:
            raise ValueError(
                f"entry {self.id or self.key} has no video {variant + 1} in the library "
                f"(status {self.status}): download it first"
            )
        return path

    @property
    def request(self) -> dict[str, Any]:
        """The create's arguments to make this run again: ``mql.video.create(**entry.request)``
        (the images as the library's copies of what was sent, or their URLs)."""
        images = {name: image.source for name, image in self.images.items()}
        return {"model": self.model, "prompt": self.prompt, **self.options, **images}

    @property
    def batch_text(self) -> str:
        """ "batch notebook-3fa2c1, 3 of 6" for a member of a batch, else ""."""
        if self.batch is None:
            return ""
        if self.batch_index is None or not self.batch_size:
            return f"batch {self.batch}"
        return f"batch {self.batch}, {self.batch_index + 1} of {self.batch_size}"

    @property
    def answered(self) -> bool:
        """Whether the server answered the create (only then is there an id to resume)."""
        return self.id is not None

    @property
    def refused_for_content(self) -> bool:
        """Whether moderation refused it (its input at the create, or its output after a render)."""
        return (self.error or "").startswith(CONTENT_REFUSED_PREFIX)

    @property
    def video(self) -> Path | None:
        """The first variant's file, once downloaded."""
        return self.files[0] if self.files else None

    @property
    def n(self) -> int:
        value = self.options.get("n")
        return value if isinstance(value, int) and value > 0 else 1

    @property
    def spent(self) -> float | None:
        """What it cost: the server's reported cost, else the estimate, else None (unknown)."""
        return self.cost if self.cost is not None else self.estimate

    def cost_text(self) -> str:
        """For a gallery card: ``$0.50``, ``~$0.50`` (an estimate), ``$0.00 (given back)``, or
        ``cost unknown``."""
        if self.spent is None:
            return "cost unknown"
        text = format_amount(self.spent, self.currency)
        if self.cost is None:
            text = "~" + text
        return text if self.counted or self.cost else f"{text} (not charged)"

    @property
    def finished(self) -> bool:
        """Nothing left to do: it failed or was cancelled, or it completed and a video is here."""
        if self.status == COMPLETED:
            return any(f is not None for f in self.files)
        return is_terminal(self.status)

    def card_fields(self) -> dict[str, Any]:
        """What every card of it shows, the gallery's and an exported page's (JSON text):
        key, id, prompt, model, options, created_at, rating and note."""
        return {
            "key": self.key,
            "id": self.id,
            "prompt": self.prompt or "",
            "model": self.model or "",
            "options": dict(self.options),
            "created_at": self.created_at,
            "rating": self.rating,
            "note": self.note or "",
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings), the stable shape of ``library list --json``."""
        return {
            "key": self.key,
            "id": self.id,
            "status": self.status,
            "prompt": self.prompt,
            "model": self.model,
            "options": dict(self.options),
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "origin": self.origin,
            "origin_kind": self.origin_kind,
            "idempotency_key": self.idempotency_key,
            "route": self.route,
            "files": [None if f is None else str(f) for f in self.files],
            "sizes": list(self.sizes),
            "sha256": list(self.sha256),
            "posters": [None if p is None else str(p) for p in self.posters],
            "images": {name: image.to_dict() for name, image in self.images.items()},
            "parent": self.parent,
            "parent_time": self.parent_time,
            "estimate": self.estimate,
            "cost": self.cost,
            "currency": self.currency,
            "counted": self.counted,
            "rating": self.rating,
            "note": self.note,
            "batch": self.batch,
            "batch_index": self.batch_index,
            "batch_size": self.batch_size,
        }


def entry_from_row(
    folder: Path,
    row: tuple[Any, ...],
    file_rows: list[tuple[Any, ...]],
    images: dict[str, InputImage] | None = None,
) -> Entry:
    """An Entry from a row of ``entries``, its rows of ``files`` (variant, name, size, sha256,
    poster) and its input images."""
    key, gid, status, prompt, model, options, created, finished, error, origin, idem = row[:11]
    count = max((f[0] for f in file_rows), default=-1) + 1
    paths: list[Path | None] = [None] * count
    sizes: list[int | None] = [None] * count
    sums: list[str | None] = [None] * count
    posters: list[Path | None] = [None] * count
    for variant, name, size, sha, poster in file_rows:
        paths[variant] = folder / name
        sizes[variant], sums[variant] = size, sha
        posters[variant] = folder / poster if poster else None
    return Entry(
        key=key,
        id=gid,
        status=status,
        prompt=prompt,
        model=model,
        options=json.loads(options or "{}"),
        created_at=created,
        finished_at=finished,
        error=error,
        origin=origin,
        idempotency_key=idem,
        files=tuple(paths),
        sizes=tuple(sizes),
        sha256=tuple(sums),
        posters=tuple(posters),
        origin_kind=row[11],
        answered_at=row[12],
        images=images or {},
        parent=row[13],
        parent_time=row[14],
        estimate=row[17],
        cost=row[18],
        currency=row[19],
        counted=row[15] is not None and row[20] is None,
        route=row[21] or GENERATIONS_ROUTE,
        rating=row[22],
        note=row[23],
        batch=row[24] if len(row) > 24 else None,
        batch_index=row[25] if len(row) > 25 else None,
        batch_size=row[26] if len(row) > 26 else None,
    )


def options_of(body: dict[str, Any]) -> dict[str, Any]:
    """The options of a create request body, besides its prompt, model and images (which the
    library keeps apart: ``Entry.images``)."""
    return {k: v for k, v in body.items() if k not in ("prompt", "model", *IMAGE_NAMES)}


def create_was_refused(status_code: int | None) -> bool:
    """Whether an error answer to a create means no job was made (a 4xx, or 503: not processed;
    or an error inside a 2xx, as MiniMax's base_resp codes come: the answer names no job).

    After a 500, 502, 504 or 529 the server may have made the job before failing: the entry
    stays unanswered, to be resumed with its Idempotency-Key, not marked failed.
    """
    return status_code is not None and (
        200 <= status_code < 300 or 400 <= status_code < 500 or status_code == 503
    )


def learned_duration(
    created_at: float, completed_seen_at: float, last_look_before: float | None
) -> float | None:
    """Seconds from create to completed, or None when the completion was not seen promptly.

    A completion noticed long after the previous look (a resume hours later, a get_status
    days later) says nothing about how long jobs take.
    """
    if last_look_before is None:
        return None
    elapsed = completed_seen_at - created_at
    gap = completed_seen_at - last_look_before
    if elapsed <= 0 or gap > max(10.0, 0.2 * elapsed):
        return None
    # It ended somewhere between the last two looks: the middle is the unbiased guess (the
    # completed look alone would add the wait's lateness to every learned duration).
    return elapsed - gap / 2


def expected_from(samples: Sequence[float]) -> float | None:
    """The expected duration from the latest samples (newest first): their median."""
    recent = sorted(s for s in samples[:LEARNED_DURATION_SAMPLES] if s > 0)
    if not recent:
        return None
    # The median, by hand: importing statistics costs more than the rest of the library.
    middle = len(recent) // 2
    return recent[middle] if len(recent) % 2 else (recent[middle - 1] + recent[middle]) / 2
