"""The generation options on the command line (``generate`` and ``batch``): no argparse
``choices``, since models come and go with values of their own (veo-3: 8 s). The client checks
a documented model's values before sending (``options.validate_generation_request``, as in
Python) and sends another model's to the gateway, whose 400 names the field; the help lists
the documented values."""

from __future__ import annotations

import argparse

from ..options import ASPECT_RATIOS, DURATIONS, MAX_VARIANTS, MODELS, RESOLUTIONS


def documented(what: str, values: str) -> str:
    """Help text: the documented models' values; another model's are its gateway's to decide."""
    return f"{what}: {values} for {' and '.join(MODELS)}; another model's, as its gateway allows"


def add_generation_options(parser: argparse.ArgumentParser, n_what: str) -> None:
    """``--aspect-ratio``, ``--duration``, ``--n`` and ``--resolution`` (each None unless given)."""
    ratios, durations = ", ".join(ASPECT_RATIOS), ", ".join(str(d) for d in DURATIONS)
    parser.add_argument("--aspect-ratio", metavar="W:H", help=documented("aspect ratio", ratios))
    parser.add_argument(
        "--duration", type=int, metavar="SECONDS", help=documented("seconds", durations)
    )
    parser.add_argument("--n", type=int, help=documented(n_what, f"1 to {MAX_VARIANTS}"))
    parser.add_argument("--resolution", help=documented("resolution", ", ".join(RESOLUTIONS)))
