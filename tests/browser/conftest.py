"""Fixtures of the real-browser tests: an emulator, a Jupyter server per frontend, Chromium.

Without Chromium (or Playwright) these tests are skipped with the reason; under ``CI=true``
a missing browser fails them instead, so CI can never pass by silently skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JOB_SECONDS,
    JupyterServer,
    chromium_executable,
    launch_browser,
)
from tests.emulators import LocalServers


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install 'mql-notebook[test]')")
    executable = chromium_executable()
    if executable is None:
        _missing(
            "no Chromium at /usr/bin/chromium (apt-get install -y chromium); the browser tests need it"
        )
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, executable)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def emulator(local_servers: LocalServers) -> LocalServer:
    """One emulator for the whole sequence of tests on one widget (never reset between them)."""
    return local_servers.get(pace=JOB_SECONDS, api_key=BROWSER_API_KEY)


@pytest.fixture(scope="module", params=["lab", "notebook"])
def jupyter(
    request: pytest.FixtureRequest, emulator: LocalServer, browser: Any
) -> Iterator[JupyterServer]:
    """JupyterLab 4, then Notebook 7; their kernels reach the emulator through the environment."""
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer(request.param, env) as server:
        yield server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test shows the tail of its server's log (Jupyter, marimo or Voila)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        tail = getattr(value, "log_tail", None)
        if callable(tail):
            report.sections.append((f"{name} server log (tail)", tail()))
