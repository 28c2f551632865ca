"""What differs between compared runs: a word diff of prompts and the options and model's own
fields that differ from the first column's. Plain functions, no I/O (the gallery's compare)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..library import Entry

_TOKENS = re.compile(r"\s+|\S+")


def word_diff(base: str, other: str) -> list[dict[str, Any]]:
    """``other`` as segments ``{"text", "changed"}``: its words that are not in ``base`` at the
    same place are changed; spaces never are. Joined, the texts are ``other`` exactly."""
    a, b = _TOKENS.findall(base or ""), _TOKENS.findall(other or "")
    segments: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, _i1, _i2, j1, j2 in matcher.get_opcodes():
        for token in b[j1:j2]:
            changed = op != "equal" and not token.isspace()
            if segments and segments[-1]["changed"] == changed:
                segments[-1]["text"] += token
            else:
                segments.append({"text": token, "changed": changed})
    return segments


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def field_differences(base: Mapping[str, Any], other: Mapping[str, Any]) -> list[dict[str, str]]:
    """The settings (the model, the options, the model's own fields: one mapping each) of
    ``other`` that differ from ``base``'s, in ``base``'s order then ``other``'s new ones:
    ``{"name", "before", "after", "text": "duration 5 → 10"}`` ("—" for one not set)."""
    names = [*base, *(n for n in other if n not in base)]
    found = []
    for name in names:
        before, after = base.get(name), other.get(name)
        if before != after:
            b, a = _shown(before), _shown(after)
            found.append({"name": name, "before": b, "after": a, "text": f"{name} {b} → {a}"})
    return found


def settings_of(entry: Entry) -> dict[str, Any]:
    """An entry's model and options (declared and its model's own fields) as one mapping."""
    return {"model": entry.model or "", **dict(entry.options)}


def compare_columns(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """One column per entry: its key, its prompt as segments marked against the first
    column's, and its settings that differ from the first's (none for the first)."""
    if not entries:
        return []
    first = entries[0]
    base_prompt, base = first.prompt or "", settings_of(first)
    return [
        {
            "key": e.key,
            "segments": word_diff(base_prompt, e.prompt or "")
            if i
            else [{"text": base_prompt, "changed": False}],
            "differences": field_differences(base, settings_of(e)) if i else [],
        }
        for i, e in enumerate(entries)
    ]
