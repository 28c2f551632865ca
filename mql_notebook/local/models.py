"""The models the emulator serves, each with the options it supports, and the retired ones.

A gateway routes whatever video models exist now, under names the API page never listed,
with options that differ from Sora's; models get retired (``410 model_retired``). The
emulator's catalogue lets the client be tested against all of that: an unknown model is
``404 model_not_found``, a retired one ``410 model_retired``, and an option a model does not
support ``400`` naming the option (``param``) and the values it does support.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from ..errors import InvalidRequestError
from ..request import (
    ASPECT_RATIOS,
    BY_NAME,
    DURATIONS,
    MAX_PROMPT_CHARS,
    MAX_VARIANTS,
    MODELS,
    OPTIONS,
    RESOLUTIONS,
    check_option,
    validate_model_id,
    validate_prompt,
)
from .images import check_shape, read_image
from .resolution import renderable


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts; the first value of each is its default."""

    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS
    durations: tuple[int, ...] = DURATIONS
    resolutions: tuple[str, ...] = RESOLUTIONS
    max_variants: int = MAX_VARIANTS
    default_resolution: str = "480p"
    task_route: bool = False  # also served by the MiniMax task route (minimax_app.py)

    def allowed(self, option: str) -> Sequence[Any] | None:
        """The values this model takes for a declared option, or None for a field it leaves open."""
        listed: dict[str, Sequence[Any]] = {
            "aspect_ratio": self.aspect_ratios,
            "duration": self.durations,
            "resolution": self.resolutions,
            "n": range(1, self.max_variants + 1),
        }
        return listed.get(option)

    def __post_init__(self) -> None:
        # The emulator renders every video: only sizes and shapes it can draw.
        if not self.aspect_ratios or not self.durations or not self.resolutions:
            raise ValueError("a model needs at least one aspect ratio, duration and resolution")
        for ratio in self.aspect_ratios:
            wide, _, tall = ratio.partition(":")
            if not (wide.isdigit() and tall.isdigit() and int(wide) > 0 and int(tall) > 0):
                raise ValueError(f"aspect ratio {ratio!r} is not of the form W:H")
        unknown = [r for r in self.resolutions if not renderable(r)]
        if unknown:
            raise ValueError(
                f"the emulator renders only <short side>p (768P, 1080p), not {unknown}"
            )
        if self.default_resolution not in self.resolutions:
            object.__setattr__(self, "default_resolution", self.resolutions[0])
        if any(not isinstance(d, int) or d < 1 for d in self.durations):
            raise ValueError("durations are whole seconds > 0")
        if self.max_variants < 1:
            raise ValueError("max_variants must be at least 1")


SORA = ModelSpec()
# Present-day names with options of their own (roughly what their providers document).
DEFAULT_CATALOGUE: dict[str, ModelSpec] = {
    **dict.fromkeys(MODELS, SORA),
    "veo-3": ModelSpec(
        aspect_ratios=("16:9", "9:16"),
        durations=(8,),
        resolutions=("720p", "1080p"),
        max_variants=2,
    ),
    "kling-2.1": ModelSpec(
        aspect_ratios=("16:9", "9:16", "1:1"),
        durations=(5, 10),
        resolutions=("720p", "1080p"),
        max_variants=1,
    ),
    # MiniMax's Hailuo: on /v1/videos/generations and on the MiniMax task route (capital P).
    "MiniMax-Hailuo-2.3": ModelSpec(
        aspect_ratios=("16:9",),
        durations=(6, 10),
        resolutions=("768P", "1080P"),
        max_variants=1,
        task_route=True,
    ),
}

ModelsLike = Iterable[str] | Mapping[str, ModelSpec | Mapping[str, Any] | None]


