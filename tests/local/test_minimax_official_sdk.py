"""The official SDK (``metriqual`` 1.1.2, in the test and bench extras) against the emulator's
MiniMax task route: its own calls, unchanged, get the shapes it expects, so the emulator's
route is the one the SDK was written for. (It also shows what the SDK leaves to its user: an
error inside the 200 comes back as if it were a task.)"""

from __future__ import annotations

import httpx
import pytest

metriqual = pytest.importorskip("metriqual")

KEY = "mql_official_sdk_key"
IMAGE = "https://example.com/first-frame.png"


def test_the_official_sdks_minimax_calls_work_against_the_emulator(local_server) -> None:
    server = local_server(pace=0.3)
    client = metriqual.MQL(api_key=KEY, base_url=server.url)
    result = client.video.create_from_image(first_frame_image=IMAGE, prompt="A kite")
    assert result["base_resp"]["status_code"] == 0
    task = client.video.query_and_wait(result["task_id"], poll_interval=0.1, max_wait=60)
    assert task["status"] == "Success" and task["download_url"]
    file = client.video.query_and_download(result["task_id"], poll_interval=0.1, max_wait=60)
    assert file["file"]["file_id"] == task["file_id"]
    video = httpx.get(file["file"]["download_url"], headers={"Authorization": f"Bearer {KEY}"})
    assert video.status_code == 200 and len(video.content) == file["file"]["bytes"]

    server.faults.minimax_error(1008)
    refused = client.video.create_from_image(first_frame_image=IMAGE)
    assert refused["base_resp"]["status_code"] == 1008 and not refused["task_id"]
