"""The emulator as a server: request log, memory bounds, lifecycle, the shared server, ``mql-notebook serve``."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import httpx
import pytest

from mql_notebook.local import LocalServer, RequestRecord
from tests.local.http_calls import AUTH, SEED_BODY, client_for, create, wait_terminal
from tests.local.mp4 import probe

pytestmark = pytest.mark.timeout(60)


# -- the request log ---------------------------------------------------------------


def test_the_request_log_proves_no_request_then_exactly_one_post():
    with LocalServer(pace=0) as server:
        assert server.requests == [] and server.count() == 0
        httpx.get(server.url + "/_emulator/requests")  # admin requests are not logged
        assert server.requests == []
        before = time.monotonic()
        response = httpx.post(
            server.url + "/v1/videos/generations",
            json=SEED_BODY,
            headers={**AUTH, "Idempotency-Key": "k-1"},
        )
        assert server.count("POST", "/v1/videos/generations") == 1
        assert server.count() == 1
        (record,) = server.requests
        assert isinstance(record, RequestRecord)
        assert (record.method, record.path, record.status, record.endpoint) == (
            "POST",
            "/v1/videos/generations",
            200,
            "create",
        )
        assert before <= record.time <= time.monotonic()
        assert abs(record.wall_time - time.time()) < 5
        assert record.idempotency_key == "k-1" and record.generation_id == response.json()["id"]
        assert record.fault is None and record.duration >= 0
        logged = httpx.get(server.url + "/_emulator/requests").json()["requests"]
        assert logged == [record.to_dict()]
        server.clear_requests()
        assert server.requests == []


def test_the_request_log_over_http_can_be_cleared():
    with LocalServer(pace=0) as server:
        httpx.get(server.url + "/v1/videos/generations/video_x", headers=AUTH)
        assert httpx.get(server.url + "/_emulator/requests").json()["requests"][0]["status"] == 404
        assert httpx.delete(server.url + "/_emulator/requests").json() == {"requests": []}
        assert server.count() == 0


# -- bounded memory ----------------------------------------------------------------


def test_finished_jobs_and_their_videos_expire_after_the_ttl():
    # A long TTL while the job renders and is read (a loaded machine may take seconds), then a
    # short one set over HTTP: the job and its video go once it has passed.
    with LocalServer(pace=0, ttl=60) as server, client_for(server.url) as client:
        generation = wait_terminal(client, create(client, aspect_ratio="1:1")["id"])
        assert client.get(f"/v1/videos/{generation['id']}/content").status_code == 200
        assert len(server.emulator.videos) == 1
        assert httpx.post(server.url + "/_emulator/settings", json={"ttl": 0.2}).status_code == 200
        time.sleep(0.5)
        assert client.get(f"/v1/videos/generations/{generation['id']}").status_code == 404
        assert client.get(f"/v1/videos/{generation['id']}/content").status_code == 404
        assert len(server.emulator.jobs) == 0 and len(server.emulator.videos) == 0


def test_the_job_count_is_capped_oldest_finished_first():
    with LocalServer(pace=0, max_jobs=3) as server, client_for(server.url) as client:
        stalled = create(client, prompt="still going [[stall]]")["id"]
        done = [
            wait_terminal(client, create(client, aspect_ratio="1:1")["id"])["id"] for _ in range(2)
        ]
        newest = create(client, aspect_ratio="1:1")["id"]  # a fourth: the oldest finished job goes
        assert len(server.emulator.jobs) == 3
        assert client.get(f"/v1/videos/generations/{done[0]}").status_code == 404
        for kept in (stalled, done[1], newest):
            assert client.get(f"/v1/videos/generations/{kept}").status_code == 200


def test_memory_bounds_can_change_at_runtime_over_http():
    with LocalServer(pace=0) as server:
        answer = httpx.post(
            server.url + "/_emulator/settings", json={"ttl": 10, "max_jobs": 5, "pace": 0.5}
        )
        assert (
            answer.json()["ttl"] == 10
            and answer.json()["max_jobs"] == 5
            and answer.json()["pace"] == 0.5
        )
        assert server.pace == 0.5 and server.emulator.jobs.max_jobs == 5
        for bad in ({"max_jobs": 0}, {"ttl": -1}, {"pace": "fast"}, {"colour": "red"}):
            assert httpx.post(server.url + "/_emulator/settings", json=bad).status_code == 400, bad


# -- lifecycle -----------------------------------------------------------------------


def _server_threads() -> list[str]:
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("mql-local-server", "mql-render"))
    ]


def test_start_and_stop_release_the_port_and_the_thread():
    server = LocalServer(pace=0)
    with pytest.raises(RuntimeError, match="not started"):
        server.url  # noqa: B018
    with server:
        assert server.running
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        port = server.port
        assert httpx.get(server.url + "/_emulator").json()["emulator"] == "mql-notebook"
    assert not server.running and _server_threads() == []
    server.stop()  # idempotent
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_emulator")


def test_a_stopped_server_can_start_again():
    server = LocalServer(pace=0)
    for _ in range(2):
        with server, client_for(server.url) as client:
            assert (
                wait_terminal(client, create(client, aspect_ratio="1:1")["id"])["status"]
                == "completed"
            )
    assert _server_threads() == []


def test_stop_does_not_wait_for_a_slow_request():
    with LocalServer(pace=0, faults={"status": {"latency": 30}}) as server:
        threading.Thread(
            target=lambda: _ignore_errors(
                lambda: httpx.get(server.url + "/v1/videos/generations/x", headers=AUTH, timeout=40)
            ),
            daemon=True,
        ).start()
        time.sleep(0.2)
        start = time.monotonic()
    assert time.monotonic() - start < 8


def _ignore_errors(call) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


async def test_it_serves_from_inside_a_running_event_loop():
    with LocalServer(pace=0) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
            created = (await client.post("/v1/videos/generations", json=SEED_BODY)).json()
            status = await client.get(f"/v1/videos/generations/{created['id']}")
            assert status.status_code == 200


def test_status_stays_fast_while_a_long_video_renders():
    # A loose guard only; bench/bench_render.py measures the percentiles.
    with LocalServer(pace=0) as server, client_for(server.url) as client:
        big = create(client, duration=10, resolution="720p", prompt="a long render")
        latencies = []
        while client.get(f"/v1/videos/generations/{big['id']}").json()["status"] != "completed":
            start = time.perf_counter()
            client.get("/v1/videos/generations/video_x")
            latencies.append(time.perf_counter() - start)
            time.sleep(0.01)
        assert len(latencies) > 20
        latencies.sort()
        assert latencies[len(latencies) // 2] < 0.05 and latencies[-1] < 0.5


def _run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_shared_server_is_one_per_process_and_takes_its_pace_from_the_environment():
    result = _run_python(
        """
        import threading
        import httpx
        from mql_notebook.local import shared_server
        first = shared_server()
        assert shared_server() is first
        assert httpx.get(first.url + "/_emulator").status_code == 200
        print(first.pace)
    """,
        env={"MQL_LOCAL_PACE": "0.25"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.25"
    assert result.stderr == ""  # stopped cleanly at exit, nothing printed


def test_without_the_local_extra_the_import_error_says_what_to_install():
    result = _run_python("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "av":
                    raise ImportError("No module named 'av'", name="av")
        sys.meta_path.insert(0, Block())
        try:
            import mql_notebook.local
        except ImportError as err:
            print(err)
    """)
    assert "pip install 'mql-notebook[local]'" in result.stdout, result.stdout + result.stderr


