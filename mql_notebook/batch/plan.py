"""What a batch line needs on this run, from what the library knows of it. Plain, no I/O.

A line's first create carries its key (lines.line_key); ``--retry-failed`` sends a failed
line again as a new job, under the next attempt's key (``KEY~retry1``, ``KEY~retry2``, ...), so
a later run finds that attempt and never sends it a third time by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ..library import Entry

Plan = Literal["create", "resume", "already", "failed", "retry"]
RETRY_SEPARATOR = "~retry"


def plan_line(entry: Entry | None, *, retry_failed: bool = False) -> Plan:
    """What a line needs, from its latest attempt's entry (None: never sent)."""
    if entry is None:
        return "create"
    if entry.id is None:
        if entry.refused_for_content and entry.finished:  # moderation refused the input
            return "retry" if retry_failed else "failed"
        # Never answered, or refused for another reason (busy, money: no job was made): send
        # it with the same Idempotency-Key, so a server that did get it returns that same job.
        return "create"
    if entry.finished:
        if entry.status == "completed":
            return "already"
        return "retry" if retry_failed else "failed"  # a failed job (moderation included)
    return "resume"  # running, or completed with its video not here yet


def attempt_key(key: str, attempt: int) -> str:
    """The Idempotency-Key of a line's attempt (0: the first, the line's own key)."""
    return key if attempt == 0 else f"{key}{RETRY_SEPARATOR}{attempt}"


def latest_attempt(known: Mapping[str, Entry], key: str) -> tuple[int, Entry | None]:
    """The line's latest attempt the library knows (its number and entry), else (0, None)."""
    attempt = 0
    while attempt_key(key, attempt + 1) in known:
        attempt += 1
    return attempt, known.get(attempt_key(key, attempt))


def failed_message(entry: Entry) -> str:
    """Why a line stays failed on this run, and how to send it again."""
    reason = entry.error or entry.status
    return f"{reason} (not sent again; --retry-failed sends it as a new job)"
