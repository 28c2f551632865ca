"""Where the view's files are: the wheel ships js/ as mql_notebook/static/; an editable
checkout reads the top-level js/ itself (edits show at once, with ``ANYWIDGET_HMR=1`` live)."""

from __future__ import annotations

from pathlib import Path


def frontend_file(name: str) -> Path:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "static" / name
    return packaged if packaged.is_file() else package.parent / "js" / name


ESM = frontend_file("widget.js")
CSS = frontend_file("widget.css")
