"""The generation options the API accepts, and their validation.

One source of truth: the client checks a request here before sending it, the widget
offers exactly these choices, and the local emulator refuses what the API would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import InvalidRequestError

MODELS: tuple[str, ...] = ("sora", "sora-1.0-turbo")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
DURATIONS: tuple[int, ...] = (5, 10, 15, 20)
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")
MAX_VARIANTS = 4
MAX_PROMPT_CHARS = 4000

DEFAULT_MODEL = "sora"
DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_DURATION = 5
DEFAULT_VARIANTS = 1
DEFAULT_RESOLUTION = "480p"

_SHORT_SIDE = {"480p": 480, "720p": 720, "1080p": 1080}


def validate_generation_request(
    *,
    model: Any,
    prompt: Any,
    aspect_ratio: Any = None,
    duration: Any = None,
    n: Any = None,
    resolution: Any = None,
    extra_models: Iterable[str] = (),
) -> dict[str, Any]:
    """Check every option and return the JSON body to send (options left as None are omitted).

    Raises InvalidRequestError naming the field and the allowed values.
    ``extra_models`` admits models the gateway added after this release.
    """
    models = MODELS + tuple(extra_models)
    if not isinstance(model, str) or model not in models:
        raise InvalidRequestError("model", model, models)
    body: dict[str, Any] = {"model": model, "prompt": validate_prompt(prompt)}
    if aspect_ratio is not None:
        if not isinstance(aspect_ratio, str) or aspect_ratio not in ASPECT_RATIOS:
            raise InvalidRequestError("aspect_ratio", aspect_ratio, ASPECT_RATIOS)
        body["aspect_ratio"] = aspect_ratio
    if duration is not None:
        if not _is_int(duration) or duration not in DURATIONS:
            raise InvalidRequestError(
                "duration", duration, "one of 5, 10, 15, 20 (whole seconds, an int)"
            )
        body["duration"] = duration
    if n is not None:
        if not _is_int(n) or not 1 <= n <= MAX_VARIANTS:
            raise InvalidRequestError("n", n, f"an int from 1 to {MAX_VARIANTS}")
        body["n"] = n
    if resolution is not None:
        if not isinstance(resolution, str) or resolution not in RESOLUTIONS:
            raise InvalidRequestError("resolution", resolution, RESOLUTIONS)
        body["resolution"] = resolution
    return body


def form_choices(extra_models: Iterable[str] = ()) -> dict[str, Any]:
    """Every value a form may offer (the widget's ``choices``), ``extra_models`` included."""
    return {
        "models": list(MODELS) + [m for m in extra_models if m not in MODELS],
        "aspect_ratios": list(ASPECT_RATIOS),
        "durations": list(DURATIONS),
        "resolutions": list(RESOLUTIONS),
        "max_variants": MAX_VARIANTS,
        "max_prompt_chars": MAX_PROMPT_CHARS,
    }


def validate_prompt(prompt: Any) -> str:
    allowed = f"a non-blank string of at most {MAX_PROMPT_CHARS} characters"
    if not isinstance(prompt, str):
        raise InvalidRequestError(
            "prompt",
            prompt,
            allowed,
            reason=f"prompt must be a string, not {type(prompt).__name__}",
        )
    if not prompt.strip():
        raise InvalidRequestError("prompt", prompt, allowed, reason="prompt is empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            "prompt", prompt, allowed, reason=f"prompt is {len(prompt)} characters long"
        )
    if "\x00" in prompt:
        raise InvalidRequestError(
            "prompt", prompt, allowed, reason="prompt contains a NUL character"
        )
    return prompt


def frame_size(
    aspect_ratio: str = DEFAULT_ASPECT_RATIO, resolution: str = DEFAULT_RESOLUTION
) -> tuple[int, int]:
    """(width, height) in pixels: the short side is the resolution, both sides even."""
    short = _SHORT_SIDE[resolution]
    wide, tall = (int(x) for x in aspect_ratio.split(":"))
    long_side = round(short * max(wide, tall) / min(wide, tall) / 2) * 2
    return (long_side, short) if wide >= tall else (short, long_side)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
