"""The widget's history on the library: runs from its entries, merged with the widget's own.

The plain decisions (an entry as a ``Run``, which run is which entry, the strip's order) have
no I/O; ``read_entries`` and ``read_videos`` block (SQLite, files) and are meant for a worker
thread when the kernel's loop is the caller.

A run of this widget is found in the library by the Idempotency-Key it sent (before the
server answers) or its generation id; a run from an entry, by the entry's key. So a run is
one object for as long as the widget lives, and ``w.history[i] is run`` holds across
refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, InvalidRequestError
from ..library import Entry, Library
from ..library.entry import origin_of
from ..request import DEFAULT_MODEL, VALUE_OPTIONS, check_option
from ..status import COMPLETED, PENDING, PROCESSING, TERMINAL
from .more_fields import own_fields
from .run import Run, cost_of
from .thumbnails import input_image_cards

__all__ = [
    "HISTORY_PAGE",
    "entry_options",
    "merge",
    "read_entries",
    "read_videos",
    "resumed_run",
    "run_from_entry",
]

#: How many of the library's latest runs the strip shows at first, and how many more each
#: "more-history" message (or ``load_more_history()``) adds.
HISTORY_PAGE = 50

EARLIER_NOTE = "Started in an earlier session or elsewhere; Resume polls for it (no new job)."
UNANSWERED_NOTE = "The server never answered this request; no id to resume."
NOT_DOWNLOADED_NOTE = "Completed on the server but not downloaded here; Resume downloads it."


def read_entries(library: Library, limit: int) -> tuple[list[Entry], bool]:
    """The latest ``limit`` entries (newest first) and whether there are older ones.

    A library whose index does not exist yet has none (and is not created by looking).
    """
    if not library.index_path.exists():
        return [], False
    found = library.entries(limit=limit + 1)
    return found[:limit], len(found) > limit


Cards = dict[str, dict[str, dict[str, Any]]]  # entry key -> field -> image card


def read_image_cards(entries: Iterable[Entry]) -> Cards:
    """The cards (thumbnails) of the entries' input images (blocking: a worker thread)."""
    return {e.key: input_image_cards(e.images) for e in entries if e.images}


def read_videos(files: Sequence[Path | None]) -> list[bytes]:
    """The bytes of a run's videos from the library's folder (blocking: a worker thread)."""
    return [Path(f).read_bytes() for f in files if f is not None]


def entry_options(model: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared option a stored request carries (the seed too), each as ``model`` takes it.

    A value the declaration refuses (an older version's, a video downloaded by id) is the
    option's default, or unset when it has none; so restoring it leaves the widget's controls
    with a request they can send.
    """
    options: dict[str, Any] = {}
    for spec in VALUE_OPTIONS:
        value = stored.get(spec.name)
        try:
            options[spec.name] = check_option(spec, model, value)
        except InvalidRequestError:
            if spec.default is not None:
                options[spec.name] = spec.default
    return options


def run_from_entry(entry: Entry) -> Run:
    """A history run for an entry this widget did not make (an earlier kernel, another widget)."""
    model = entry.model or DEFAULT_MODEL
    run = Run(
        prompt=entry.prompt or "",
        model=model,
        options=entry_options(model, entry.options),
        fields=own_fields(entry.options),
        images={name: image.source for name, image in entry.images.items()},
        started_at=entry.created_at,
        created_at=entry.created_at,
        from_library=True,
    )
    update_from_entry(run, entry)
    return run


def update_from_entry(run: Run, entry: Entry) -> None:
    """What the library says now about a run that no poller of this widget is carrying out."""
    run.library_key = entry.key
    run.cost = cost_of(entry)
    run.rating = entry.rating
    run.origin = entry.origin
    run.generation_id = entry.id or run.generation_id
    run.files = entry.files
    run.error = entry.error or ""
    run.finished_at = entry.finished_at
    if entry.status == COMPLETED and not run.on_disk and not run.videos:
        run.status, run.resumable, run.note = PROCESSING, True, NOT_DOWNLOADED_NOTE
    elif entry.status in TERMINAL:
        run.status, run.resumable = entry.status, False
        if entry.status == COMPLETED:
            run.note, run.progress = "", 100.0
    else:  # still running somewhere, or never answered
        run.status = entry.status if entry.status in (PENDING, PROCESSING) else PENDING
        run.finished_at = None
        run.resumable = entry.answered
        run.note = EARLIER_NOTE if entry.answered else UNANSWERED_NOTE


def resumed_run(
    runs: Sequence[Run], shown: Run | None, generation_id: str, inputs: object
) -> tuple[Run, Run | None]:
    """The run a resume of ``generation_id`` carries out, and the library's run it replaces.

    It takes the prompt and options of the shown run (if that is the job) or of the history's
    run from the library, else of ``inputs`` (the widget's); a resume of this widget's own run
    is a new entry in the strip, as before.
    """
    known = shown if shown is not None and shown.generation_id == generation_id else None
    known = known or next(
        (r for r in runs if r.from_library and r.generation_id == generation_id), None
    )
    run = Run.from_inputs(known or inputs, generation_id)
    if known is None or not known.from_library:
        return run, None
    run.created_at, run.library_key = known.created_at, known.library_key
    return run, known


def check_origin(run: Run, client: Any) -> None:
    """Refuse to resume a run of another server with this client (a ``ConfigurationError``):
    its id means nothing here, and the key must not go there. An in-process emulator of an
    earlier kernel (``MQL_BASE_URL=local``) is such a server: its jobs ended with it."""
    recorder = getattr(client, "recorder", None)
    here = recorder.origin if recorder is not None else origin_of(client.settings.base_url)
    if run.origin and run.origin != here:
        raise ConfigurationError(
            f"this run was made on {run.origin} and this widget's client talks to {here}: "
            "resume it with a client of that server (an in-process emulator's jobs end with "
            "the process that ran it)"
        )


def _finished_elsewhere(entry: Entry) -> bool:
    return entry.status == COMPLETED and bool(entry.files) and all(entry.files)


def merge(
    own: Iterable[Run], entries: Iterable[Entry], busy: Run | None, cards: Cards | None = None
) -> list[Run]:
    """The strip, oldest first: a run per entry (reusing the known one) plus the widget's own
    runs that have no entry (not recorded yet, or too old for the page).

    ``own`` are the runs the widget knows; ``busy`` is the run its poller carries out: the
    library may lag behind it, so it is never updated from an entry.
    """
    known = list(own)
    by_idem = {r.idempotency_key: r for r in known if r.idempotency_key}
    by_key = {r.library_key: r for r in known if r.library_key}
    by_id = {r.generation_id: r for r in known if r.generation_id}
    result: dict[int, Run] = {}
    for entry in entries:
        run = (
            (entry.idempotency_key and by_idem.get(entry.idempotency_key))
            or by_key.get(entry.key)
            or (entry.id and by_id.get(entry.id))
            or None
        )
        if run is None:
            run = run_from_entry(entry)
        elif run.from_library or (_finished_elsewhere(entry) and run is not busy):
            update_from_entry(run, entry)
        else:  # the widget's own run: it knows best what happened to it (e.g. its cancel)
            run.library_key, run.rating = entry.key, entry.rating
            run.cost = cost_of(entry) or run.cost
        if cards and entry.key in cards and (run.from_library or not run.image_cards):
            run.image_cards = cards[entry.key]
        result.setdefault(id(run), run)
    for run in known:
        result.setdefault(id(run), run)
    return sorted(result.values(), key=lambda r: r.created_at)
