"""Widget tests record into a library of their own: a VideoWidget uses ``Library()`` by
default (``MQL_LIBRARY``, else ``./mql-videos``), which must never be the checkout's folder.
Clients built here without ``library=`` record there too, as a notebook's would with the
variable set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mql_notebook import AsyncMQL


@pytest.fixture(autouse=True)
def library_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    folder = tmp_path_factory.mktemp("library") / "mql-videos"  # not in tmp_path: tests list it
    monkeypatch.setenv("MQL_LIBRARY", str(folder))
    return folder


@pytest.fixture
async def fast_client(emulator, api_key, poll_timing, retry_policy) -> AsyncIterator[AsyncMQL]:
    """A client of the module's ``emulator`` fixture with the fast test settings."""
    async with AsyncMQL(
        api_key=api_key, base_url=emulator.url, poll_timing=poll_timing, retry_policy=retry_policy
    ) as client:
        yield client


@pytest.fixture
def client(fast_client: AsyncMQL) -> AsyncMQL:
    """The module's fast client (a module may define its own ``client`` instead)."""
    return fast_client
