"""Normalising the API's several status vocabularies to one small set.

The API page says pending -> processing -> completed; the TypeScript SDK says queued,
in_progress, completed, failed; the Python SDK also accepts success/succeeded and error;
similar gateways send cancelled/canceled, expired and aborted; MiniMax's tasks say Preparing,
Queueing, Processing, Success and Fail. Everything else in the product sees only the five
words below.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["pending", "processing", "completed", "failed", "cancelled"]

PENDING: Status = "pending"
PROCESSING: Status = "processing"
COMPLETED: Status = "completed"
FAILED: Status = "failed"
CANCELLED: Status = "cancelled"
STATUSES: tuple[Status, ...] = get_args(Status)  # the five, in the order a job goes

TERMINAL: frozenset[str] = frozenset({COMPLETED, FAILED, CANCELLED})

_SYNONYMS: dict[str, Status] = {
    "pending": PENDING,
    "queued": PENDING,
    "submitted": PENDING,
    "created": PENDING,
    "waiting": PENDING,
    # Accepted but held back until a slot frees: Runway's THROTTLED, fal's IN_QUEUE.
    "throttled": PENDING,
    "in_queue": PENDING,
    "preparing": PENDING,  # MiniMax's task words: Preparing, Queueing, Processing, Success, Fail
    "queueing": PENDING,
    "queuing": PENDING,
    "processing": PROCESSING,
    "in_progress": PROCESSING,
    "in-progress": PROCESSING,
    "running": PROCESSING,
    "generating": PROCESSING,
    "started": PROCESSING,
    "completed": COMPLETED,
    "complete": COMPLETED,
    "succeeded": COMPLETED,
    "success": COMPLETED,
    "done": COMPLETED,
    "failed": FAILED,
    "failure": FAILED,
    "fail": FAILED,
    "error": FAILED,
    "expired": FAILED,
    "cancelled": CANCELLED,
    "canceled": CANCELLED,
    "aborted": CANCELLED,
}


def normalize_status(raw: object) -> Status:
    """Map any vocabulary's word to the product's five; an unknown word counts as still running.

    An unknown word is not a crash: the caller keeps the raw word for display, and the
    wait's deadline keeps it from being polled forever.
    """
    if not isinstance(raw, str):
        return PROCESSING
    return _SYNONYMS.get(raw.strip().lower().replace(" ", "_"), PROCESSING)


def is_terminal(status: str) -> bool:
    return status in TERMINAL
