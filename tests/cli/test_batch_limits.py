"""``mql-notebook batch`` against a gateway with limits (issue 19, items 1, 2, 4), as a user runs
it: real processes, an emulator run by ``mql-notebook serve`` with its limit switches."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

PROMPTS = [f"Prompt {i}: a kite over the dunes" for i in range(1, 11)]


def jobs_of(url: str) -> int:
    return httpx.get(f"{url}/_emulator", timeout=10).json()["jobs"]


def test_concurrency_6_against_a_cap_of_2_exits_0_with_every_line_done(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(1.0, "--concurrency-cap", "2", "--concurrency-retry-after", "0.5")
    batch = tmp_path / "prompts.txt"
    batch.write_text("\n".join(PROMPTS) + "\n")
    args = ("batch", str(batch), "--concurrency", "6", "--library", str(tmp_path / "lib"))
    result = run_cli(*args, env=served.env)
    assert result.returncode == 0, result.stderr
    assert "10/10 done" in result.stderr and "0 failed" in result.stderr
    assert "The gateway was full" in result.stderr  # the summary says what happened
    creates = served.creates()
    made = [c for c in creates if c["status"] == 200]
    assert len(made) == 10 and len({c["generation_id"] for c in made}) == 10
    assert jobs_of(served.url) == 10  # one job per line: every 429 made nothing
    assert {c["status"] for c in creates} <= {200, 429}
    per_key = Counter(c["idempotency_key"] for c in creates)
    assert len(per_key) == 10  # a line's re-sends keep its key
    assert len(creates) <= 2 * len(PROMPTS), len(creates)  # learned, not hammered


def test_a_moderated_line_is_not_sent_again_on_a_re_run_unless_asked(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5, "--moderate", "dragon")
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA dragon over a castle\nA storm at sea [[refuse_output]]\n")
    args = ("batch", str(batch), "--library", str(tmp_path / "lib"))
    first = run_cli(*args, env=served.env)
    assert first.returncode == 5
    assert "1 completed" in first.stderr and "2 failed" in first.stderr
    assert "line 2 failed: refused by moderation (its input" in first.stderr
    assert "blocked by content moderation: it mentions 'dragon'" in first.stderr
    assert "line 3 (video_" in first.stderr and "refused by moderation (its output)" in first.stderr
    assert len(served.creates()) == 3

    again = run_cli(*args, env=served.env)
    assert again.returncode == 5 and "2 failed" in again.stderr
    assert "refused by moderation (input)" in again.stderr  # the recorded reason
    assert "refused by moderation (output)" in again.stderr
    assert "--retry-failed" in again.stderr
    assert len(served.creates()) == 3  # nothing sent again

    retried = run_cli(*args, "--retry-failed", env=served.env)
    assert retried.returncode == 5 and "2 create(s) sent by this run" in retried.stderr
    creates = served.creates()
    assert len(creates) == 5 and len({c["idempotency_key"] for c in creates}) == 5
    # ... and that new attempt is what a later run finds: still nothing sent twice.
    assert run_cli(*args, env=served.env).returncode == 5
    assert len(served.creates()) == 5


def test_a_money_answer_stops_the_batch_after_one_create(tmp_path: Path, serve, run_cli) -> None:
    served = serve(0.5, "--final-answer", "arrears")
    batch = tmp_path / "prompts.txt"
    batch.write_text("\n".join(PROMPTS[:4]) + "\n")
    args = ("batch", str(batch), "--concurrency", "1", "--library", str(tmp_path / "lib"))
    result = run_cli(*args, env=served.env)
    assert result.returncode == 5
    assert len(served.creates()) == 1  # sent once; the other lines were not sent at all
    assert "Account in arrears" in result.stderr
    assert result.stderr.count("not sent: ") == 3
    assert "4 unfinished" in result.stderr
