"""The request's declaration as the view's form reads it: one JSON-ready description per
field (``VideoWidget.choices["fields"]``), from which js/widget.js builds its controls, so a
new field needs no JavaScript; and js/request.d.ts, the view's types, generated from the same
declaration (``python -m mql_notebook.request.typescript``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fields import KNOWN_MODELS, MAX_PROMPT_CHARS, OPTIONS, Field


def form_field(spec: Field) -> dict[str, Any]:
    """What the view needs to build and fill one option's control."""
    return {
        "name": spec.name,
        "type": "int" if spec.type is int else "text",
        "label": spec.label,
        "help": spec.help,
        "control": spec.control,
        "default": spec.default,
        "unset_label": spec.unset_label,
        "min": spec.bounds[0] if spec.bounds else None,
        "max": spec.bounds[1] if spec.bounds else None,
        # Suggested values: those of each documented model, and of any model together.
        "by_model": {model: list(values) for model, values in spec.documented.items()},
        "suggested": spec.documented_values(),
    }


def form_choices(models: Iterable[str] = ()) -> dict[str, Any]:
    """The widget's ``choices``: the models to suggest (``models`` first) and every option's form."""
    suggested = list(dict.fromkeys([*models, *KNOWN_MODELS]))
    by_name = {spec.name: spec.documented_values() for spec in OPTIONS}
    return {
        "models": suggested,
        "max_prompt_chars": MAX_PROMPT_CHARS,
        "fields": [form_field(spec) for spec in OPTIONS],
        # What today's view reads: each control's documented values (from the same fields).
        "aspect_ratios": by_name["aspect_ratio"],
        "durations": by_name["duration"],
        "resolutions": by_name["resolution"],
        "max_variants": max(by_name["n"]),
    }
