"""The generation options the API accepts, and their validation.

One source of truth: the client checks a request here before sending it, the widget
offers these choices, and the local emulator refuses what the API would refuse.

Models come and go (Sora's API is being shut down; gateways route Veo, Kling, ...), so any
well-formed model id is accepted. The documented models (``MODELS``) keep their full local
checks; for any other model the options are only type-checked and the gateway decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import InvalidRequestError

MODELS: tuple[str, ...] = ("sora", "sora-1.0-turbo")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
DURATIONS: tuple[int, ...] = (5, 10, 15, 20)
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")
MAX_VARIANTS = 4
MAX_PROMPT_CHARS = 4000

# Any other model: a model id as gateways spell them ("veo-3", "models/veo-3.0-generate",
# "fal-ai/kling-video/v2.1", "owner/model:version", "@cf/..."), and options of the right type.
MAX_MODEL_ID_CHARS = 128
_MODEL_ID = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._:/@-]*")
MAX_OPEN_VARIANTS = 16  # n for a model not documented here: a bound against typos only
_MAX_OPEN_TEXT = 32  # aspect_ratio and resolution of such a model: short words like "21:9", "4k"

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

    Raises InvalidRequestError naming the field and the allowed values. A documented model
    (``MODELS``) gets every check; any other well-formed model id gets type checks only
    (the gateway answers 400 for what it does not support). ``extra_models`` is kept for
    compatibility and changes nothing here: such ids are suggestions for the widget's model box.
    """
    del extra_models  # any well-formed id is accepted; see the docstring
    body: dict[str, Any] = {"model": validate_model_id(model), "prompt": validate_prompt(prompt)}
    if model in MODELS:
        body.update(_documented_options(aspect_ratio, duration, n, resolution))
    else:
        body.update(_open_options(aspect_ratio, duration, n, resolution))
    return body


def validate_model_id(model: Any) -> str:
    """A well-formed model id (documented or not), or InvalidRequestError."""
    allowed = (
        f"a model id of 1 to {MAX_MODEL_ID_CHARS} letters, digits or . _ - / : @ "
        f"(documented: {', '.join(repr(m) for m in MODELS)}; the gateway may route others)"
    )
    if not isinstance(model, str):
        reason = f"model must be a string, not {type(model).__name__}"
        raise InvalidRequestError("model", model, allowed, reason=None if model is None else reason)
    if not model:
        raise InvalidRequestError("model", model, allowed, reason="model is empty")
    if len(model) > MAX_MODEL_ID_CHARS:
        raise InvalidRequestError(
            "model", model, allowed, reason=f"model is {len(model)} characters long"
        )
    if not _MODEL_ID.fullmatch(model):
        raise InvalidRequestError(
            "model", model, allowed, reason=f"model={model!r} is not a well-formed model id"
        )
    return model


def _documented_options(
    aspect_ratio: Any, duration: Any, n: Any, resolution: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {}
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


def _open_options(aspect_ratio: Any, duration: Any, n: Any, resolution: Any) -> dict[str, Any]:
    """Options of a model this package does not document: their types only."""
    body: dict[str, Any] = {}
    for field, value, example in (
        ("aspect_ratio", aspect_ratio, "16:9"),
        ("resolution", resolution, "720p"),
    ):
        if value is not None:
            if not isinstance(value, str) or not _is_short_word(value):
                raise InvalidRequestError(
                    field,
                    value,
                    f"a short string such as {example!r} "
                    "(the gateway decides which values this model supports)",
                )
            body[field] = value
    if duration is not None:
        if not _is_int(duration) or duration < 1:
            raise InvalidRequestError(
                "duration",
                duration,
                "an int > 0 (whole seconds; the gateway decides which this model supports)",
            )
        body["duration"] = duration
    if n is not None:
        if not _is_int(n) or not 1 <= n <= MAX_OPEN_VARIANTS:
            raise InvalidRequestError("n", n, f"an int from 1 to {MAX_OPEN_VARIANTS}")
        body["n"] = n
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


def _is_short_word(value: str) -> bool:
    return 0 < len(value) <= _MAX_OPEN_TEXT and value.isprintable() and not value.isspace()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
