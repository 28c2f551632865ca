"""What the command line's batch (cli/batch.py) and the notebook's ``Batch`` (widget/batch.py)
share: ``lines`` (a batch's checked requests and the stable key of each, that makes a re-run
free), ``plan`` (what a line needs on this run, from the library), ``money`` (what the lines
still to create should cost) and ``runner`` (the lines carried from their creates to their
videos through adaptive slots, each change reported)."""

from .lines import BatchFileError, BatchLine, checked_lines, line_key, parse_batch
from .plan import Plan, attempt_key, latest_attempt, plan_line

__all__ = [
    "BatchFileError",
    "BatchLine",
    "Plan",
    "attempt_key",
    "checked_lines",
    "latest_attempt",
    "line_key",
    "parse_batch",
    "plan_line",
]