class Catalogue:
    """The served models (name -> ModelSpec) and the retired names."""

    def __init__(
        self,
        models: ModelsLike | None = None,
        retired: Iterable[str] = (),
        *,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    ):
        self.models = _resolve(DEFAULT_CATALOGUE if models is None else models)
        self.retired = tuple(dict.fromkeys(validate_model_id(m) for m in _names(retired)))
        self.max_image_bytes = max_image_bytes  # a first or last frame larger answers 400

    def validate(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The request's options with the model's defaults filled in.

        Raises InvalidRequestError (a 400), ModelRetired (410) or ModelNotFound (404).
        """
        if "model" not in body:
            raise InvalidRequestError("model", None, self._served(), reason="model is required")
        model = validate_model_id(body["model"])
        if model in self.retired:
            raise ModelRetired(model, self)
        spec = self.models.get(model)
        if spec is None:
            raise ModelNotFound(model, self)
        if "prompt" not in body:
            needed = f"a non-blank string of at most {MAX_PROMPT_CHARS} characters"
            raise InvalidRequestError("prompt", None, needed, reason="prompt is required")
        checked: dict[str, Any] = {"model": model, "prompt": validate_prompt(body["prompt"])}
        # Every declared option: the model's values (its first, or its default, when unset),
        # or for a field the model spec does not list (seed) the client's own check.
        for option in OPTIONS:
            allowed = spec.allowed(option.name)
            value = body.get(option.name)
            if allowed is not None:
                default = spec.default_resolution if option.name == "resolution" else None
                checked[option.name] = _pick(option.name, value, allowed, model, default=default)
            elif value is not None and option.is_image:  # a local path is refused here
                image = read_image(
                    option.name, check_option(option, model, value), self.max_image_bytes
                )
                check_shape(option.name, image, checked["aspect_ratio"])
                checked[option.name] = image
            elif value is not None:
                checked[option.name] = check_option(option, model, value)
        # A model's own fields (prompt_optimizer, ...): kept as sent, echoed by the job.
        checked.update({k: v for k, v in body.items() if k not in checked and k not in BY_NAME})
        return checked

    def served(self) -> list[str]:
        return [m for m in self.models if m not in self.retired]

    def _served(self) -> str:
        return "one of the served models: " + ", ".join(repr(m) for m in self.served())


class ModelUnavailable(Exception):
    status = 404
    code = "model_not_found"

    def __init__(self, model: str, catalogue: Catalogue):
        self.model = model
        served = ", ".join(catalogue.served()) or "none"
        super().__init__(f"{self._what(model)} (it serves {served}{self._hint(model)})")

    def _what(self, model: str) -> str:
        return f"the local emulator does not serve model {model!r}"

    def _hint(self, model: str) -> str:
        # One sentence: what is served, and how to add a model (model_args.py's two ways).
        return f"; add it with MQL_LOCAL_MODELS={model} or `mql-notebook serve --model {model}`"


class ModelNotFound(ModelUnavailable):
    pass


class ModelRetired(ModelUnavailable):
    status = 410
    code = "model_retired"

    def _what(self, model: str) -> str:
        return f"model {model!r} has been retired and is no longer served"

    def _hint(self, model: str) -> str:
        return ""


def _pick(
    field: str, value: Any, allowed: Sequence[Any], model: str, *, default: Any = None
) -> Any:
    if value is None:
        return allowed[0] if default is None else default
    ok = type(value) is type(allowed[0]) and value in allowed  # no True for 1, no 5.0 for 5
    if not ok:
        if isinstance(allowed, range):
            what = f"an int from {allowed.start} to {allowed.stop - 1}"
        else:
            values = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in allowed)
            note = " (whole seconds, an int)" if field == "duration" else ""
            what = f"one of {values}{note}"
        raise InvalidRequestError(field, value, f"{what} for model {model!r}")
    return value


def _names(values: Iterable[str]) -> list[str]:
    if isinstance(values, str):
        return [values]
    return list(values)


def _resolve(models: ModelsLike) -> dict[str, ModelSpec]:
    if isinstance(models, str):
        models = [models]
    items = (
        list(models.items()) if isinstance(models, Mapping) else [(name, None) for name in models]
    )
    out: dict[str, ModelSpec] = {}
    for name, spec in items:
        validate_model_id(name)
        if spec is None:
            spec = DEFAULT_CATALOGUE.get(name, SORA)  # a bare new name takes Sora's options
        elif isinstance(spec, Mapping):
            fields: dict[str, Any] = {
                str(k): tuple(v) if isinstance(v, list) else v for k, v in spec.items()
            }
            spec = ModelSpec(**fields)
        elif not isinstance(spec, ModelSpec):
            raise TypeError(f"model {name!r}: a ModelSpec, a dict of its fields or None")
        out[name] = spec
    if not out:
        raise ValueError("the emulator needs at least one model to serve")
    return out
