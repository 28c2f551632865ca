"""The checks of a generation request, from its declaration (fields.py): the client runs them
before sending, the widget before Generate, the CLI before a batch starts, and the emulator
refuses what they refuse. Each failure is an ``InvalidRequestError`` naming the field and
what is allowed, raised before any request (and any money) is spent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InvalidRequestError
from ..media.images import DATA_URL, EncodedImage
from .fields import BY_NAME, MAX_MODEL_ID_CHARS, MAX_OPEN_TEXT, MAX_PROMPT_CHARS, MODELS, Field
from .model_fields import family_of

# A model id as gateways spell them ("veo-3", "models/veo-3.0-generate",
# "fal-ai/kling-video/v2.1", "owner/model:version", "@cf/...").
_MODEL_ID = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._:/@-]*")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
MAX_URL_CHARS = 4096
IMAGE_ALLOWED = (
    "an http(s) URL or a data:image/...;base64 URL (the client encodes a path, bytes, a PIL "
    "image, a numpy array or a frame into one; a local path cannot be sent as it is)"
)


def validate_generation_request(*, model: Any, prompt: Any, **options: Any) -> dict[str, Any]:
    """Check the model, the prompt and every option; return the JSON body to send.

    Options left as None are not sent. A documented model (``MODELS``) gets every check; any
    other well-formed model id gets type and bound checks only (the gateway answers 400 for
    what it does not support). An option this package does not know is refused, with the
    declared name it is closest to.
    """
    body: dict[str, Any] = {"model": validate_model_id(model), "prompt": validate_prompt(prompt)}
    body.update(validate_options(body["model"], options))
    return body


def validate_options(model: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options to send (None dropped): the declared ones checked for ``model``, in
    declaration order, then any model's own fields as given (``prompt_optimizer=False``).

    A name one or two letters from a declared option is refused as a typo, with the name; a
    model's own field must be a JSON value (it goes into the body as it is).
    """
    checked: dict[str, Any] = {}
    for name, spec in BY_NAME.items():
        value = options.get(name)
        if value is not None:
            checked[name] = check_option(spec, model, value)
    for name, value in options.items():
        if name not in BY_NAME and value is not None:
            checked[check_field_name(name, model)] = check_json_value(name, value)
    return checked


def check_field_name(name: Any, model: str | None = None) -> str:
    """A model's own field name, or InvalidRequestError: malformed, or a typo of a declared
    option or of a field ``model`` is known to take (model_fields.py)."""
    allowed = "a field name of letters, digits and _ (a declared option or the model's own)"
    if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
        raise InvalidRequestError(str(name), None, allowed, reason=f"{name!r} is not a field name")
    if name in ("model", "prompt"):
        raise InvalidRequestError(name, None, allowed, reason=f"{name} is given on its own")
    guess = suggest_option(name)
    if guess is not None:
        known = ", ".join(BY_NAME)
        raise InvalidRequestError(
            name,
            None,
            f"a declared option ({known}) or a model's own field",
            reason=f"unknown option {name!r} (did you mean {guess}?)",
        )
    family = family_of(model) if model else None
    if family is not None:
        own = [f.name for f in family.fields]
        guess = _closest(name, own) if name not in own else None
        if guess is not None:
            raise InvalidRequestError(
                name,
                None,
                f"a declared option or a model's own field ({family.name}'s: {', '.join(own)})",
                reason=f"unknown field {name!r} (did you mean {guess}, one of {family.name}'s?)",
            )
    return name


def check_json_value(name: str, value: Any) -> Any:
    """``value`` if it can go into a JSON body as it is, else InvalidRequestError naming ``name``."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidRequestError(
            name,
            value,
            "a JSON value: a string, number, true/false, null, or a list or dict of them",
            reason=f"{name}={type(value).__name__} cannot be sent as JSON",
        ) from None
    return value


def check_option(spec: Field, model: str, value: Any) -> Any:
    """``value`` if ``model`` may take it for ``spec``, else InvalidRequestError."""
    if spec.is_image:
        return check_image(spec.name, value)
    allowed = spec.documented.get(model)
    if spec.type is int:
        if not _is_int(value) or (allowed is not None and value not in allowed):
            raise InvalidRequestError(spec.name, value, _int_allowed(spec, allowed))
        if allowed is None and spec.bounds and not spec.bounds[0] <= value <= spec.bounds[1]:
            raise InvalidRequestError(spec.name, value, _int_allowed(spec, None))
        return value
    if allowed is not None:
        if not isinstance(value, str) or value not in allowed:
            raise InvalidRequestError(spec.name, value, tuple(allowed))
        return value
    if not isinstance(value, str) or not _is_short_word(value):
        raise InvalidRequestError(
            spec.name,
            value,
            f"a short string such as {_example(spec)!r} "
            "(the gateway decides which values this model supports)",
        )
    return value


def check_image(name: str, value: Any) -> Any:
    """An image field's value as it may be sent: an ``EncodedImage`` (the client's), an http(s)
    URL, or a well-formed ``data:image/...;base64,`` URL; anything else (a local path, say) is
    refused, as the real API refuses it."""
    if isinstance(value, EncodedImage):
        return value
    if not isinstance(value, str):
        raise InvalidRequestError(
            name, value, IMAGE_ALLOWED, reason=f"{name} cannot be sent as a {type(value).__name__}"
        )
    if value[:5].lower() == "data:":
        match = DATA_URL.match(value)
        rest = value[match.end() :] if match else ""
        if match is None or not rest or len(rest) % 4 or not _BASE64.fullmatch(rest):
            raise InvalidRequestError(
                name, value, IMAGE_ALLOWED, reason=f"{name} is not a well-formed data:image URL"
            )
        return value
    if len(value) > MAX_URL_CHARS or not _HTTP_URL.fullmatch(value):
        raise InvalidRequestError(
            name, value, IMAGE_ALLOWED, reason=f"{name}={value[:80]!r} is not an http(s) URL"
        )
    return value


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


def suggest_option(name: str) -> str | None:
    """The declared option a mistyped name is one or two letters from ("aspect-ratio", "sed")."""
    return _closest(name, BY_NAME)


def _closest(name: str, known: Iterable[str]) -> str | None:
    """The name in ``known`` that ``name`` is a typo of, or None.

    Two edits for names of six letters or more, one for three to five, none for shorter ones
    (every two-letter word is two edits from "n"): a model's own field is not a typo.
    """
    wanted = name.replace("-", "_").lower()
    best: tuple[int, str] | None = None
    for declared in known:
        allowed = 2 if len(declared) >= 6 else 1 if len(declared) >= 3 else 0
        distance = _edit_distance(wanted, declared)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, declared)
    return best[1] if best else None


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, with a swap of two neighbours counted as one edit."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb)))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _example(spec: Field) -> str:
    values = spec.documented_values()
    return str(values[len(values) // 2]) if values else "auto"


def _int_allowed(spec: Field, allowed: Sequence[Any] | None) -> str:
    if isinstance(allowed, range):
        return f"an int from {allowed.start} to {allowed.stop - 1}"
    if allowed is not None:
        values = ", ".join(str(v) for v in allowed)
        unit = " (whole seconds, an int)" if spec.name == "duration" else " (an int)"
        return f"one of {values}{unit}"
    if spec.bounds is None:
        return "an int"
    low, high = spec.bounds
    where = "the gateway decides which this model supports"
    return f"an int from {low} to {high} ({where})"


def _is_short_word(value: str) -> bool:
    return 0 < len(value) <= MAX_OPEN_TEXT and value.isprintable() and not value.isspace()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
