"""A gallery card: what the view shows of a library entry, and an entry as a widget's inputs."""

from __future__ import annotations

from typing import Any

from ..library import Entry, Library
from ..library.posters import can_make_posters
from ..request import describe
from .history import entry_options
from .more_fields import describe_fields, own_fields
from .request_traits import INPUT_NAMES, unset_options
from .run import cost_of
from .thumbnails import input_image_cards


def card_of(entry: Entry, *, parent_id: str = "", children: int = 0) -> dict[str, Any]:
    """What the view shows of an entry: text, numbers and its input images' thumbnails (data
    URLs), never a path or a video's byte. Blocks (thumbnails): a worker thread.

    ``parent_id``: the id (else key) of the entry it was made from, shown as "from <id> at
    2.0 s"; ``children``: how many were made from it (``cards_of`` reads both)."""
    video = entry.video
    sizes = [s for s in entry.sizes if isinstance(s, int)]
    return {
        **entry.card_fields(),
        "status": entry.status,
        "finished_at": entry.finished_at,
        "error": entry.error or "",
        "has_video": video is not None and video.is_file(),
        "has_poster": has_poster(entry),
        "size": sum(sizes),
        "videos": sum(1 for f in entry.files if f is not None),
        "summary": " · ".join(
            [
                *describe(entry.model or "?", entry.options),
                *describe_fields(own_fields(entry.options)),
            ]
        ),
        "images": input_image_cards(entry.images),
        "cost": cost_of(entry),
        "parent": entry.parent or "",
        "parent_id": parent_id,
        "parent_time": entry.parent_time,
        "children": children,
        "batch": entry.batch or "",
        "batch_text": entry.batch_text,
    }


def cards_of(library: Library, entries: list[Entry]) -> list[dict[str, Any]]:
    """The cards of a page, with their lineage: one query for the children counts, one read
    per distinct parent. Blocks: a worker thread."""
    counts = library.children_counts(e.key for e in entries)
    parents: dict[str, str] = {}
    for key in {e.parent for e in entries if e.parent}:
        found = library.get(key)
        parents[key] = (found.id or found.key) if found else key
    return [
        card_of(e, parent_id=parents.get(e.parent or "", ""), children=counts.get(e.key, 0))
        for e in entries
    ]


def prompt_settings(entry: Entry, model: str) -> dict[str, Any]:
    """The whole request of ``entry`` as a widget's inputs (``INPUT_NAMES``): its prompt, its
    model (else ``model``, the widget's) and every declared option, the seed too; one the entry
    does not carry is its default, or unset."""
    model = entry.model or model
    request = {"prompt": entry.prompt or "", "model": model}
    settings = request | unset_options() | entry_options(model, entry.options)
    return {name: settings[name] for name in INPUT_NAMES}


def has_poster(entry: Entry) -> bool:
    """A poster kept, or one the gallery can make when it is shown (the video is here)."""
    kept = entry.posters[0] if entry.posters else None
    if kept is not None and kept.is_file():
        return True
    return entry.video is not None and entry.video.is_file() and can_make_posters()
