"""The generation options on the command line (``generate`` and ``batch``), one flag per field
of the request's declaration (``mql_notebook.request.OPTIONS``): ``--aspect-ratio``,
``--duration``, ``--n``, ``--resolution``, ``--seed``, ... No argparse ``choices``, since models
come and go with values of their own (veo-3: 8 s): the client checks a documented model's
values before sending, as in Python, and sends another model's to the gateway, whose 400 names
the field; the help lists the documented values."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..client.settings import resolve_model
from ..request import MODELS, OPTIONS, Field


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
    for spec in OPTIONS:
        parser.add_argument(
            spec.flag, dest=spec.name, type=spec.type, metavar=spec.metavar, help=documented(spec)
        )


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The declared options given on the command line, by name (None where not given)."""
    return {spec.name: getattr(args, spec.name) for spec in OPTIONS}


def model_from_args(args: argparse.Namespace) -> str:
    """``--model``, else ``MQL_MODEL``, else the default model."""
    return resolve_model(args.model, os.environ)[0]
