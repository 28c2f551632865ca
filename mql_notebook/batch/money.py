"""What a batch's requests still to create are expected to cost, sending nothing (the price
table: ``prices=`` / ``MQL_PRICES``, else the library's); a line the library shows created
already costs nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..library import Entry
from ..money import Estimate
from ..money.estimate import total
from .lines import BatchLine
from .plan import latest_attempt, plan_line

if TYPE_CHECKING:
    from ..client import AsyncMQL


def to_create(
    lines: list[BatchLine], known: Mapping[str, Entry], *, retry_failed: bool = False
) -> list[BatchLine]:
    """The lines this run would send a create for (never sent, never answered, or retried)."""
    chosen = []
    for line in lines:
        _attempt, entry = latest_attempt(known, line.key)
        if plan_line(entry, retry_failed=retry_failed) in ("create", "retry"):
            chosen.append(line)
    return chosen


async def estimate_lines(client: AsyncMQL, lines: list[BatchLine]) -> Estimate:
    parts = [await client.video.estimate(line.model, line.prompt, **line.options) for line in lines]
    return total(parts)
