"""The generation request, declared once: every field a create may carry, with its type, the
widget's default, the values the documented models accept, and how it is labelled and shown.

Everything else follows from ``FIELDS``: the client's checks and body (checks.py), what the
library stores (the body's options), the widget's traits and controls (widget/request_traits.py
and the view's form, forms.py), the view's types (js/request.d.ts, generated), the CLI's flags
and the batch file's keys (cli/option_args.py, batch/lines.py), the history and gallery
cards (``describe``), and the emulator's validation (local/jobs.py). Adding a field is one
``Field(...)`` below plus its tests; tests/test_request_fields.py lists where a field must
reach and fails when one place misses it.

Models come and go (Sora's API is being shut down; gateways route Veo, Kling, Hailuo, ...), so
any well-formed model id is accepted. The documented models (``MODELS``) have their values
checked here; for any other model a field is only type- and bound-checked and the gateway
decides (its 400 names the field).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

MODELS: tuple[str, ...] = ("sora", "sora-1.0-turbo")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
DURATIONS: tuple[int, ...] = (5, 10, 15, 20)
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")
MAX_VARIANTS = 4
MAX_PROMPT_CHARS = 4000
# Models a gateway routes today (suggested by the model box; any other id may be typed).
KNOWN_MODELS: tuple[str, ...] = (*MODELS, "MiniMax-Hailuo-2.3", "veo-3", "kling-2.1")

MAX_MODEL_ID_CHARS = 128
MAX_OPEN_VARIANTS = 16  # n for a model not documented here: a bound against typos only
MAX_OPEN_TEXT = 32  # a text option of such a model: short words like "21:9", "4k"
MAX_SEED = 2**32 - 1  # Veo, Runway and Kling take an unsigned 32-bit seed

DEFAULT_MODEL = "sora"
DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_DURATION = 5
DEFAULT_VARIANTS = 1
DEFAULT_RESOLUTION = "480p"  # what the emulator renders when the request leaves it out

Control = Literal["text", "number", "select"]
# "value": a JSON value sent as it is; "image": an image the client encodes before sending (a
# path, bytes, a PIL image, an array -> a data URL; an http(s) URL as given), kept in the
# library's images/ folder and shown on cards as a thumbnail, never as text.
Kind = Literal["value", "image"]


@dataclass(frozen=True)
class Field:
    """One option of a create request, besides its model and prompt.

    ``default`` is what the widget starts with and sends; None means the field is unset by
    default and then not sent at all (the server's choice). ``documented`` gives, per
    documented model, the values it accepts (a tuple, or a range for an int); for any other
    model the value is checked against its type and ``bounds`` (ints) or ``MAX_OPEN_TEXT``
    (text) only. ``show`` formats a value for a card ("{} s"); ``control`` is the widget's
    input (text and number boxes suggest the documented values, a select offers only them).
    """

    name: str
    type: type[int] | type[str]
    label: str
    help: str
    default: Any = None
    documented: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    bounds: tuple[int, int] | None = None  # an int's range for any model (inclusive)
    show: str = "{}"
    control: Control = "text"
    metavar: str | None = None  # the CLI's placeholder (--duration SECONDS)
    unset_label: str = ""  # a select's entry for "not sent" ("auto (server default)")
    kind: Kind = "value"

    @property
    def is_image(self) -> bool:
        """An image field: encoded before sending, shown as a thumbnail (see ``Kind``)."""
        return self.kind == "image"

    @property
    def flag(self) -> str:
        """The CLI's option: ``--aspect-ratio``."""
        return "--" + self.name.replace("_", "-")

    @property
    def unset(self) -> Any:
        """The widget's value for "not chosen": "" for text (a Unicode trait), None for an int."""
        return "" if self.type is str else None

    @property
    def sent_when_unset(self) -> bool:
        """Whether the widget sends this field without the user choosing it (it has a default)."""
        return self.default is not None

    def documented_values(self) -> list[Any]:
        """Every value some documented model accepts, in order: the form's suggestions."""
        seen: dict[Any, None] = {}
        for values in self.documented.values():
            seen.update(dict.fromkeys(values))
        return list(seen)

    def describe(self, value: Any) -> str:
        """How a card shows the value ("" for one that is unset)."""
        if self.is_image or value is None or value == "":
            return ""
        return self.show.format(value)


def _for_documented(values: Sequence[Any]) -> dict[str, Sequence[Any]]:
    return dict.fromkeys(MODELS, values)


# The options of a create, in the API's order (the seed's positional order after model and
# prompt: aspect_ratio, duration, n). A new field goes here, and nowhere else.
OPTIONS: tuple[Field, ...] = (
    Field(
        "aspect_ratio",
        str,
        "Aspect",
        "Frame shape, W:H",
        default=DEFAULT_ASPECT_RATIO,
        documented=_for_documented(ASPECT_RATIOS),
        metavar="W:H",
    ),
    Field(
        "duration",
        int,
        "Length (s)",
        "Length in whole seconds",
        default=DEFAULT_DURATION,
        documented=_for_documented(DURATIONS),
        bounds=(1, 600),
        show="{} s",
        control="number",
        metavar="SECONDS",
    ),
    Field(
        "n",
        int,
        "Videos",
        "How many videos to make from the prompt",
        default=DEFAULT_VARIANTS,
        documented=_for_documented(range(1, MAX_VARIANTS + 1)),
        bounds=(1, MAX_OPEN_VARIANTS),
        show="×{}",
        control="select",
    ),
    Field(
        "resolution",
        str,
        "Resolution",
        "Output resolution",
        documented=_for_documented(RESOLUTIONS),
        control="select",
        unset_label="auto (server default)",
    ),
    Field(
        "seed",
        int,
        "Seed",
        "The same seed, prompt and options make the same video (Veo, Runway, Kling)",
        bounds=(0, MAX_SEED),
        show="seed {}",
        control="number",
        metavar="INT",
    ),
    Field(
        "first_frame_image",
        str,
        "First frame",
        "An image the video starts from: a path, an http(s) URL or a data:image URL "
        "(in Python also bytes, a PIL image, a numpy array or a run's frame())",
        kind="image",
        metavar="PATH|URL",
    ),
    Field(
        "last_frame_image",
        str,
        "Last frame",
        "An image the video ends on (for models that take one), given as the first frame is",
        kind="image",
        metavar="PATH|URL",
    ),
)

OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in OPTIONS)
# What a person chooses for a run: the prompt, the model and every option.
REQUEST_NAMES: tuple[str, ...] = ("prompt", "model", *OPTION_NAMES)
BY_NAME: dict[str, Field] = {f.name: f for f in OPTIONS}
# The fields sent as JSON values (the widget's form controls today) and the image fields.
VALUE_OPTIONS: tuple[Field, ...] = tuple(f for f in OPTIONS if not f.is_image)
IMAGE_OPTIONS: tuple[Field, ...] = tuple(f for f in OPTIONS if f.is_image)
IMAGE_NAMES: tuple[str, ...] = tuple(f.name for f in IMAGE_OPTIONS)
VALUE_NAMES: tuple[str, ...] = tuple(f.name for f in VALUE_OPTIONS)


