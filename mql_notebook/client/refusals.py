"""Answers that no retry or wait can change: money and moderation. Plain functions, no I/O.

A 429 usually means "not now" (a busy gateway, a rate limit): the create made nothing and may
go again (``slots``). Some 429s and 4xx mean "never, until the account changes": Kling's 1101
(account in arrears) and 1102 (resource pack depleted) come as 429; spend caps, an insufficient
balance (MiniMax's 1008), OpenAI's ``insufficient_quota``, any 402. Those are ``BillingError``:
raised after one request, with the server's message, never sent again.

Moderation refuses the input (the prompt or an image, usually at the create) or the output (the
rendered video, after a full render and sometimes billed). Such a refusal is a
``ContentRefusedError`` (at the create) or a ``GenerationRefusedError`` (a job that ended
failed for it): final, with the provider's own words and the stage when it can be told.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from .._constants import CONTENT_REFUSED_PREFIX
from ..errors import GenerationFailedError, GenerationRefusedError
from ..generation import Generation

Stage = Literal["input", "output"]

# Codes (lower-case) that mean money stops the request, whatever the status they come with.
BILLING_CODES = frozenset(
    {
        "1101",  # Kling: account in arrears
        "1102",  # Kling: resource pack depleted
        "1008",  # MiniMax: insufficient balance
        "arrears",
        "account_in_arrears",
        "resource_pack_depleted",
        "pack_depleted",
        "depleted",
        "spend_cap",
        "spend_cap_hit",
        "spend_cap_exceeded",
        "spend_cap_reached",
        "insufficient_balance",
        "insufficient_funds",
        "insufficient_credits",
        "insufficient_quota",  # OpenAI's 429 for an exhausted plan
        "billing_hard_limit_reached",
        "quota_exceeded",
        "payment_required",
    }
)
# Words in a message that say the same when the code is missing or unknown.
_BILLING_WORDS = re.compile(
    r"\b(arrears|insufficient (balance|funds|credits?|quota)|spend(ing)? cap|"
    r"(resource )?pack (is )?depleted|billing (hard )?limit|payment required|out of credits)\b",
    re.IGNORECASE,
)

# Codes of a moderation refusal; the stage, when the code itself tells it.
_CONTENT_CODES: dict[str, Stage | None] = {
    "content_policy_violation": None,
    "content_policy": None,
    "content_filter": None,
    "moderation_blocked": None,
    "moderation": None,
    "safety": None,
    "sensitive_content": None,
    "1026": "input",  # MiniMax: sensitive input
    "1027": "output",  # MiniMax: sensitive output
    "1301": "input",  # Kling: content security policy triggered
    "input_moderation": "input",
    "output_moderation": "output",
}
_CONTENT_WORDS = re.compile(
    r"\b(content (policy|moderation|filter)|moderation|safety (system|filter|policy)|"
    r"sensitive (content|input|output))\b",
    re.IGNORECASE,
)
_OUTPUT_WORDS = re.compile(r"\b(output|generated video|result|rendered)\b", re.IGNORECASE)
_INPUT_WORDS = re.compile(r"\b(input|prompt|image|first frame|last frame)\b", re.IGNORECASE)


def is_final(status_code: int, code: str | None, body: Mapping[str, Any] | bytes | None) -> bool:
    """Whether an error answer means "never": retrying or waiting cannot change it.

    True for money (``billing_refusal``) and moderation (``content_refusal``). 401/403 and the
    other 4xx are not retried either, but are not "final" in this sense: they are a key or a
    request to fix, not an account.
    """
    message = _message_of(body)
    return billing_refusal(status_code, code, message) or (
        content_refusal(code, message, status_code=status_code) is not False
    )


def billing_refusal(status_code: int, code: str | None, message: str = "") -> bool:
    """Whether an answer says money stops the request (arrears, depleted, spend cap, balance, 402)."""
    if status_code == 402:
        return True
    if code is not None and code.strip().lower() in BILLING_CODES:
        return True
    # An unknown code with a message naming money: only for statuses that can carry it.
    return status_code in (400, 403, 429) and bool(_BILLING_WORDS.search(message))


def content_refusal(
    code: str | None, message: str = "", *, status_code: int = 400, stage: object = None
) -> Stage | Literal[False] | None:
    """The stage of a moderation refusal (``"input"``, ``"output"``, None when it cannot be
    told), or False when the answer is no moderation refusal at all.

    ``stage`` is a stage the server named itself (a ``stage`` or ``type`` field of its error).
    An error answer of 5xx is never one (a server failing is not a verdict on the content).
    """
    if status_code >= 500:
        return False
    key = (code or "").strip().lower()
    runway = re.match(r"safety\.(input|output)\b", key)  # Runway: SAFETY.INPUT.TEXT, ...
    if runway:
        return runway.group(1)  # type: ignore[return-value]
    if key in _CONTENT_CODES:
        return _stage(stage, message, _CONTENT_CODES[key])
    if _CONTENT_WORDS.search(message) or _CONTENT_WORDS.search(key.replace("_", " ")):
        return _stage(stage, message, None)
    return False


def refusal_of_failed_job(error: object) -> Stage | Literal[False] | None:
    """For a job that ended failed, its ``error`` field (an object or text): the stage of a
    moderation refusal, None when it is one without a stage, False when it is another failure.

    A refusal named by the job itself but without a stage is an output one when it came after
    the job ran (the usual case for a job that fails), but this cannot be known: None.
    """
    if isinstance(error, Mapping):
        code = error.get("code") or error.get("failure_code") or error.get("failureCode")
        message = error.get("message") or error.get("failure") or ""
        stage = error.get("stage") or error.get("type")
        return content_refusal(
            None if code is None else str(code), str(message), status_code=200, stage=stage
        )
    if isinstance(error, str) and error:
        return content_refusal(None, error, status_code=200)
    return False


def failed_job_error(generation: Generation) -> GenerationFailedError:
    """The error for a job that ended failed or cancelled: a ``GenerationRefusedError`` (also a
    ``ContentRefusedError``, final) when moderation refused it, else a ``GenerationFailedError``."""
    stage = refusal_of_failed_job(generation.raw.get("error"))
    if stage is False or not generation.failed:
        return GenerationFailedError(generation)
    return GenerationRefusedError(generation, stage=stage)


def refusal_note(stage: str | None, words: str) -> str:
    """How the library records a moderation refusal (``library.entry.refused_for_content``
    reads it back): the stage and the provider's words."""
    return f"{CONTENT_REFUSED_PREFIX} ({stage or 'content'}): {words}"


def error_stage(body: Mapping[str, Any] | bytes | None) -> object:
    """The stage an error body names itself (``error.stage`` or ``error.type``), if any."""
    error = _error_object(body)
    return (error.get("stage") or error.get("type")) if error else None


def _stage(named: object, message: str, from_code: Stage | None) -> Stage | None:
    if isinstance(named, str):
        lowered = named.strip().lower()
        if "input" in lowered:
            return "input"
        if "output" in lowered:
            return "output"
    if from_code is not None:
        return from_code
    if _OUTPUT_WORDS.search(message):
        return "output"
    if _INPUT_WORDS.search(message):
        return "input"
    return None


def _error_object(body: Mapping[str, Any] | bytes | None) -> Mapping[str, Any] | None:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
    if not isinstance(body, Mapping):
        return None
    error = body.get("error", body)
    return error if isinstance(error, Mapping) else None


def _message_of(body: Mapping[str, Any] | bytes | None) -> str:
    error = _error_object(body)
    if error is not None:
        return str(error.get("message") or error.get("detail") or "")
    if isinstance(body, (bytes, bytearray)):
        return body[:2000].decode("utf-8", errors="replace")
    return ""
