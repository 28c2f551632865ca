"""The plain decisions of issue 19: which answers are final, which are a busy gateway, how long
to wait for a slot, and the batch's AIMD controller (no I/O, no clock)."""

from __future__ import annotations

import json

import pytest

from mql_notebook import (
    BillingError,
    ContentRefusedError,
    GenerationRefusedError,
    RateLimitError,
    ServerError,
)
from mql_notebook.client.concurrency import ConcurrencyController
from mql_notebook.client.protocol import error_from_response
from mql_notebook.client.refusals import (
    content_refusal,
    failed_job_error,
    is_final,
    refusal_of_failed_job,
)
from mql_notebook.client.retry import is_transient
from mql_notebook.client.slots import (
    SlotTiming,
    is_busy,
    is_concurrency_limit,
    slot_delay,
    slot_retry_delay,
)
from mql_notebook.generation import Generation
from mql_notebook.status import normalize_status


def answer(status: int, code: str | None, message: str = "no", **extra) -> tuple:
    error = {"message": message, **({"code": code} if code else {}), **extra}
    return status, {"retry-after": "2"}, json.dumps({"error": error}).encode()


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, "1101", "account arrears"),  # Kling
        (429, "1102", "resource pack depleted"),  # Kling
        (429, "spend_cap_hit", "spend cap reached"),
        (429, "insufficient_quota", "You exceeded your current quota"),  # OpenAI
        (402, None, "Payment Required"),
        (400, "1008", "insufficient balance"),  # MiniMax
        (403, None, "Insufficient balance: top up"),
    ],
)
def test_money_is_final_whatever_the_status(status: int, code: str | None, message: str) -> None:
    status, headers, body = answer(status, code, message)
    assert is_final(status, code, body)
    error = error_from_response(status, headers, body, operation="creating a generation")
    assert isinstance(error, BillingError) and error.final and message in str(error)
    assert not is_busy(error) and not is_transient(error)


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, "concurrency_limit_exceeded", "This key already runs 2 generations"),
        (429, "rate_limit_exceeded", "Rate limit reached"),
        (429, "1303", "parallel task over resource pack limit"),  # Kling: busy, not money
        (503, None, "Service Temporarily Unavailable"),
    ],
)
def test_a_busy_gateway_is_not_final(status: int, code: str | None, message: str) -> None:
    status, headers, body = answer(status, code, message)
    assert not is_final(status, code, body)
    error = error_from_response(status, headers, body, operation="creating a generation")
    assert isinstance(error, (RateLimitError, ServerError)) and not error.final
    assert is_busy(error) and error.retry_after == 2.0


def test_which_busy_answers_are_about_concurrency() -> None:
    def err(code: str | None, message: str, status: int = 429):
        return error_from_response(*answer(status, code, message), operation="creating")

    assert is_concurrency_limit(err("concurrency_limit_exceeded", "full"))
    assert is_concurrency_limit(err("1303", "parallel task over resource pack limit"))
    assert is_concurrency_limit(err(None, "Too many concurrent generations"))
    assert not is_concurrency_limit(err("rate_limit_exceeded", "slow down"))
    assert not is_concurrency_limit(err(None, "busy", status=503))


@pytest.mark.parametrize(
    ("code", "message", "stage", "expected"),
    [
        ("content_policy_violation", "Your prompt was blocked", "input", "input"),
        ("content_policy_violation", "The generated video was blocked", None, "output"),
        ("SAFETY.INPUT.TEXT", "", None, "input"),  # Runway
        ("SAFETY.OUTPUT.VIDEO", "", None, "output"),  # Runway
        ("1026", "input new_sensitive", None, "input"),  # MiniMax
        ("1027", "output new_sensitive", None, "output"),  # MiniMax
        ("moderation_blocked", "blocked", None, None),
        (None, "Your request was rejected by the safety system", None, None),
        ("invalid_duration", "duration=7 is not allowed", None, False),
        (None, "Rate limit reached", None, False),
    ],
)
def test_moderation_and_its_stage(code, message, stage, expected) -> None:
    assert content_refusal(code, message, stage=stage) == expected


def test_a_refused_create_is_a_content_refused_error_said_plainly() -> None:
    status, headers, body = answer(
        400, "content_policy_violation", "Your prompt mentions 'dragon'", stage="input"
    )
    error = error_from_response(status, headers, body, operation="creating a generation")
    assert isinstance(error, ContentRefusedError) and error.stage == "input" and error.final
    assert str(error).startswith("refused by moderation (its input, HTTP 400)")
    assert "Your prompt mentions 'dragon'" in str(error)


