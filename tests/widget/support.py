"""Helpers of the widget tests."""

from __future__ import annotations

from mql_notebook.widget import VideoWidget


def quiet(widget: VideoWidget) -> VideoWidget:
    """A widget with no view attached: what it sends goes nowhere."""
    widget.send = lambda *a, **k: None  # type: ignore[method-assign]
    return widget