def widget_defaults() -> dict[str, Any]:
    """Each value option's starting value in the widget: its default, or its unset value."""
    return {f.name: f.unset if f.default is None else f.default for f in VALUE_OPTIONS}


def describe(model: str | None, options: Mapping[str, Any]) -> list[str]:
    """A request's model and options as a card shows them: ["sora", "16:9", "5 s", "seed 7"].

    The number of videos only when more than one; unset fields left out.
    """
    parts = [model] if model else []
    for option in OPTIONS:
        value = options.get(option.name)
        if option.name == "n" and (value is None or value == 1):
            continue
        text = option.describe(value)
        if text:
            parts.append(text)
    return parts


def frame_size(
    aspect_ratio: str = DEFAULT_ASPECT_RATIO, resolution: str = DEFAULT_RESOLUTION
) -> tuple[int, int]:
    """(width, height) in pixels: the short side is the resolution, both sides even."""
    short = int(resolution.rstrip("pP"))
    wide, tall = (int(x) for x in aspect_ratio.split(":"))
    long_side = round(short * max(wide, tall) / min(wide, tall) / 2) * 2
    return (long_side, short) if wide >= tall else (short, long_side)


# The options the seed's calls take by position after model and prompt:
# create(model, prompt, aspect_ratio, duration, n). Every other option is keyword-only.
POSITIONAL_OPTIONS: tuple[str, ...] = ("aspect_ratio", "duration", "n")


def gather_options(positional: tuple[Any, ...], keywords: Mapping[str, Any]) -> dict[str, Any]:
    """A call's options by name: ``positional`` in ``POSITIONAL_OPTIONS`` order, then keywords.

    TypeError (as Python's own calls raise) for too many positional values or one given twice.
    """
    if len(positional) > len(POSITIONAL_OPTIONS):
        raise TypeError(
            f"at most {2 + len(POSITIONAL_OPTIONS)} positional arguments (model, prompt, "
            f"{', '.join(POSITIONAL_OPTIONS)}); give the other options by name"
        )
    options = dict(zip(POSITIONAL_OPTIONS, positional, strict=False))
    for name, value in keywords.items():
        if name in options:
            raise TypeError(f"got multiple values for argument {name!r}")
        options[name] = value
    return options
