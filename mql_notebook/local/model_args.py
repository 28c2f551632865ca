"""Models added to the emulator from a command line or the environment, in one syntax:
``ID[:DURATIONS[:RESOLUTIONS]]``, e.g. ``MiniMax-Hailuo-02:6,10:768P,1080P``.

``mql-notebook serve --model SPEC`` (repeatable) and ``MQL_LOCAL_MODELS`` (specs separated by
spaces or ``;``, read by the background emulator of the command line and by ``base_url="local"``
in Python) add these to the default catalogue. What a spec leaves out is Sora's (aspect ratios
16:9, 9:16 and 1:1; durations 5, 10, 15, 20). A model id may itself contain ``:``: only trailing
parts that read as durations (whole seconds) and resolutions (``<short side>p``) are taken as such.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..request import validate_model_id
from .models import DEFAULT_CATALOGUE, SORA, ModelSpec
from .resolution import MAX_SHORT_SIDE, MIN_SHORT_SIDE, renderable

ENV_MODELS = "MQL_LOCAL_MODELS"
SYNTAX = "ID[:DURATIONS[:RESOLUTIONS]]"
EXAMPLE = "MiniMax-Hailuo-02:6,10:768P,1080P"
_SEPARATORS = re.compile(r"[\s;]+")
_RESOLUTION_LIKE = re.compile(r"[0-9]+[pPkK]")  # meant as a resolution, whether renderable or not


def parse_model_spec(text: str) -> tuple[str, ModelSpec]:
    """``"hailuo:6,10:768P"`` -> ``("hailuo", ModelSpec(durations=(6, 10), ...))``; ValueError
    saying what is wrong otherwise."""
    text = text.strip()
    parts = text.split(":")
    for item in parts[-1].split(","):
        if _RESOLUTION_LIKE.fullmatch(item.strip()) and not renderable(item.strip()):
            raise ValueError(
                f"{text!r}: the emulator renders resolutions <short side>p from "
                f"{MIN_SHORT_SIDE} to {MAX_SHORT_SIDE} (768P, 1080P), not {item.strip()!r}; "
                f"the syntax is {SYNTAX}"
            )
    durations: tuple[int, ...] = SORA.durations
    resolutions: tuple[str, ...] = SORA.resolutions
    if len(parts) >= 3 and _durations(parts[-2]) is not None and _resolutions(parts[-1]):
        durations = _durations(parts[-2]) or SORA.durations  # "ID::768P": Sora's durations
        resolutions = _resolutions(parts[-1]) or resolutions
        parts = parts[:-2]
    elif len(parts) >= 2 and _durations(parts[-1]):
        durations = _durations(parts[-1]) or durations
        parts = parts[:-1]
    elif len(parts) >= 2 and _resolutions(parts[-1]):  # "ID:768P": resolutions alone
        resolutions = _resolutions(parts[-1]) or resolutions
        parts = parts[:-1]
    model = ":".join(parts)
    try:
        validate_model_id(model)
    except ValueError:
        raise ValueError(
            f"{text!r} is not {SYNTAX} (e.g. {EXAMPLE}): {model!r} is not a model id "
            "(letters, digits and . _ - / : @); durations are whole seconds (6,10), "
            "resolutions <short side>p (768P,1080P)"
        ) from None
    return model, ModelSpec(durations=durations, resolutions=resolutions)


def parse_model_specs(text: str) -> dict[str, ModelSpec]:
    """Several specs separated by spaces or ``;`` (the ``MQL_LOCAL_MODELS`` form); later win."""
    return dict(parse_model_spec(part) for part in _SEPARATORS.split(text) if part)


def catalogue_with(added: Mapping[str, ModelSpec]) -> dict[str, ModelSpec]:
    """The default catalogue with ``added`` models (an added name replaces a default one)."""
    return {**DEFAULT_CATALOGUE, **added}


def models_from_environ(environ: Mapping[str, str]) -> dict[str, ModelSpec] | None:
    """The catalogue ``MQL_LOCAL_MODELS`` asks for, or None (the default) when it is unset.

    Raises ValueError naming the variable when a spec is malformed.
    """
    text = environ.get(ENV_MODELS, "")
    if not text.strip():
        return None
    try:
        return catalogue_with(parse_model_specs(text))
    except ValueError as err:
        raise ValueError(f"{ENV_MODELS}: {err}") from None


def spec_to_json(spec: ModelSpec) -> dict[str, object]:
    """A spec as ``POST /_emulator/settings {"add_models": {id: ...}}`` takes it."""
    return {
        "aspect_ratios": list(spec.aspect_ratios),
        "durations": list(spec.durations),
        "resolutions": list(spec.resolutions),
        "max_variants": spec.max_variants,
    }


def _durations(text: str) -> tuple[int, ...] | None:
    """``"6,10"`` -> ``(6, 10)``; ``""`` -> ``()`` (left out); None when it is not durations."""
    items = [item.strip() for item in text.split(",")] if text.strip() else []
    if not all(item.isdigit() and int(item) > 0 for item in items):
        return None
    return tuple(dict.fromkeys(int(item) for item in items))


def _resolutions(text: str) -> tuple[str, ...] | None:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items or not all(renderable(item) for item in items):
        return None
    return tuple(dict.fromkeys(items))


def served_models(
    added: list[tuple[str, ModelSpec]], environ: Mapping[str, str]
) -> dict[str, ModelSpec] | None:
    """What ``serve`` serves: the default catalogue, ``MQL_LOCAL_MODELS``'s, then ``--model``'s."""
    from_env = models_from_environ(environ)
    if from_env is None and not added:
        return None
    return {**(from_env or DEFAULT_CATALOGUE), **dict(added)}
