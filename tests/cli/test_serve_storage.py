"""``mql-notebook serve --storage redirect``: the videos come from a second origin at signed URLs,
and the command line's own downloads get them there."""

from __future__ import annotations

from pathlib import Path

import httpx

from .conftest import CliRunner
from .test_serve_flow import PROMPT, _exports, serve


def test_serve_with_redirecting_chunked_storage(cli: CliRunner, tmp_path: Path) -> None:
    with serve("--pace", "0.3", "--storage", "redirect", "--storage-chunked") as (_, lines):
        exported = _exports(lines)
        storage_line = next(line for line in lines if line.startswith("storage (redirect)"))
        storage_url = storage_line.split("signed URLs on ")[1].split(",")[0]
        assert storage_url != exported["MQL_BASE_URL"]
        created = cli("generate", PROMPT, "--output", "v.mp4", cwd=tmp_path, **exported)
        assert created.returncode == 0, created.stderr
        data = (tmp_path / "v.mp4").read_bytes()
        assert data[4:8] == b"ftyp"
        # The content endpoint sends the bytes elsewhere; a link without a signature is refused.
        generation_id = created.stderr.split("generation ")[1].split()[0]
        answer = httpx.get(
            f"{exported['MQL_BASE_URL']}/v1/videos/{generation_id}/content",
            headers={"Authorization": "Bearer mql_any"},
        )
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(f"{storage_url}/blob/{generation_id}?")
        assert httpx.get(f"{storage_url}/blob/{generation_id}").status_code == 403
        assert httpx.get(answer.headers["location"]).content == data
