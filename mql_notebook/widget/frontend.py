"""The views' modules and stylesheets as anywidget loads them: one ES module per widget.

Each view is written as ES modules that tsc checks as such: js/shared.js (the helpers both
views use: h(), option lists, bytes, sizes, labels, listeners), the view's own (js/widget.js,
js/gallery.js with js/gallery_notes.js, the cards' stars, notes and lineage,
js/gallery_filters.js, its filters and a sweep's compare as a grid, and
js/gallery_sync.js, its synced compare; js/batch.js) and, for VideoWidget, js/controls.js (its
option controls), js/badge.js (its clock), js/images.js (its image controls) and
js/more_fields.js, each importing the others by name from "./<file>.js". anywidget loads a
single module, so the class gets them
joined in order, each with its ``import { ... } from "./<file>.js"`` lines taken out (the
``export``s stay: extra named exports are harmless next to ``export default``). The stylesheets join the same way: js/shared.css (the
theme variables and the rules both views repeat), then the view's own.

The wheel ships js/ as mql_notebook/static/; an editable checkout reads the top-level js/.

Hot reload (``ANYWIDGET_HMR=1``): anywidget reloads a module given as a ``Path`` when its file
changes. In a checkout with HMR on, the joined text is written to a file of its own (in the
temporary folder) and that path is the class's ``_esm`` / ``_css``; a watcher thread
(``watchfiles``, which anywidget's HMR needs too) joins the parts again whenever one of them
is saved, and anywidget sends the new file to every live view.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

log = logging.getLogger("mql_notebook")

SHARED_JS = "shared.js"
SHARED_CSS = "shared.css"
# The imports of one part from another (types aside: those are JSDoc comments), by name.
_LOCAL_IMPORT = re.compile(r'^import \{[^}]*\} from "\./[\w-]+\.js";[ \t]*\n', re.M)


def frontend_file(name: str) -> Path:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "static" / name
    return packaged if packaged.is_file() else package.parent / "js" / name


def joined(*names: str) -> str:
    """The files ``names`` as one text, their imports of each other taken out."""
    parts = [frontend_file(name).read_text(encoding="utf-8") for name in names]
    return "\n".join(_LOCAL_IMPORT.sub("", part) for part in parts)


def _hot_reloading(names: tuple[str, ...]) -> bool:
    in_checkout = all(frontend_file(n).parent.name == "js" for n in names)
    return os.environ.get("ANYWIDGET_HMR") == "1" and in_checkout


def view_file(*names: str) -> str | Path:
    """What a class's ``_esm`` / ``_css`` is: the joined text, or under HMR its file."""
    if not _hot_reloading(names):
        return joined(*names)
    key = hashlib.sha256(str(frontend_file(names[-1])).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"mql-notebook-hmr-{key}" / names[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(joined(*names), encoding="utf-8")
    _watch(names, target)
    return target


def _watch(names: tuple[str, ...], target: Path) -> None:
    try:
        from watchfiles import watch
    except ImportError:
        log.warning("ANYWIDGET_HMR=1 needs watchfiles (pip install watchfiles)")
        return

    def rejoin() -> None:
        for _ in watch(*(frontend_file(n) for n in names)):
            try:
                target.write_text(joined(*names), encoding="utf-8")
            except OSError as exc:  # a part saved half-way, or removed: the next save rejoins
                log.warning("could not rejoin %s: %s", target.name, exc)

    threading.Thread(target=rejoin, name=f"mql-hmr-{target.name}", daemon=True).start()


WIDGET_PARTS = (
    SHARED_JS,
    "controls.js",
    "badge.js",
    "images.js",
    "more_fields.js",
    "history.js",
    "widget.js",
)
GALLERY_PARTS = (
    SHARED_JS,
    "gallery_notes.js",
    "gallery_filters.js",
    "gallery_sync.js",
    "gallery.js",
)
ESM = view_file(*WIDGET_PARTS)
CSS = view_file(SHARED_CSS, "widget.css")
GALLERY_ESM = view_file(*GALLERY_PARTS)
GALLERY_CSS = view_file(SHARED_CSS, "gallery.css")
BATCH_PARTS = (SHARED_JS, "batch.js")
BATCH_ESM = view_file(*BATCH_PARTS)
BATCH_CSS = view_file(SHARED_CSS, "batch.css")
