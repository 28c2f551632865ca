"""``mql-notebook serve``'s flags for the emulator's limits, lags and refusals (``limits``)."""

from __future__ import annotations

import argparse

from .limits import DEFAULT_CONCURRENCY_RETRY_AFTER, FINAL_ANSWERS, Limits, parse_moderation


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits, lags and refusals of real gateways")
    group.add_argument(
        "--concurrency-cap",
        type=_positive_int,
        default=None,
        metavar="N",
        help="at most N jobs of one key at once; a create beyond it answers 429 "
        "concurrency_limit_exceeded with Retry-After (default: no cap)",
    )
    group.add_argument(
        "--concurrency-retry-after",
        type=seconds_arg,
        default=DEFAULT_CONCURRENCY_RETRY_AFTER,
        metavar="SECONDS",
        help="the Retry-After of that 429 (default: %(default)s)",
    )
    group.add_argument(
        "--content-lag",
        type=seconds_arg,
        default=0.0,
        metavar="SECONDS",
        help="content answers 404 for this long after its job completed (default: 0)",
    )
    group.add_argument(
        "--final-answer",
        choices=sorted(FINAL_ANSWERS),
        default=None,
        help="every create is refused for money: arrears (429 1101), depleted (429 1102), "
        "spend_cap (429), insufficient_balance (402), payment_required (402)",
    )
    group.add_argument(
        "--moderate",
        action="append",
        default=[],
        type=_moderation,
        metavar="WORD[:input|:output]",
        help="a prompt with WORD is refused by moderation: at the create (input, the default) "
        "or after a full render (output); repeatable. [[refuse_input]] and [[refuse_output]] "
        "always are",
    )


def limits_from_args(args: argparse.Namespace) -> Limits:
    return Limits(
        concurrency=args.concurrency_cap,
        concurrency_retry_after=args.concurrency_retry_after,
        content_lag=args.content_lag,
        final=args.final_answer,
        moderation=dict(args.moderate),
    )


def describe(limits: Limits) -> str | None:
    """One line naming the limits that are on, for serve's banner (None: none are)."""
    on = {k: v for k, v in limits.to_dict().items() if v and k != "concurrency_retry_after"}
    return "limits: " + ", ".join(f"{k}={v}" for k, v in on.items()) if on else None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def seconds_arg(text: str) -> float:
    """An option's number of seconds (0 or more), for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be >= 0")
    return value


def _moderation(text: str) -> tuple[str, str]:
    try:
        return parse_moderation(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
