"""The generation options on the command line (``generate`` and ``batch``), one flag per field
of the request's declaration (``mql_notebook.request.OPTIONS``): ``--aspect-ratio``,
``--duration``, ``--n``, ``--resolution``, ``--seed``, ... No argparse ``choices``, since models
come and go with values of their own (veo-3: 8 s): the client checks a documented model's
values before sending, as in Python, and sends another model's to the gateway, whose 400 names
the field; the help lists the documented values."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ..client.settings import resolve_model
from ..errors import ConfigurationError
from ..media.images import FITS
from ..request import BY_NAME, MODELS, OPTIONS, Field
from ..request.model_fields import known_fields_summary


def documented(spec: Field) -> str:
    """Help text: the documented models' values; another model's are its gateway's to decide."""
    values = spec.documented_values()
    if not values:
        return f"{spec.help} (not sent unless given)"
    shown = (
        f"{values[0]} to {values[-1]}"
        if isinstance(spec.documented.get(MODELS[0]), range)
        else ", ".join(str(v) for v in values)
    )
    return (
        f"{spec.help}: {shown} for {' and '.join(MODELS)}; another model's, as its gateway allows"
    )


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    """``--model`` and one flag per declared option (each None unless given)."""
    parser.add_argument(
        "--model",
        default=None,
        help=f"model id (default: $MQL_MODEL, else {MODELS[0]}): documented "
        f"{', '.join(MODELS)}, or any the gateway routes (e.g. veo-3)",
    )
    for spec in OPTIONS:  # an image field takes a path or URL: the client encodes a path
        parser.add_argument(
            spec.flag, dest=spec.name, type=spec.type, metavar=spec.metavar, help=documented(spec)
        )
    parser.add_argument(
        "--fit",
        choices=FITS,
        default=None,
        help="reshape --first-frame-image / --last-frame-image to the video's aspect: crop "
        "about the centre, or pad with black bars (not sent; default: send them as they are)",
    )
    parser.add_argument(
        "--field",
        dest="fields",
        action="append",
        default=[],
        type=field_arg,
        metavar="NAME=VALUE",
        help="a model's own field, sent as given (repeatable; VALUE is read as JSON, else as "
        f"text): --field prompt_optimizer=false. Known: {known_fields_summary()}",
    )


def field_arg(text: str) -> tuple[str, Any]:
    """``NAME=VALUE``: the value as JSON (false, 3, [1,2]) when it parses, else as text."""
    name, equals, raw = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, by name: each declared one (None where not
    given), then each ``--field``; a field given twice is the last one."""
    options: dict[str, Any] = {spec.name: getattr(args, spec.name) for spec in OPTIONS}
    for name, value in args.fields:
        if options.get(name) is not None and name in BY_NAME:
            raise ConfigurationError(f"--field {name}=... repeats {BY_NAME[name].flag}: give one")
        options[name] = value
    if getattr(args, "fit", None) is not None:  # a create keyword, never sent
        options["fit"] = args.fit
    return options


def model_from_args(args: argparse.Namespace) -> str:
    """``--model``, else ``MQL_MODEL``, else the default model."""
    return resolve_model(args.model, os.environ)[0]
