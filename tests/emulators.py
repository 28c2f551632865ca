"""Running emulators shared by the tests: one LocalServer per distinct setting, reset on demand.

The fixtures in tests/conftest.py hand these out (``local_server``, ``local_servers``).
"""

from __future__ import annotations

from mql_notebook.local import LocalServer

Settings = tuple[float, int | str | None, str | None]  # pace, seed, api_key


class LocalServers:
    """Each distinct emulator setting, started on first use, until ``stop_all()``."""

    def __init__(self) -> None:
        self._running: dict[Settings, LocalServer] = {}

    def get(
        self, *, pace: float, seed: int | str | None = None, api_key: str | None = None
    ) -> LocalServer:
        settings = (pace, seed, api_key)
        if settings not in self._running:
            self._running[settings] = LocalServer(pace=pace, seed=seed, api_key=api_key).start()
        return self._running[settings]

    def stop_all(self) -> None:
        for server in self._running.values():
            server.stop()
        self._running.clear()


def as_new(server: LocalServer, *, pace: float, seed: int | str | None) -> None:
    """No faults or outages, the fault sequences restarted from the first seed, an empty request
    log, and the pace, vocabulary and served models it started with (a test may have changed them)."""
    server.faults.reseed(seed)
    server.faults.reset()
    server.clear_requests()
    server.pace = pace
    server.vocabulary = "api"
    server.progress = True
    server.retire_models([])
