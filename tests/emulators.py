"""Running emulators shared by the tests: one LocalServer per distinct setting, reset on demand.

The fixtures in tests/conftest.py hand these out (``local_server``, ``local_servers``).
"""

from __future__ import annotations

from mql_notebook.local import LocalServer

Settings = tuple[float, int | str | None, str | None]  # pace, fault_seed, api_key


class LocalServers:
    """Each distinct emulator setting, started on first use, until ``stop_all()``."""

    def __init__(self) -> None:
        self._running: dict[Settings, LocalServer] = {}

    def get(
        self, *, pace: float, fault_seed: int | str | None = None, api_key: str | None = None
    ) -> LocalServer:
        settings = (pace, fault_seed, api_key)
        if settings not in self._running:
            server = LocalServer(pace=pace, fault_seed=fault_seed, api_key=api_key)
            self._running[settings] = server.start()
        return self._running[settings]

    def stop_all(self) -> None:
        for server in self._running.values():
            server.stop()
        self._running.clear()


def as_new(server: LocalServer, *, pace: float, fault_seed: int | str | None) -> None:
    """No faults or outages, the fault sequences restarted from the first fault seed, an empty request
    log, no limits (local/limits.py), and the pace, vocabulary, served models, billing and plan
    it started with (a test may have changed them)."""
    server.faults.reseed(fault_seed)
    server.faults.reset()
    server.clear_requests()
    server.pace = pace
    server.vocabulary = "api"
    server.progress = True
    server.retire_models([])
    server.billing = None
    server.set_plan(None)
    server.limits.update(
        {"concurrency_cap": None, "content_lag": 0, "final_answer": None, "moderation": {}}
    )
    server.limits.concurrency_retry_after = 2.0
