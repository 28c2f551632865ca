"""The emulator's MiniMax task route over plain HTTP: the shapes of its three answers, the
task's words in order, MiniMax-Hailuo-2.3 on both routes, first_frame_image checked (a URL or
a data URL; a local path refused, as the real one refuses it), bad input answered inside an
HTTP 200 (base_resp 2013), and the ``minimax:<code>`` switch for any base_resp code."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mql_notebook.local import LocalServer
from mql_notebook.local.minimax_codes import MINIMAX_CODES
from tests.images import picture, png

AUTH = {"Authorization": "Bearer mql_minimax_emulator"}
MODEL = "MiniMax-Hailuo-2.3"
IMAGE = "https://example.com/first.png"
PNG = "data:image/png;base64," + base64.b64encode(png(picture(64, 36))).decode()  # a real one


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.6)


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
        yield client


def create_task(http: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = http.post("/v1/videos/minimax/generations", json={"model": MODEL, **body})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_task_goes_through_minimaxs_words_to_a_file_on_storage(http: httpx.Client) -> None:
    created = create_task(http, first_frame_image=IMAGE, last_frame_image=PNG, duration=6)
    assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}
    task_id = created["task_id"]
    words: list[str] = []
    deadline = time.monotonic() + 30
    while True:
        task = http.get(f"/v1/videos/query/{task_id}").json()
        if not words or words[-1] != task["status"]:
            words.append(task["status"])
        if task["status"] in ("Success", "Fail"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert words[0] == "Preparing" and words[-1] == "Success"
    assert words == [w for w in ("Preparing", "Queueing", "Processing", "Success") if w in words]
    assert (task["video_width"], task["video_height"]) == (1366, 768)
    assert "download_url" not in task
    linked = http.get(f"/v1/videos/query/{task_id}", params={"include_download_url": "true"})
    assert linked.json()["download_url"].endswith(f"/v1/videos/{task_id}/content")

    answer = http.get(f"/v1/videos/download/{task['file_id']}").json()
    file = answer["file"]
    assert set(file) == {"file_id", "bytes", "created_at", "filename", "purpose", "download_url"}
    video = http.get(file["download_url"])
    assert video.status_code == 200 and len(video.content) == file["bytes"]
    assert video.content[4:8] == b"ftyp"
    # The job keeps both frames for the renderer; the generations route sees it too.
    status = http.get(f"/v1/videos/generations/{task_id}").json()
    assert status["first_frame_image"] == IMAGE  # a URL as sent; a data URL by what it held
    assert status["last_frame_image"]["type"] == "image/png"
    assert (status["last_frame_image"]["width"], status["last_frame_image"]["height"]) == (64, 36)


def test_hailuo_on_the_generations_route(http: httpx.Client) -> None:
    body = {"model": MODEL, "prompt": "A kite", "duration": 10, "resolution": "1080P"}
    answer = http.post("/v1/videos/generations", json=body).json()
    assert (answer["seconds"], answer["resolution"], answer["size"]) == (10, "1080P", "1920x1080")
    refused = http.post("/v1/videos/generations", json={**body, "duration": 5})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "duration"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"first_frame_image": "/home/me/cat.png"}, "cannot read a path on your disk"),
        ({"first_frame_image": "C:\\cat.png"}, "neither a public URL nor a data URL"),
        ({"first_frame_image": "file:///tmp/cat.png"}, "neither a public URL"),
        ({"first_frame_image": "data:image/png,rawbytes"}, "base64"),
        ({"first_frame_image": "data:image/png;base64,@@@"}, "not valid"),
        ({"first_frame_image": 7}, "string"),
        ({}, "prompt is required"),
        ({"prompt": "A kite", "duration": 8}, "[6, 10]"),
        ({"prompt": "A kite", "resolution": "768p"}, "'768P', '1080P'"),
        ({"prompt": "A kite", "model": "sora"}, "not served on the MiniMax task route"),
    ],
)
def test_bad_input_is_answered_inside_an_http_200(
    server: LocalServer, http: httpx.Client, body: dict[str, Any], words: str
) -> None:
    answer = create_task(http, **body)
    assert answer["base_resp"]["status_code"] == 2013 and words in answer["base_resp"]["status_msg"]
    assert not answer["task_id"]


def test_a_data_url_image_is_taken(http: httpx.Client) -> None:
    assert create_task(http, first_frame_image=PNG)["base_resp"]["status_code"] == 0


@pytest.mark.parametrize("code", sorted(MINIMAX_CODES))
def test_the_switch_answers_each_code_once(
    server: LocalServer, http: httpx.Client, code: int
) -> None:
    server.faults.minimax_error(code)
    jobs = len(server.emulator.jobs)
    answer = create_task(http, prompt="A kite")
    assert answer["base_resp"]["status_code"] == code and not answer["task_id"]
    assert len(server.emulator.jobs) == jobs  # nothing was made
    assert create_task(http, prompt="A kite")["base_resp"]["status_code"] == 0
    assert [r.fault for r in server.requests] == [f"minimax:{code}", None]


def test_the_switch_over_http_and_on_the_query(server: LocalServer, http: httpx.Client) -> None:
    task_id = create_task(http, prompt="A kite")["task_id"]
    set_up = http.post("/_emulator/faults", json={"script": {"status": ["minimax:1027"]}})
    assert set_up.status_code == 200
    answer = http.get(f"/v1/videos/query/{task_id}").json()
    assert answer == {
        "task_id": task_id,
        "base_resp": {"status_code": 1027, "status_msg": f"{MINIMAX_CODES[1027]} (injected)"},
    }
    with pytest.raises(ValueError, match="minimax takes a base_resp code"):
        server.faults.script("create", ["minimax:abc"])