# -- mql-notebook serve ----------------------------------------------------------------


def _start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mql_notebook.cli", "serve", "--port", "0", "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    try:
        first = lines.get(timeout=30)
    except queue.Empty:
        process.kill()
        raise AssertionError("mql-notebook serve printed nothing") from None
    match = re.search(r"http://127\.0\.0\.1:\d+", first)
    assert match, first
    process.lines = lines  # type: ignore[attr-defined]
    return process, match.group(0)


def _stop_serve(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in process.stderr.read()


def test_serve_answers_the_seed_curl_request_and_serves_the_mp4():
    process, url = _start_serve(
        "--pace", "1", "--fault-seed", "1", "--script", "create=rate_limit:3"
    )
    try:
        # The seed page's cURL example, as cURL sends it.
        headers = {"Authorization": "Bearer mql_your_key", "Content-Type": "application/json"}
        body = '{\n    "model": "sora",\n    "prompt": "A timelapse of a flower blooming in a garden"\n  }'
        limited = httpx.post(url + "/v1/videos/generations", headers=headers, content=body)
        assert (
            limited.status_code == 429 and limited.headers["retry-after"] == "3"
        )  # --script works
        start = time.monotonic()
        created = httpx.post(url + "/v1/videos/generations", headers=headers, content=body)
        assert created.status_code == 200
        generation = created.json()
        assert generation["status"] == "pending" and generation["model"] == "sora"
        with httpx.Client(base_url=url, headers=headers, timeout=15) as client:
            done = wait_terminal(client, generation["id"])
            assert done["status"] == "completed" and 0.9 <= time.monotonic() - start < 5
            video = client.get(done["download_url"])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        info = probe(video.content)
        assert (info["codec"], info["width"], info["height"]) == ("h264", 854, 480)
        assert abs(info["duration"] - 5) <= 1 / 24
        # The admin routes configure a server in another process.
        httpx.post(url + "/_emulator/faults", json={"create": {"overloaded": 1}})
        assert (
            httpx.post(url + "/v1/videos/generations", headers=headers, content=body).status_code
            == 529
        )
        log = httpx.get(url + "/_emulator/requests").json()["requests"]
        assert [r["status"] for r in log if r["endpoint"] == "create"] == [429, 200, 529]
    finally:
        _stop_serve(process)


def test_serve_refuses_bad_settings_with_a_usage_error():
    for args in (
        ["--fault", "create.rate_limit=2"],
        ["--fault", "nonsense"],
        ["--pace", "-1"],
        ["--script", "moon=drop"],
        ["--vocabulary", "klingon"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mql_notebook.cli", "serve", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
