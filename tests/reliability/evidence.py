"""What the reliability tests read back and report: rendered bytes, fault counts, duplicate creates, figures."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mql_notebook.local import LocalServer, RequestRecord

CREATE = "/v1/videos/generations"
# Create answers after which the server may have acted: the client must not send the POST again.
MAY_HAVE_ACCEPTED = ("drop", "truncate", "server_error:500", "server_error:502", "overloaded")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rendered_bytes(server: LocalServer, video_id: str) -> bytes:
    """What the emulator rendered for a job id or variant id (from its own video store)."""
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None, f"the emulator has no job for {video_id}"
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=120).data


def fault_kinds(records: Iterable[RequestRecord]) -> Counter[str]:
    """Injected faults by kind and endpoint, from the request log's ``fault`` field."""
    counts: Counter[str] = Counter()
    for r in records:
        if not r.fault:
            continue
        for label in r.fault.split("+"):
            kind = (
                "latency" if label.startswith("latency") else label
            )  # server_error:502, job:fail, drop ...
            counts[f"{r.endpoint}.{kind}"] += 1
    return counts


def duplicate_creates(records: list[RequestRecord]) -> list[str]:
    """Problems with the create POSTs: a key accepted twice, a POST without a key, or a POST
    sent again after an answer that means the server may have accepted it."""
    problems: list[str] = []
    by_key: dict[str | None, list[RequestRecord]] = {}
    for r in records:
        if r.method == "POST" and r.path == CREATE:
            by_key.setdefault(r.idempotency_key, []).append(r)
    if None in by_key:
        problems.append(f"{len(by_key[None])} create POST(s) without an Idempotency-Key")
    for key, posts in by_key.items():
        accepted = [r for r in posts if r.status in (200, 201)]
        if len(accepted) > 1:
            problems.append(f"key {key} accepted {len(accepted)} times")
        for _i, r in enumerate(posts[:-1]):
            labels = (r.fault or "").split("+")
            if r.status in (200, 201) or any(label in MAY_HAVE_ACCEPTED for label in labels):
                problems.append(
                    f"key {key} sent again after {r.status} {r.fault}: {[(p.status, p.fault) for p in posts]}"
                )
    return problems


def write_figures(name: str, figures: dict[str, Any]) -> None:
    """Print the figures; with MQL_RELIABILITY_OUT=<dir> also write them to <dir>/<name>.json."""
    text = json.dumps(figures, indent=2, sort_keys=True, default=str)
    print(f"\n{name} figures:\n{text}")
    out = os.environ.get("MQL_RELIABILITY_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.json").write_text(text + "\n")
