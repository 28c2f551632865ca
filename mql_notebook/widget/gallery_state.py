"""The gallery's state: its traits, every one Python's to write (tagged output; the view asks by
message instead, gallery.py), typed for the view in js/gallery_protocol.d.ts."""

from __future__ import annotations

import anywidget
import traitlets as t

from .gallery_page import SORTS

DEFAULT_PAGE_SIZE = 24


class GalleryState(anywidget.AnyWidget):
    """The traits of ``Gallery``: one page of the library, its filters, and the compare."""

    entries = t.List(
        t.Dict(),
        help="The page shown, newest first: key, id, prompt, model, options, status, created_at, "
        "finished_at, error, has_video, has_poster, size (bytes), videos, rating, note, parent, "
        "parent_id, parent_time, children.",
    ).tag(sync=True, output=True)
    total = t.Int(0, help="How many entries match the filter in all.").tag(sync=True, output=True)
    query = t.Unicode("", help="The filter: entries whose prompt, model, note or id has it.").tag(
        sync=True, output=True
    )
    sort = t.Enum(SORTS, "newest", help='"newest" first, or best "rating" first.').tag(
        sync=True, output=True
    )
    min_rating = t.Int(0, help="Only entries rated this many stars or more (0: every entry).").tag(
        sync=True, output=True
    )
    offset = t.Int(0, help="The index of the page's first entry among those matching.").tag(
        sync=True, output=True
    )
    page_size = t.Int(DEFAULT_PAGE_SIZE, help="Cards per page.").tag(sync=True, output=True)
    linked = t.Bool(False, help="A VideoWidget is linked: cards offer 'Use this prompt'.").tag(
        sync=True, output=True
    )
    folder = t.Unicode("", help="The library's folder, shown in the header.").tag(
        sync=True, output=True
    )
    error = t.Unicode("", help="Why the last action failed, as plain text.").tag(
        sync=True, output=True
    )
    notice = t.Unicode("", help="What the last action did (an export: its page), as text.").tag(
        sync=True, output=True
    )
    compared = t.List(
        t.Dict(), help="The compare's columns: key, prompt segments, differences (differences.py)."
    ).tag(sync=True, output=True)
    compare_grid = t.Dict(
        help="A sweep's compare as a grid: row_fields, col_fields, rows, cols (headings), cells "
        "(keys); {} side by side (compare_grid.py)."
    ).tag(sync=True, output=True)
    compare_shown = t.Int(0, help="Counts compares asked from Python: the view opens each.").tag(
        sync=True, output=True
    )
    model_filter = t.Unicode("", help="Only entries of this model ('': every model).").tag(
        sync=True, output=True
    )
    where = t.Dict(help="Only entries whose fields have these values: {'seed': 3}.").tag(
        sync=True, output=True
    )
    batch = t.Unicode("", help="Only the entries of this batch (Entry.batch; '': all).").tag(
        sync=True, output=True
    )
    models = t.List(t.Unicode(), help="The library's models, for the view's select.").tag(
        sync=True, output=True
    )
