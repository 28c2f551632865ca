"""A batch's money: its budget flags, the estimated total it prints before starting, and the
question it asks on a terminal when that total is large (``--yes`` skips it)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from .._constants import BATCH_CONFIRM_AMOUNT, BATCH_CONFIRM_VIDEOS
from ..errors import ConfigurationError
from ..money import Budget, Estimate, Spent, format_amount
from ..money.estimate import total
from .console import is_terminal

if TYPE_CHECKING:
    from ..batch.lines import BatchLine
    from ..client import AsyncMQL


class Declined(Exception):
    """The user answered no: nothing was sent."""


def add_money_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "money", "this run's own budget (the library's budget, if it has one, applies too)"
    )
    group.add_argument(
        "--budget-videos", type=int, default=None, metavar="N", help="at most N videos"
    )
    group.add_argument(
        "--budget-seconds", type=float, default=None, metavar="S", help="at most S seconds of video"
    )
    group.add_argument(
        "--budget-amount",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="at most this much money (in the price table's currency)",
    )
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help=f"start without asking (on a terminal a batch asks first when its estimate is over "
        f"{BATCH_CONFIRM_AMOUNT:g}, or over {BATCH_CONFIRM_VIDEOS} videos when its cost is unknown)",
    )


def budget_from_args(args: argparse.Namespace) -> Budget | None:
    values = (args.budget_amount, args.budget_seconds, args.budget_videos)
    if all(v is None for v in values):
        return None
    return Budget(amount=values[0], seconds=values[1], videos=values[2], per=None)


async def estimate_lines(client: AsyncMQL, lines: list[BatchLine]) -> Estimate:
    parts = [await client.video.estimate(line.model, line.prompt, **line.options) for line in lines]
    return total(parts)


def needs_asking(estimate: Estimate) -> bool:
    if estimate.amount is not None:
        return estimate.amount > BATCH_CONFIRM_AMOUNT
    return estimate.videos > BATCH_CONFIRM_VIDEOS


async def announce(
    client: AsyncMQL, lines: list[BatchLine], *, own: Budget | None, yes: bool, err: TextIO
) -> None:
    """Print the estimated total of the lines to create, what the budgets leave, and ask on a
    terminal when the total is large; Declined if the answer is no, ConfigurationError if a
    budget cannot be kept (a money budget and unpriced lines)."""
    if not lines:
        return
    estimate = await estimate_lines(client, lines)
    print(f"mql-notebook batch: {len(lines)} line(s) to create: {estimate.text()}", file=err)
    status = None
    if client.library is not None:
        status = await asyncio.to_thread(client.library.budget_status)
    for budget, whose in (
        (status.budget if status else None, "the library's"),
        (own, "this run's"),
    ):
        if budget is None:
            continue
        if budget.amount is not None and estimate.amount is None:
            raise ConfigurationError(
                f"{whose} budget is {budget.text(estimate.currency)} but {estimate.note}; nothing "
                "was sent: price every model, or budget in videos or seconds"
            )
    if status is not None:
        left = status.left
        budget = status.budget
        over = (
            (budget.videos is not None and estimate.videos > left.videos)
            or (budget.seconds is not None and (estimate.seconds or 0) > left.seconds + 1e-9)
            or (budget.amount is not None and (estimate.amount or 0) > left.amount + 1e-9)
        )
        if over:
            print(
                f"mql-notebook batch: the library's budget ({status.budget.text(estimate.currency)}) "
                f"leaves {_left(status.budget, left, estimate.currency)}: lines beyond it are "
                "refused before they are sent",
                file=err,
            )
    if yes or not needs_asking(estimate) or not (sys.stdin.isatty() and is_terminal(err)):
        return
    err.write(f"start {len(lines)} create(s), estimated {estimate.text()}? [y/N] ")
    err.flush()
    answer = await asyncio.to_thread(sys.stdin.readline)
    if answer.strip().lower() not in ("y", "yes"):
        raise Declined()


def _left(budget: Budget, left: Spent, currency: str | None) -> str:
    parts = []
    if budget.videos is not None:
        parts.append(f"{left.videos} video(s)")
    if budget.seconds is not None:
        parts.append(f"{left.seconds:g} s")
    if budget.amount is not None:
        parts.append(format_amount(left.amount, currency))
    return " and ".join(parts)
