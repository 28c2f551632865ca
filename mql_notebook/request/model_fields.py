"""The fields some models take besides the declared options (../shared/API.md, "Model-specific
fields"), known by family: Veo, Kling, Runway, Luma, MiniMax Hailuo.

They are suggestions, never a gate: any model's own field is sent as given (checks.py), and
the gateway decides. What the table adds is that the widget's More fields box and the CLI's
``--field`` say what a model takes, and a name a letter or two from one of its fields
(``negative_promt`` for Kling) is refused as a typo before anything is paid for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OwnField:
    """One field a family of models takes; ``example`` as typed in More fields or ``--field``."""

    name: str
    example: str
    what: str


@dataclass(frozen=True)
class ModelFamily:
    name: str
    # The words a model id of the family starts one of its parts with ("fal-ai/kling-video/v2.1").
    words: tuple[str, ...]
    fields: tuple[OwnField, ...]


_NEGATIVE_PROMPT = OwnField("negative_prompt", "blurry, text, watermark", "what not to show")

FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily(
        "MiniMax Hailuo",
        ("minimax", "hailuo"),
        (OwnField("prompt_optimizer", "false", "let MiniMax rewrite the prompt (on by default)"),),
    ),
    ModelFamily(
        "Veo",
        ("veo",),
        (
            _NEGATIVE_PROMPT,
            OwnField("reference_images", '["https://..."]', "images of a subject or style to keep"),
        ),
    ),
    ModelFamily(
        "Kling",
        ("kling",),
        (
            _NEGATIVE_PROMPT,
            OwnField("cfg_scale", "0.5", "how closely to follow the prompt, 0 to 1"),
        ),
    ),
    ModelFamily(
        "Runway",
        ("runway", "gen3", "gen4"),
        (OwnField("prompt_image", "https://...", "the image to start from"),),
    ),
    ModelFamily(
        "Luma",
        ("luma", "ray"),
        (
            OwnField(
                "keyframes",
                '{"frame0": {"type": "image", "url": "https://..."}}',
                "an image or an earlier generation to start or end on",
            ),
        ),
    ),
)

_PARTS = re.compile(r"[^a-z0-9]+")


def family_of(model: str) -> ModelFamily | None:
    """The family a model id belongs to ("kling-2.1", "models/veo-3.0-generate"), or None."""
    parts = [part for part in _PARTS.split(model.lower()) if part]
    for family in FAMILIES:
        if any(part.startswith(word) for part in parts for word in family.words):
            return family
    return None


def own_fields_of(model: str) -> tuple[OwnField, ...]:
    """The fields ``model`` is known to take besides the declared options (none if unknown)."""
    family = family_of(model)
    return family.fields if family else ()


def model_fields_form(model: str) -> dict[str, Any]:
    """What the widget's More fields box shows for ``model`` (the ``model_fields`` trait)."""
    family = family_of(model)
    return {
        "family": family.name if family else "",
        "fields": [
            {"name": f.name, "example": f.example, "what": f.what}
            for f in (family.fields if family else ())
        ],
    }


def known_fields_summary() -> str:
    """Every family's fields in one line, for a help text: ``Kling: negative_prompt, cfg_scale; ...``."""
    return "; ".join(f"{fam.name}: {', '.join(f.name for f in fam.fields)}" for fam in FAMILIES)
