"""Widget tests record into a library of their own: a VideoWidget uses ``Library()`` by
default (``MQL_LIBRARY``, else ``./mql-videos``), which must never be the checkout's folder.
Clients built here without ``library=`` record there too, as a notebook's would with the
variable set."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def library_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    folder = tmp_path_factory.mktemp("library") / "mql-videos"  # not in tmp_path: tests list it
    monkeypatch.setenv("MQL_LIBRARY", str(folder))
    return folder
