"""Fault injection over real HTTP: each kind, per endpoint, scripted, seeded, and from HTTP."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from mql_notebook.local import Faults, LocalServer, parse_fault_spec
from tests.local.http_calls import SEED_BODY, client_for, create, wait_terminal

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server(local_server):
    return local_server(pace=0)  # no faults, unseeded, an empty request log


@pytest.fixture
def client(server):
    with client_for(server.url) as client:
        yield client


def post(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/videos/generations", json=SEED_BODY)


def test_latency_is_added_per_endpoint(server, client):
    generation_id = wait_terminal(client, create(client)["id"])["id"]
    server.faults.set("status", latency=0.3)
    start = time.monotonic()
    assert client.get(f"/v1/videos/generations/{generation_id}").status_code == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    assert post(client).status_code == 200
    assert time.monotonic() - start < 0.25  # create has no latency set
    assert server.requests[-2].fault == "latency:0.3"


def test_rate_limit_is_429_with_retry_after_in_seconds(server, client):
    server.faults.set("create", rate_limit=1, retry_after=7)
    jobs = len(server.emulator.jobs)
    response = post(client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert len(server.emulator.jobs) == jobs  # refused: nothing was created


def test_rate_limit_retry_after_as_an_http_date(server, client):
    server.faults.set("create", rate_limit=1, retry_after=30, retry_after_format="date")
    response = post(client)
    assert response.status_code == 429
    when = email.utils.parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert 25 <= when - time.time() <= 35


def test_server_errors_are_500_json_or_502_503_html(server, client):
    server.faults.reseed(3)
    server.faults.set("create", server_error=1)
    statuses = set()
    for _ in range(30):
        response = post(client)
        statuses.add(response.status_code)
        if response.status_code == 500:
            assert response.json()["error"]["code"] == "server_error"
        else:
            assert response.headers["content-type"].startswith("text/html")
            assert f"<title>{response.status_code}" in response.text
    assert statuses == {500, 502, 503}


def test_overloaded_is_529(server, client):
    server.faults.set("create", overloaded=1)
    response = post(client)
    assert response.status_code == 529 and response.json()["error"]["code"] == "overloaded"


def test_a_dropped_create_still_creates_the_job(server, client):
    server.faults.script("create", ["drop"])
    jobs = len(server.emulator.jobs)
    with pytest.raises(httpx.RemoteProtocolError):
        post(client)
    assert len(server.emulator.jobs) == jobs + 1  # the answer was lost, not the job
    record = server.requests[-1]
    assert record.status is None and record.fault == "drop" and record.generation_id
    # The job exists and completes; the connection pool recovers.
    assert wait_terminal(client, record.generation_id)["status"] == "completed"


def test_a_dropped_status_or_content_request(server, client):
    generation_id = wait_terminal(client, create(client)["id"])["id"]
    server.faults.script("status", ["drop"])
    server.faults.script("content", ["drop"])
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/v1/videos/generations/{generation_id}")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/v1/videos/{generation_id}/content")
    assert client.get(f"/v1/videos/{generation_id}/content").status_code == 200


def test_a_truncated_content_body_keeps_the_full_content_length(server, client):
    generation_id = wait_terminal(client, create(client)["id"])["id"]
    full = client.get(f"/v1/videos/{generation_id}/content").content
    server.faults.set("content", truncate=1)
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("GET", f"/v1/videos/{generation_id}/content") as response:
            assert response.status_code == 200
            assert int(response.headers["content-length"]) == len(full)
            for chunk in response.iter_raw():
                received += chunk
    assert 0 < len(received) < len(full)
    assert bytes(received) == full[: len(received)]
    assert server.requests[-1].fault == "truncate"


def test_a_truncated_json_answer(server, client):
    server.faults.script("create", ["truncate"])
    with pytest.raises(httpx.RemoteProtocolError):
        post(client)


def _statuses(url: str, n: int = 24) -> list[int]:
    with client_for(url) as client:
        return [post(client).status_code for _ in range(n)]


def test_faults_are_reproducible_with_a_fault_seed():
    settings = {"create": {"rate_limit": 0.3, "server_error": 0.2, "overloaded": 0.1}}
    with (
        LocalServer(pace=0, fault_seed=42, faults=settings) as a,
        LocalServer(pace=0, fault_seed=42, faults=settings) as b,
    ):
        first, second = _statuses(a.url), _statuses(b.url)
        assert first == second
        assert len(set(first)) >= 3  # a mix, not all one outcome
        a.faults.reseed(42)
        assert _statuses(a.url) == first
        a.faults.reseed(43)
        assert _statuses(a.url) != first


def test_the_fault_seed_sequence_of_one_endpoint_ignores_the_others():
    with (
        LocalServer(pace=0, fault_seed=5, faults={"create": {"rate_limit": 0.5}}) as server,
        client_for(server.url) as client,
    ):
        plain = [post(client).status_code for _ in range(12)]
        server.faults.reseed(5)
        mixed = []
        for _ in range(12):
            client.get(
                "/v1/videos/generations/video_x"
            )  # status requests draw from their own sequence
            mixed.append(post(client).status_code)
        assert plain == mixed


def test_a_script_queues_one_shot_faults(server, client):
    server.faults.script(
        "create", ["rate_limit:2", "ok", "server_error:503", "overloaded", "latency:0.2"]
    )
    first = post(client)
    assert first.status_code == 429 and first.headers["retry-after"] == "2"
    assert post(client).status_code == 200
    assert post(client).status_code == 503
    assert post(client).status_code == 529
    start = time.monotonic()
    assert post(client).status_code == 200 and time.monotonic() - start >= 0.2
    assert post(client).status_code == 200  # the script is used up
    assert [r.fault for r in server.requests] == [
        "rate_limit",
        None,
        "server_error:503",
        "overloaded",
        "latency:0.2",
        None,
    ]


def test_a_job_can_fail_with_an_error_object_at_about_half_pace():
    with (
        LocalServer(pace=0.6, faults={"job": {"fail": 1}}) as server,
        client_for(server.url) as client,
    ):
        start = time.monotonic()
        generation = create(client)
        failed = wait_terminal(client, generation["id"])
        took = time.monotonic() - start
    assert failed["status"] == "failed"
    assert (
        failed["error"]["code"] == "generation_failed" and "job.fail" in failed["error"]["message"]
    )
    assert 0.25 <= took <= 0.6
    assert "download_url" not in failed


def test_a_stalled_job_never_finishes_and_its_progress_freezes():
    with (
        LocalServer(pace=0.3, faults={"job": {"stall": 1}}) as server,
        client_for(server.url) as client,
    ):
        generation = create(client)
        time.sleep(0.6)
        seen = {
            (body["status"], body["progress"])
            for body in (
                client.get(f"/v1/videos/generations/{generation['id']}").json() for _ in range(5)
            )
        }
        time.sleep(0.3)
        later = client.get(f"/v1/videos/generations/{generation['id']}").json()
    assert len(seen) == 1
    status, progress = seen.pop()
    assert status == "processing" and 0 < progress < 100
    assert (later["status"], later["progress"]) == (status, progress)


@pytest.mark.parametrize(
    "prompt,status",
    [
        ("A cat [[fail]]", "failed"),
        ("[[FAIL]] shouting", "failed"),
        ("A dog [[stall]]", "processing"),
    ],
)
def test_prompt_markers_trigger_job_faults(client, prompt, status):
    generation = create(client, prompt=prompt)
    time.sleep(0.05)
    body = wait_terminal(client, generation["id"], terminal={"failed", "completed", "processing"})
    if status == "processing":
        time.sleep(0.2)
        body = client.get(f"/v1/videos/generations/{generation['id']}").json()
    assert body["status"] == status
    if status == "failed":
        assert "[[fail]]" in body["error"]["message"]


def test_a_job_script(server, client):
    server.faults.script("job", ["fail", "ok"])
    first, second = create(client), create(client)
    assert wait_terminal(client, first["id"])["status"] == "failed"
    assert wait_terminal(client, second["id"])["status"] == "completed"
    assert server.requests[0].fault == "job:fail"


def test_faults_over_http(server, client):
    admin = httpx.Client(base_url=server.url + "/_emulator")
    configured = admin.post(
        "/faults",
        json={
            "fault_seed": 1,
            "create": {"rate_limit": 1, "retry_after": 4},
            "script": {"status": ["drop"]},
        },
    )
    assert configured.status_code == 200
    assert configured.json()["create"]["rate_limit"] == 1.0 and configured.json()["fault_seed"] == 1
    assert configured.json()["script"] == {"status": ["drop"]}
    assert post(client).headers["retry-after"] == "4"
    assert admin.get("/faults").json()["create"]["retry_after"] == 4
    assert admin.delete("/faults").json()["create"]["rate_limit"] == 0
    assert post(client).status_code == 200
    for bad in (
        {"create": {"rate_limit": 2}},
        {"create": {"nope": 1}},
        {"moon": {}},
        {"script": {"job": ["drop"]}},
        {"create": {"latency": -1}},
        [1, 2],
    ):
        response = admin.post("/faults", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] in ("invalid_faults", "invalid_body")
    assert admin.get("/faults").status_code == 200
    assert server.count(endpoint=None) == server.count()  # admin requests are not logged
    assert all(not r.path.startswith("/_emulator") for r in server.requests)


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("create.rate_limit=0.2", ("create", "rate_limit", 0.2)),
        ("*.latency=0.5", ("*", "latency", 0.5)),
        ("job.fail=1", ("job", "fail", 1.0)),
        ("content.retry_after_format=date", ("content", "retry_after_format", "date")),
    ],
)
def test_fault_specs_parse(spec, expected):
    assert parse_fault_spec(spec) == expected


@pytest.mark.parametrize(
    "action",
    [
        lambda f: f.apply("create.rate_limit=1.5"),
        lambda f: f.apply("create.rate_limit=lots"),
        lambda f: f.apply("moon.rate_limit=0.1"),
        lambda f: f.apply("create.fail=0.1"),
        lambda f: f.apply("rate_limit=0.1"),
        lambda f: f.set("status", latency=-1),
        lambda f: f.set("status", retry_after_format="weeks"),
        lambda f: f.script("create", ["explode"]),
        lambda f: f.script("create", ["server_error:418"]),
        lambda f: f.script("job", ["drop"]),
        lambda f: setattr(f.create, "drop", 2),
    ],
)
def test_bad_fault_settings_are_refused(action):
    with pytest.raises(ValueError):
        action(Faults())


def test_faults_from_python_in_every_form():
    faults = Faults(fault_seed=1, create={"rate_limit": 0.1}, job={"stall": 0.5})
    faults.apply("*.latency=0.25")
    faults.status.server_error = 0.5
    snapshot = faults.to_dict()
    assert snapshot["create"]["rate_limit"] == 0.1 and snapshot["job"]["stall"] == 0.5
    assert {snapshot[e]["latency"] for e in ("create", "status", "content")} == {0.25}
    assert snapshot["status"]["server_error"] == 0.5
    faults.reset()
    assert not faults.active and faults.fault_seed == 1


def test_the_fault_seed_is_fault_seed_not_seed():
    # "seed" is a create request's field (what the video looks like): the faults JSON refuses it
    # and names the setting meant.
    faults = Faults()
    with pytest.raises(ValueError, match="fault_seed"):
        faults.update({"seed": 3})
    faults.update({"fault_seed": 3})
    assert faults.fault_seed == 3 and faults.to_dict()["fault_seed"] == 3
    assert "seed" not in faults.to_dict()
