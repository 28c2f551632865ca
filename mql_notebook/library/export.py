"""A folder to share: ``index.html`` that works offline, with the chosen videos beside it.

``export(library, folder, entries)`` writes ``folder/index.html`` (export_page: one static
script allowed by its hash, the data as an inert JSON island), ``videos/<id>.mp4`` (hard links
to the library's files, copies across filesystems), ``posters/<id>.jpg`` and
``images/<id>-<field>.<ext>`` (the input images). Every file is written whole (``_files``).
``page_data`` is the plain part: what the page shows of each entry, with its relative files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import link_or_copy, safe_filename, write_atomically
from ..errors import LibraryError
from .export_page import page_html

if TYPE_CHECKING:
    from .entry import Entry
    from .library import Library

INDEX_FILE = "index.html"
VIDEOS, POSTERS, IMAGES = "videos", "posters", "images"


@dataclass
class Planned:
    """One entry's files in the export: relative name -> the library file it comes from (or
    None: a poster to make from the video)."""

    entry: Entry
    stem: str
    videos: list[tuple[str, Path]] = field(default_factory=list)
    posters: list[tuple[str, Path | None]] = field(default_factory=list)
    images: list[tuple[str, str, Path]] = field(default_factory=list)  # field, name, source


def plan(entries: Sequence[Entry]) -> list[Planned]:
    """Which files each entry brings (its downloaded videos, posters, input images), under
    names that stay inside the folder and never collide. Entries without a video are left out."""
    used: set[str] = set()
    planned = []
    for entry in entries:
        files = [(v, f) for v, f in enumerate(entry.files) if f is not None and f.is_file()]
        if not files:
            continue
        stem = safe_filename(entry.id or entry.key, "")
        if stem in used:
            stem = safe_filename(f"{stem}-{entry.key[:8]}", "")
        used.add(stem)
        item = Planned(entry, stem)
        for variant, path in files:
            name = stem if variant == 0 else f"{stem}-{variant + 1}"
            item.videos.append((f"{VIDEOS}/{name}.mp4", path))
            poster = entry.posters[variant] if variant < len(entry.posters) else None
            item.posters.append(
                (f"{POSTERS}/{name}.jpg", poster if poster and poster.is_file() else None)
            )
        for name, image in entry.images.items():
            if image.path is not None and image.path.is_file():
                suffix = image.path.suffix or ".img"
                item.images.append((name, f"{IMAGES}/{stem}-{name}{suffix}", image.path))
        planned.append(item)
    return planned


def entry_data(item: Planned, posters: list[str | None]) -> dict[str, Any]:
    """What the page shows of one entry: text, numbers and relative file names only."""
    return {
        **item.entry.card_fields(),
        "cost": item.entry.cost_text(),
        "videos": [name for name, _ in item.videos],
        "posters": posters,
        "images": [
            {"field": name, "name": source.name, "src": rel} for name, rel, source in item.images
        ],
    }


def page_data(items: Sequence[dict[str, Any]], exported_at: float) -> dict[str, Any]:
    count = len(items)
    day = time.strftime("%Y-%m-%d", time.localtime(exported_at))
    return {
        "title": f"{count} video{'s' if count != 1 else ''} from mql-notebook, {day}",
        "exported_at": exported_at,
        "entries": list(items),
    }


def export(
    library: Library,
    folder: str | os.PathLike[str],
    entries: Iterable[Entry | str] | None = None,
) -> Path:
    """Write a page to share into ``folder`` and return its ``index.html``.

    ``entries``: Entry objects or ids/keys of ``library`` (None: every entry with a video).
    Blocks (file copies, SQLite): ``await asyncio.to_thread(export, ...)`` on a loop. Raises
    LibraryError for an id that is not in the library, or when none has a video.
    """
    chosen = _resolve(library, entries)
    planned = plan(chosen)
    if not planned:
        raise LibraryError(
            "nothing to export: none of the chosen entries has a downloaded video "
            f"({len(chosen)} chosen from {library.path})"
        )
    root = Path(folder).expanduser().resolve()
    for sub in (VIDEOS, POSTERS, IMAGES):
        (root / sub).mkdir(parents=True, exist_ok=True)
    items = []
    for item in planned:
        for rel, source in item.videos:
            link_or_copy(source, root / rel)
        for _field, rel, source in item.images:
            link_or_copy(source, root / rel)
        items.append(entry_data(item, _write_posters(library, root, item)))
    return write_atomically(
        root / INDEX_FILE, page_html(page_data(items, time.time())).encode("utf-8")
    )


def _write_posters(library: Library, root: Path, item: Planned) -> list[str | None]:
    """Each video's poster: the library's, else made now (when PyAV is here) and kept there."""
    names: list[str | None] = []
    for (rel, poster), (_, video) in zip(item.posters, item.videos, strict=True):
        poster = poster or library.poster(item.entry, item.entry.files.index(video))
        if poster is None:
            names.append(None)
            continue
        link_or_copy(poster, root / rel)
        names.append(rel)
    return names


def _resolve(library: Library, entries: Iterable[Entry | str] | None) -> list[Entry]:
    if entries is None:
        return library.entries()
    found: list[Entry] = []
    for wanted in entries:
        if not isinstance(wanted, str):
            found.append(wanted)
            continue
        entry = library.get(wanted)
        if entry is None:
            raise LibraryError(f"no entry {wanted!r} in the library {library.path}")
        found.append(entry)
    return found


def choose(
    entries: Iterable[Entry], *, rating: int | None = None, since: float | None = None
) -> list[Entry]:
    """The entries rated at least ``rating`` stars and created at or after ``since`` (Unix
    seconds); None keeps all. A plain filter, for the CLI's ``--rating`` and ``--since``."""
    chosen = []
    for entry in entries:
        stars = getattr(entry, "rating", None)
        if rating is not None and not (isinstance(stars, int) and stars >= rating):
            continue
        if since is not None and entry.created_at < since:
            continue
        chosen.append(entry)
    return chosen


def default_export_folder(now: float | None = None) -> Path:
    """Where an export goes when no folder is named: ./mql-export-<local time>."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return Path(f"mql-export-{stamp}")
