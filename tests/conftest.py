"""Fixtures for every test folder: emulators shared per setting, fast poll and retry settings, a key.

``local_server(pace=0.4, fault_seed=7)`` hands a test a running emulator as if new: each distinct
(pace, fault_seed, api_key) starts once per test module, and before each test that asks for it its
faults, fault seed, request log, pace and vocabulary go back to how they started. Jobs and
rendered videos from the module's earlier tests stay; tests count what they add, never the
totals. The emulators stop when the module ends, so no server thread or video cache outlives
its module (tests/local/test_server.py counts the threads; the soak measures memory).
A module-scoped fixture that needs the same emulator (a video made once for the module)
takes it from ``local_servers.get(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import OutageTiming, RetryPolicy
from mql_notebook.local import LocalServer
from tests.emulators import LocalServers, as_new


@pytest.fixture(scope="module")
def local_servers() -> Iterator[LocalServers]:
    servers = LocalServers()
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture
def local_server(local_servers: LocalServers) -> Iterator[Callable[..., LocalServer]]:
    """``local_server(pace=..., fault_seed=..., api_key=...)``: that emulator, as new for this test."""
    handed: list[tuple[LocalServer, float, int | str | None]] = []

    def get(
        *, pace: float, fault_seed: int | str | None = None, api_key: str | None = None
    ) -> LocalServer:
        server = local_servers.get(pace=pace, fault_seed=fault_seed, api_key=api_key)
        as_new(server, pace=pace, fault_seed=fault_seed)
        handed.append((server, pace, fault_seed))
        return server

    yield get
    # Faults a test set must not reach a module-scoped fixture that uses the same emulator later.
    for server, pace, fault_seed in handed:
        as_new(server, pace=pace, fault_seed=fault_seed)


@pytest.fixture(scope="session")
def api_key() -> str:
    """The key the clients under test send (the emulator accepts any ``mql_`` key by default);
    long and unusual, so a test that looks for it in state, markup or logs cannot miss it."""
    return "mql_test_secret_key_0123456789"


@pytest.fixture(scope="session")
def poll_timing() -> PollTiming:
    """Polls every 50-200 ms, so a job of a fraction of a second is seen through each state;
    an outage inside a wait is looked at every 50-200 ms too."""
    return PollTiming(
        first_delay=0.05,
        min_interval=0.05,
        max_interval=0.2,
        outage=OutageTiming(first_delay=0.05, max_delay=0.2),
    )


@pytest.fixture(scope="session")
def retry_policy() -> RetryPolicy:
    """Two retries, 20-100 ms apart, and a download outage ridden out for 1 s: the retry
    paths run without slowing the suite."""
    return RetryPolicy(max_retries=2, base_delay=0.02, max_delay=0.1, download_outage_budget=1.0)
