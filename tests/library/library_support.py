"""Helpers for the library tests: child processes that use a library, and the emulator's bytes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

KEY = "mql_library_test"
ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("MQL_LIBRARY", None)
    env.pop("MQL_API_KEY", None)
    return env


def run_python(code: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (a process of its own, as a second notebook would be)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
        check=False,
    )


def start_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


class Serve:
    """``mql-notebook serve`` in a process of its own, so it outlives the processes it serves."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mql_notebook.cli", "serve", "--port", "0", "--quiet", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"serving (http://\S+)", line)
        assert found, (
            f"serve did not start: {line!r} {self.process.stderr.read() if self.process.stderr else ''}"
        )
        self.url = found.group(1)

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_emulator/requests").json()["requests"]

    def creates(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.requests()
            if r["method"] == "POST" and r["path"] == "/v1/videos/generations"
        ]

    def content(self, video_id: str) -> bytes:
        response = httpx.get(
            f"{self.url}/v1/videos/{video_id}/content",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.content

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll a condition from the test's own thread (no event loop here)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)
