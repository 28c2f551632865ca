"""The emulator's limits, lags and refusals: what real gateways do that is not a fault.

- ``concurrency``: at most this many jobs of one API key run at once (from the create until the
  job completes or fails); a create beyond it is answered ``429 concurrency_limit_exceeded``
  with ``Retry-After: concurrency_retry_after`` and makes nothing (an Idempotency-Key replay
  of an existing job is still answered).
- ``content_lag``: for this many seconds after a job completed (as first seen), its content
  answers ``404`` (storage not caught up yet).
- ``final``: every create is answered a refusal that means "never": ``arrears`` (429, Kling's
  1101), ``depleted`` (429, Kling's 1102), ``spend_cap`` (429 ``spend_cap_hit``),
  ``insufficient_balance`` (402) or ``payment_required`` (402).
- moderation: a prompt containing a word of ``moderation`` (word -> ``"input"`` or
  ``"output"``), or the markers ``[[refuse_input]]`` / ``[[refuse_output]]``, is refused:
  input at the create (``400 content_policy_violation``, ``stage: input``, nothing made), output
  after a full render (the job fails at the end of its pace with that code, ``stage: output``).

From Python (``server.limits``, ``LocalServer(concurrency_cap=..., ...)``), the command line
(``mql-notebook serve --concurrency-cap 2 --content-lag 5 --final-answer arrears
--moderate WORD[:output]``) or HTTP (``POST /_emulator/settings`` with ``concurrency_cap``,
``content_lag``, ``final_answer``, ``moderation``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REFUSE_INPUT_MARKER = "[[refuse_input]]"
REFUSE_OUTPUT_MARKER = "[[refuse_output]]"
STAGES = ("input", "output")
DEFAULT_CONCURRENCY_RETRY_AFTER = 2.0

# kind -> (status, code, message): what real gateways answer when money stops a create.
FINAL_ANSWERS: dict[str, tuple[int, str, str]] = {
    "arrears": (
        429,
        "1101",
        "Account in arrears: settle the outstanding balance to create more videos.",
    ),
    "depleted": (
        429,
        "1102",
        "Resource pack depleted: buy a new pack to create more videos.",
    ),
    "spend_cap": (
        429,
        "spend_cap_hit",
        "This key reached its spend cap: raise the cap in the dashboard to create more videos.",
    ),
    "insufficient_balance": (
        402,
        "insufficient_balance",
        "Insufficient balance: top up the account to create more videos.",
    ),
    "payment_required": (402, "payment_required", "Payment required to create more videos."),
}


@dataclass(frozen=True)
class Refusal:
    """One answer to a create that makes nothing."""

    status: int
    code: str
    message: str
    retry_after: float | None = None
    stage: str | None = None
    param: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``{"error": {"message", "code"[, "param"][, "stage"]}}``."""
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.param is not None:
            error["param"] = self.param
        if self.stage is not None:
            error["stage"] = self.stage
        return {"error": error}

    def headers(self) -> dict[str, str] | None:
        return None if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}


class Limits:
    """The switches above; thread-safe (read by the server, set by its owner at any time)."""

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        concurrency_retry_after: float = DEFAULT_CONCURRENCY_RETRY_AFTER,
        content_lag: float = 0.0,
        final: str | None = None,
        moderation: Mapping[str, str] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.concurrency = concurrency
        self.concurrency_retry_after = concurrency_retry_after
        self.content_lag = content_lag
        self.final = final
        self.moderation = dict(moderation or {})

    # -- settings, checked -----------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name == "concurrency"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
        ):
            raise ValueError(f"concurrency_cap must be an int >= 1 or null, not {value!r}")
        if name in ("concurrency_retry_after", "content_lag"):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
            value = float(value)
        if name == "final" and value is not None and value not in FINAL_ANSWERS:
            raise ValueError(
                f"final_answer must be one of {', '.join(FINAL_ANSWERS)} or null, not {value!r}"
            )
        if name == "moderation":
            value = _checked_moderation(value)
        object.__setattr__(self, name, value)

    def update(self, values: Mapping[str, Any]) -> None:
        """The JSON of ``POST /_emulator/settings``: ``concurrency_cap``, ``content_lag``,
        ``final_answer``, ``moderation`` (keys left out are left alone)."""
        names = {
            "concurrency_cap": "concurrency",
            "concurrency_retry_after": "concurrency_retry_after",
            "content_lag": "content_lag",
            "final_answer": "final",
            "moderation": "moderation",
        }
        with self._lock:
            for key, name in names.items():
                if key in values:
                    setattr(self, name, values[key])

    def to_dict(self) -> dict[str, Any]:
        return {
            "concurrency_cap": self.concurrency,
            "concurrency_retry_after": self.concurrency_retry_after,
            "content_lag": self.content_lag,
            "final_answer": self.final,
            "moderation": dict(self.moderation),
        }

    # -- decisions ---------------------------------------------------------------------

    def refuse_create(self, prompt: str) -> Refusal | None:
        """A refusal that needs no job count: the final answer, or input moderation."""
        if self.final is not None:
            status, code, message = FINAL_ANSWERS[self.final]
            return Refusal(status, code, message)
        word, stage = self.moderated(prompt)
        if stage == "input":
            return Refusal(
                400,
                "content_policy_violation",
                f"Your prompt was blocked by content moderation: it mentions {word!r}. "
                "Rephrase it and try again.",
                stage="input",
                param="prompt",
            )
        return None

    def busy(self, running: int) -> Refusal:
        """The 429 for a create while ``running`` jobs of the key hold every slot."""
        return Refusal(
            429,
            "concurrency_limit_exceeded",
            f"This key already runs {running} generation(s), its limit of {self.concurrency} at "
            "once: retry when one finishes.",
            retry_after=self.concurrency_retry_after,
        )

    def moderated(self, prompt: str) -> tuple[str, str | None]:
        """(the word, ``"input"``/``"output"``) when moderation refuses this prompt, else ("", None)."""
        lowered = prompt.lower()
        if REFUSE_INPUT_MARKER in lowered:
            return REFUSE_INPUT_MARKER, "input"
        if REFUSE_OUTPUT_MARKER in lowered:
            return REFUSE_OUTPUT_MARKER, "output"
        for word, stage in self.moderation.items():
            if word.lower() in lowered:
                return word, stage
        return "", None

    def lagging(self, completed_for: float | None) -> bool:
        """Whether content is still missing, ``completed_for`` seconds after completion."""
        return completed_for is not None and completed_for < self.content_lag


def output_refusal(word: str) -> dict[str, str]:
    """The error object of a job whose rendered video moderation refused (after a full render)."""
    return {
        "code": "content_policy_violation",
        "stage": "output",
        "message": f"The generated video was blocked by content moderation (it shows {word!r}); "
        "the render is billed.",
    }


def parse_moderation(text: str) -> tuple[str, str]:
    """``WORD`` or ``WORD:input`` / ``WORD:output`` (the CLI's ``--moderate``) -> (word, stage)."""
    word, sep, stage = text.rpartition(":")
    if not sep or stage not in STAGES:
        word, stage = text, "input"
    if not word.strip():
        raise ValueError(f"--moderate {text!r}: give a word, e.g. --moderate dragon:output")
    return word.strip(), stage


def _checked_moderation(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError('moderation must be an object of word -> "input" or "output"')
    out: dict[str, str] = {}
    for word, stage in value.items():
        if not isinstance(word, str) or not word.strip() or stage not in STAGES:
            raise ValueError(
                f'moderation: {word!r} -> {stage!r}; each word must map to "input" or "output"'
            )
        out[word.strip()] = stage
    return out
