"""``from mql_notebook import MQL`` loads what a client needs to be made, not the library's
SQLite index code (loaded when a client is given a library), in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_the_client_is_imported_without_the_library_index() -> None:
    loaded = _modules_after("from mql_notebook import MQL, AsyncMQL")
    assert "mql_notebook.client.async_client" in loaded
    assert not {"sqlite3", "mql_notebook.library.library", "mql_notebook.library.index"} & loaded


def test_a_client_given_a_library_loads_it(tmp_path) -> None:
    loaded = _modules_after(
        f"from mql_notebook import MQL\nc = MQL('mql_test_key', library={str(tmp_path)!r})\n"
        "assert type(c.library).__name__ == 'Library', c.library\nc.close()"
    )
    assert "mql_notebook.library.library" in loaded


def test_importing_mql_loads_no_async_core_until_a_client_is_made() -> None:
    loaded = _modules_after("from mql_notebook import MQL")
    assert not {"asyncio", "httpx", "mql_notebook.client.async_client"} & loaded
    made = _modules_after(
        "from mql_notebook import MQL\nc = MQL('mql_test_key', base_url='http://127.0.0.1:1')\n"
        "assert c.video.create_and_wait.__name__ == 'create_and_wait'\nc.close()"
    )
    assert {"asyncio", "mql_notebook.client.async_client"} <= made