def test_a_job_failed_by_moderation_is_a_generation_refused_error() -> None:
    refused = Generation(
        {"status": "failed", "error": {"code": "SAFETY.OUTPUT.VIDEO", "message": "unsafe"}},
        id="v1",
    )
    error = failed_job_error(refused)
    assert isinstance(error, GenerationRefusedError) and error.stage == "output"
    plain = Generation(
        {"status": "failed", "error": {"code": "render_failed", "message": "x"}}, id="v2"
    )
    assert type(failed_job_error(plain)).__name__ == "GenerationFailedError"
    assert refusal_of_failed_job("content policy violation in the output") == "output"
    assert refusal_of_failed_job(None) is False


def test_throttled_and_in_queue_show_as_queued() -> None:
    assert normalize_status("THROTTLED") == "pending"  # Runway
    assert normalize_status("IN_QUEUE") == "pending"  # fal


def test_slot_delays_honour_retry_after_and_back_off_to_a_few_seconds() -> None:
    timing = SlotTiming()
    assert slot_delay(timing, 1, 2.0, jitter=0.0) == 2.0
    assert 2.0 <= slot_delay(timing, 1, 2.0, jitter=0.99) <= 2.2
    assert slot_delay(timing, 1, None) == 0.5
    assert [slot_delay(timing, n, None) for n in (2, 3, 4, 10)] == [1.0, 2.0, 3.0, 3.0]
    assert slot_delay(timing, 1, 600.0) == timing.max_retry_after


def test_the_slot_wait_ends_at_its_budget_and_never_for_a_final_answer() -> None:
    timing = SlotTiming()
    busy = error_from_response(*answer(429, "concurrency_limit_exceeded"), operation="creating")
    money = error_from_response(*answer(429, "1101", "arrears"), operation="creating")
    assert slot_retry_delay(timing, busy, 1, elapsed=0.0, budget=60.0) == 2.0
    assert slot_retry_delay(timing, busy, 5, elapsed=59.5, budget=60.0) == 0.5  # the last try
    assert slot_retry_delay(timing, busy, 6, elapsed=60.0, budget=60.0) is None
    assert slot_retry_delay(timing, busy, 1, elapsed=0.0, budget=0.0) is None  # slot_timeout=0
    assert slot_retry_delay(timing, money, 1, elapsed=0.0, budget=60.0) is None


# -- the batch's AIMD controller ------------------------------------------------------------


def run_against(gateway: int, controller: ConcurrencyController, jobs: int) -> tuple[int, int]:
    """Drive the controller as a batch would against a gateway that runs ``gateway`` at once,
    in rounds: fill every allowed slot, the gateway accepts what fits, then one job ends.
    Returns (creates sent, the most jobs held at once)."""
    running = sent = most = 0
    done = 0
    while done < jobs:
        while controller.may_start() and running + done < jobs:
            round_ = controller.start()
            sent += 1
            if running < gateway:
                running += 1
                controller.accepted()
            else:
                controller.busy(round_)
            most = max(most, controller.held)
            if controller.held >= controller.allowed:
                break
        controller.finished(was_running=True)
        running -= 1
        done += 1
    return sent, most


def test_aimd_learns_the_gateways_limit_and_probes_for_more_sparingly() -> None:
    controller = ConcurrencyController(20)
    sent, most = run_against(4, controller, jobs=200)
    assert sent <= 1.5 * 200, sent
    assert controller.allowed in (4, 5) and most <= 20
    assert controller.decreases >= 1


def test_aimd_one_decrease_per_round_and_never_below_what_runs() -> None:
    controller = ConcurrencyController(10)
    rounds = [controller.start() for _ in range(10)]
    for _ in range(3):
        controller.accepted()
    for round_ in rounds[3:]:
        controller.busy(round_)  # seven busy answers to creates sent together: one decrease
    assert controller.decreases == 1 and controller.allowed == 5
    # The next busy answer of a create sent after it decreases again, but not below the 3 running.
    controller.busy(controller.start())
    assert controller.allowed == 3
    controller.busy(controller.start())
    assert controller.allowed == 3 and controller.held == 3


def test_aimd_grows_back_when_the_gateway_allows_more_again() -> None:
    controller = ConcurrencyController(8)
    controller.limit = 2.0
    for _ in range(60):  # every slot taken and accepted: a slot more per 2 x limit creates
        while controller.may_start():
            controller.start()
            controller.accepted()
        controller.finished(was_running=True)
    assert controller.allowed == 8


def test_the_controller_refuses_a_nonsense_ceiling() -> None:
    with pytest.raises(ValueError):
        ConcurrencyController(0)
