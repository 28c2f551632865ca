"""What a finished generation leaves in the saved notebook for readers without the widget's JavaScript.

GitHub, nbviewer, an nbconvert HTML export or a JupyterLab without the kernel show a widget
as "Loading widget..." or nothing. So next to the widget the cell gets one more output, plain
``text/html``: the prompt and status, the poster frame (the first frame as a JPEG, when PyAV and
Pillow are installed), and the video itself as a ``data:`` URI when it fits under a size cap;
above the cap, the poster and the name of the file ``w.save()`` wrote.

Where the widget's JavaScript runs, its CSS (``js/widget.css``) hides these outputs, so a live
notebook shows the widget only. The videos never enter the widget's state, so the saved
notebook holds each embedded video once.

Every piece of user text (the prompt, an error, a file name) goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..library.posters import poster_jpeg_from_file

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FALLBACK_CLASS",
    "StaticFallback",
    "fallback_html",
    "grid_html",
    "poster_jpeg",
    "video_html",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FALLBACK_CLASS = "mql-static-fallback"
POSTER_WIDTH = 640

_BOX = "font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;max-width:760px"
_MEDIA = "display:block;max-width:100%;height:auto;border-radius:4px;background:#000"


def poster_jpeg(video: bytes, *, width: int = POSTER_WIDTH) -> bytes | None:
    """The first frame of an MP4 as a JPEG at most ``width`` pixels wide, or None.

    None when PyAV or Pillow is missing (they come with the ``local`` extra) or the bytes do
    not decode: a poster is a nicety, never an error.
    """
    return poster_jpeg_from_file(video, width=width)


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def video_html(
    video: bytes,
    *,
    embed: bool,
    saved_name: str | None = None,
    src: str | None = None,
    poster: bool = True,
    label: str = "video",
    link: str | None = None,
) -> str:
    """One video as HTML: ``<video controls>`` with a data URI when ``embed``; else, given ``src`` (a
    file path relative to the notebook), a ``<video>`` of that file; else its poster and, given
    ``link`` (the library's file relative to the notebook), a link to it, or the saved file's name."""
    jpeg = poster_jpeg(video) if poster else None
    poster_uri = _data_uri("image/jpeg", jpeg) if jpeg else None
    if embed or src:
        attrs = f' poster="{poster_uri}"' if poster_uri else ""
        url = _data_uri("video/mp4", video) if embed else html.escape(str(src))
        return (
            f'<video controls preload="none" playsinline{attrs} style="{_MEDIA}" '
            f'src="{url}" aria-label="{html.escape(label)}"></video>'
        )
    parts = []
    if poster_uri:
        parts.append(
            f'<img src="{poster_uri}" alt="{html.escape("First frame of the " + label)}" style="{_MEDIA}">'
        )
    saved = f"saved as <code>{html.escape(saved_name)}</code>" if saved_name else ""
    if link:
        quoted = html.escape(quote(link), quote=True)
        where = f'open it from the library: <a href="{quoted}">{html.escape(link)}</a>'
        where += f"; {saved}" if saved else ""
    else:
        where = saved or "not saved yet: <code>w.save(&quot;video.mp4&quot;)</code> writes it"
    parts.append(
        f"<div>The video ({_size(len(video))}) is too large to embed in the notebook; {where}.</div>"
    )
    return "".join(parts)


def embedded(videos: Sequence[bytes], max_bytes: int) -> list[bool]:
    """Which videos to embed: in order, while their total stays within ``max_bytes``."""
    total, chosen = 0, []
    for video in videos:
        fits = total + len(video) <= max_bytes
        total += len(video) if fits else 0
        chosen.append(fits)
    return chosen


def fallback_html(
    *,
    prompt: str,
    status: str,
    generation_id: str = "",
    error: str = "",
    note: str = "",
    options: dict[str, Any] | None = None,
    videos: Sequence[bytes] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    saved_name: str | None = None,
    files: Sequence[Path | None] = (),
) -> str:
    """The static stand-in for a widget's shown run: a status line, the prompt, and its videos.

    A video over ``max_bytes`` shows its poster and, when it is in the library (``files``), a
    link to its file relative to the working directory (the notebook's folder in Jupyter): it
    works in an HTML export saved beside that folder, and on GitHub when the folder is committed.
    """
    head = [f"<strong>MQL video</strong> &middot; <span>{html.escape(status)}</span>"]
    if generation_id:
        head.append(f"<code>{html.escape(generation_id)}</code>")
    if options:
        head.append(html.escape(", ".join(f"{k} {v}" for k, v in options.items())))
    rows = [f"<div>{' &middot; '.join(head)}</div>"]
    if prompt:
        rows.append(f"<div><em>{html.escape(prompt)}</em></div>")
    if error:
        rows.append(f'<div style="color:#d32f2f">{html.escape(error)}</div>')
    if note:
        rows.append(f"<div>{html.escape(note)}</div>")
    if videos:
        cells = [
            video_html(
                v,
                embed=fit,
                saved_name=saved_name if i == 0 else None,
                label=f"video {i + 1}",
                link=None if fit else relative_link(files[i] if i < len(files) else None),
            )
            for i, (v, fit) in enumerate(zip(videos, embedded(videos, max_bytes), strict=True))
        ]
        rows.append(cells[0] if len(cells) == 1 else grid_html(cells))
    return (
        f'<div class="{FALLBACK_CLASS}" data-status="{html.escape(status)}" style="{_BOX}">'
        + "".join(rows)
        + "</div>"
    )


def relative_link(path: Path | None, start: str | None = None) -> str | None:
    """``path`` relative to ``start`` (the working directory), with forward slashes; None without one."""
    if path is None:
        return None
    try:
        relative = os.path.relpath(path, start or os.getcwd())
    except ValueError:  # another drive (Windows): only the absolute path can name it
        return Path(path).as_posix()
    return Path(relative).as_posix()


def grid_html(
    cells: Sequence[str], *, min_width: int = 220, captions: Sequence[str] | None = None
) -> str:
    """HTML fragments side by side in a CSS grid; ``captions`` (plain text) go under each."""
    items = []
    for i, cell in enumerate(cells):
        caption = (
            f'<div style="margin-top:4px">{html.escape(captions[i])}</div>' if captions else ""
        )
        items.append(f"<div>{cell}{caption}</div>")
    return (
        f'<div class="mql-video-grid" style="display:grid;gap:8px;'
        f'grid-template-columns:repeat(auto-fill,minmax({int(min_width)}px,1fr))">'
        + "".join(items)
        + "</div>"
    )


class StaticFallback:
    """The static output beside one widget: displayed once under a display id, then updated.

    ``saved`` remembers the file ``w.save()`` wrote for a run, named when its video is too
    large to embed. Updates before the first display do nothing (there is no output yet).
    """

    def __init__(self, display_id: str) -> None:
        self.display_id = display_id
        self.displayed = False
        self.saved: dict[Any, str] = {}  # run -> the saved file's name

    def bundle(self, run: Any, status: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, str]:
        """The output for ``run`` (a finished ``Run``), or an empty placeholder with ``status``."""
        if run is None or not run.finished:
            status = run.status if run is not None else status
            return {
                "text/html": f'<div class="{FALLBACK_CLASS}" data-status="{html.escape(status)}"></div>',
                "text/plain": "",
            }
        markup = fallback_html(
            prompt=run.prompt,
            status=run.status,
            generation_id=run.generation_id,
            error=run.error,
            note=run.note,
            options=run.options,
            videos=run.videos,
            max_bytes=max_bytes,
            saved_name=self.saved.get(run),
            files=getattr(run, "files", ()),
        )
        return {
            "text/html": markup,
            "text/plain": f"VideoWidget: {run.status} {run.generation_id}".rstrip(),
        }

    def display_beside(self, view: Any, run: Any, status: str, max_bytes: int) -> None:
        """Display the widget's own view (its ``_repr_mimebundle_()``), then this output below it."""
        from IPython.display import display

        if view is None:
            return
        data, metadata = view if isinstance(view, tuple) else (view, {})
        display(data, metadata=metadata, raw=True)
        display(self.bundle(run, status, max_bytes), raw=True, display_id=self.display_id)
        self.displayed = True

    def update(self, run: Any, status: str, max_bytes: int) -> None:
        if not self.displayed:
            return
        from IPython.display import update_display

        # A kernel without a frontend (a script, a test) has nothing to update: never an error.
        with contextlib.suppress(Exception):
            update_display(
                self.bundle(run, status, max_bytes), raw=True, display_id=self.display_id
            )
