"""The emulator's API over real HTTP: paths, auth, validation, job progression, variants, vocabularies."""

from __future__ import annotations

import time

import httpx
import pytest

from mql_notebook.local import VOCABULARIES, LocalServer
from mql_notebook.status import normalize_status
from tests.local.http_calls import AUTH, KEY, SEED_BODY, client_for, create, wait_terminal

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server(local_server):
    return local_server(pace=0)


@pytest.fixture
def client(server):
    server.vocabulary = "api"
    with client_for(server.url) as client:
        yield client


def test_create_answers_a_generation_object_with_the_api_fields(client):
    before = time.time()
    response = client.post("/v1/videos/generations", json=SEED_BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"].startswith("video_")
    assert body["object"] == "video"
    assert isinstance(body["created_at"], int) and before - 1 <= body["created_at"] <= time.time()
    assert body["status"] in ("pending", "processing", "completed")
    assert body["model"] == "sora" and body["prompt"] == SEED_BODY["prompt"]
    assert isinstance(body["progress"], int) and 0 <= body["progress"] <= 100
    # The documented defaults: 5 s, 16:9, n = 1, 480p.
    assert body["size"] == "854x480"
    assert body["seconds"] == 5
    assert body["resolution"] == "480p"
    assert body["aspect_ratio"] == "16:9"
    assert body["n_variants"] == 1


def test_status_then_content_at_their_exact_paths(client):
    generation_id = create(client)["id"]
    done = wait_terminal(client, generation_id)
    assert done["status"] == "completed" and done["progress"] == 100
    assert "generations" not in done  # one video: at the job id
    assert done["download_url"] == f"{server_url(client)}/v1/videos/{generation_id}/content"
    content = httpx.get(done["download_url"], headers=AUTH)
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"


def server_url(client) -> str:
    return str(client.base_url).rstrip("/")


def test_options_are_echoed_and_sized(client):
    body = create(
        client, model="sora-1.0-turbo", aspect_ratio="9:16", duration=10, resolution="720p", n=2
    )
    assert (
        body["model"],
        body["aspect_ratio"],
        body["seconds"],
        body["resolution"],
        body["n_variants"],
    ) == ("sora-1.0-turbo", "9:16", 10, "720p", 2)
    assert body["size"] == "720x1280"


@pytest.mark.parametrize(
    "path,method",
    [
        ("/v1/videos/generations", "POST"),
        ("/v1/videos/generations/video_x", "GET"),
        ("/v1/videos/video_x/content", "GET"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "mql_abc",
        "Basic bXFsX2FiYw==",
        "Bearer",
        "Bearer sk-abc",
        "Bearer mql_",
        "Token mql_abc",
    ],
)
def test_missing_or_malformed_key_gets_401_json(server, path, method, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.request(method, server.url + path, headers=headers, json=SEED_BODY)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert response.json()["error"]["message"]


def test_any_mql_key_is_accepted_and_the_scheme_is_case_insensitive(server):
    for header in ("Bearer mql_anything", "bearer mql_x", "BEARER mql_123"):
        response = httpx.post(
            server.url + "/v1/videos/generations", headers={"Authorization": header}, json=SEED_BODY
        )
        assert response.status_code == 200, header


def test_a_fixed_key_refuses_every_other_key():
    with LocalServer(pace=0, api_key="mql_fixed") as server:
        other = httpx.post(server.url + "/v1/videos/generations", headers=AUTH, json=SEED_BODY)
        assert other.status_code == 401 and other.json()["error"]["code"] == "invalid_api_key"
        right = httpx.post(
            server.url + "/v1/videos/generations",
            headers={"Authorization": "Bearer mql_fixed"},
            json=SEED_BODY,
        )
        assert right.status_code == 200


def test_a_fixed_key_must_look_like_a_metriqual_key():
    with pytest.raises(ValueError, match="mql_"):
        LocalServer(api_key="sk-123")


BAD_OPTIONS = [
    # (changes to the seed body, the field named, a fragment of the allowed values)
    ({"model": None}, "model", "'sora', 'sora-1.0-turbo'"),
    ({"model": "sora 2"}, "model", "'sora', 'sora-1.0-turbo'"),  # malformed; unknown: 404
    ({"model": 5}, "model", "'sora'"),
    ({"model": ""}, "model", "'sora'"),
    ({"prompt": None}, "prompt", "at most 4000 characters"),
    ({"prompt": ""}, "prompt", "non-blank"),
    ({"prompt": "   \n"}, "prompt", "non-blank"),
    ({"prompt": 42}, "prompt", "string"),
    ({"prompt": ["a", "b"]}, "prompt", "string"),
    ({"prompt": "x" * 4001}, "prompt", "4000"),
    ({"prompt": "nul\x00byte"}, "prompt", "4000"),
    ({"aspect_ratio": "4:3"}, "aspect_ratio", "'16:9', '9:16', '1:1'"),
    ({"aspect_ratio": 1.77}, "aspect_ratio", "'16:9'"),
    ({"duration": 7}, "duration", "5, 10, 15, 20"),
    ({"duration": "5"}, "duration", "5, 10, 15, 20"),
    ({"duration": 5.0}, "duration", "5, 10, 15, 20"),
    ({"duration": True}, "duration", "5, 10, 15, 20"),
    ({"duration": -5}, "duration", "5, 10, 15, 20"),
    ({"n": 0}, "n", "from 1 to 4"),
    ({"n": 5}, "n", "from 1 to 4"),
    ({"n": 1000000}, "n", "from 1 to 4"),
    ({"n": "2"}, "n", "from 1 to 4"),
    ({"n": 1.5}, "n", "from 1 to 4"),
    ({"resolution": "4k"}, "resolution", "'480p', '720p', '1080p'"),
    ({"resolution": 720}, "resolution", "'480p'"),
]


@pytest.mark.parametrize(
    "changes,field,allowed", BAD_OPTIONS, ids=[f"{f}={c[f]!r}"[:40] for c, f, _ in BAD_OPTIONS]
)
def test_each_bad_option_gets_400_naming_the_field_and_allowed_values(
    client, changes, field, allowed
):
    body = {**SEED_BODY, **changes}
    body = {k: v for k, v in body.items() if v is not None}  # None: the field left out
    response = client.post("/v1/videos/generations", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == f"invalid_{field}"
    assert error["param"] == field
    assert field in error["message"] and allowed in error["message"]


@pytest.mark.parametrize(
    "raw,code",
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b"model=sora&prompt=x", "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b"[" * 100_000, "invalid_json"),
        (b'{"model": "sora", "prompt": NaN', "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'"a prompt"', "invalid_body"),
        (b"null", "invalid_body"),
        (b"42", "invalid_body"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_400(client, raw, code):
    response = client.post(
        "/v1/videos/generations", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_huge_body_gets_413_not_a_hang(client):
    response = client.post(
        "/v1/videos/generations", content=b'{"prompt": "' + b"x" * 2_000_000 + b'"}'
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_unknown_routes_and_methods_get_json_errors(client):
    assert client.get("/v1/nothing").json()["error"]["code"] == "not_found"
    response = client.delete("/v1/videos/generations/video_x")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


def test_unknown_generation_is_404_json(client):
    response = client.get("/v1/videos/generations/video_doesnotexist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def _progression(client) -> list[tuple[str, int, float]]:
    start = time.monotonic()
    generation_id = create(client)["id"]
    seen = []
    while True:
        body = client.get(f"/v1/videos/generations/{generation_id}").json()
        seen.append((body["status"], body["progress"], time.monotonic() - start))
        if body["status"] in ("completed", "failed"):
            return seen
        assert time.monotonic() - start < 10
        time.sleep(0.03)


def test_a_job_moves_pending_processing_completed_with_rising_progress():
    with LocalServer(pace=1.0) as server, client_for(server.url) as client:
        seen = _progression(client)
    statuses = [s for s, _, _ in seen]
    order = {"pending": 0, "processing": 1, "completed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    assert {"pending", "processing", "completed"} <= set(statuses)
    progress = [p for _, p, _ in seen]
    assert progress == sorted(progress) and progress[0] == 0 and progress[-1] == 100
    assert len({p for s, p, _ in seen if s == "processing"}) >= 5
    assert 0.9 <= seen[-1][2] < 3.0  # completed about one pace after create
    first_processing = next(t for s, _, t in seen if s == "processing")
    assert 0.1 <= first_processing <= 0.4  # pending for roughly the first 15% of the pace


def test_pace_zero_completes_as_soon_as_rendered(client):
    seen = _progression(client)
    assert seen[-1][0] == "completed"
    assert "pending" not in [s for s, _, _ in seen]
    assert seen[-1][2] < 5


def test_n_variants_are_listed_downloadable_and_different(client):
    done = wait_terminal(client, create(client, n=3, prompt="three foxes")["id"])
    assert done["status"] == "completed" and done["n_variants"] == 3
    ids = [item["id"] for item in done["generations"]]
    assert len(ids) == 3 == len(set(ids))
    bodies = []
    for item in done["generations"]:
        response = client.get(f"/v1/videos/{item['id']}/content")
        assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
        assert item["download_url"].endswith(f"/v1/videos/{item['id']}/content")
        bodies.append(response.content)
    assert len(set(bodies)) == 3
    assert (
        client.get(f"/v1/videos/{done['id']}/content").content == bodies[0]
    )  # the job id: the first variant
    # A variant id is not a generation of its own.
    assert client.get(f"/v1/videos/generations/{ids[1]}").status_code == 404


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_each_vocabulary_speaks_its_words_for_every_state(name):
    words = VOCABULARIES[name]
    with LocalServer(pace=0.3, vocabulary=name) as server, client_for(server.url) as client:
        normal = create(client)
        failing = create(client, prompt="this one fails [[fail]]")
        seen = {normal["status"]}
        while True:
            body = client.get(f"/v1/videos/generations/{normal['id']}").json()
            seen.add(body["status"])
            if body["status"] == words["completed"]:
                break
            time.sleep(0.02)
        failed = wait_terminal(client, failing["id"], terminal={words["failed"]})
    assert seen == {words["pending"], words["processing"], words["completed"]}
    assert failed["error"]["code"]
    # The product's own normaliser understands every dialect the emulator speaks.
    for state, word in words.items():
        assert normalize_status(word) == state


def test_vocabulary_can_change_at_runtime_from_python_and_http(server, client):
    generation_id = wait_terminal(client, create(client)["id"])["id"]
    server.vocabulary = "python"
    assert client.get(f"/v1/videos/generations/{generation_id}").json()["status"] == "succeeded"
    settings = httpx.post(server.url + "/_emulator/settings", json={"vocabulary": "shouting"})
    assert settings.status_code == 200 and settings.json()["vocabulary"] == "shouting"
    assert client.get(f"/v1/videos/generations/{generation_id}").json()["status"] == "COMPLETED"
    server.vocabulary = {"completed": "done"}
    assert client.get(f"/v1/videos/generations/{generation_id}").json()["status"] == "done"
    bad = httpx.post(server.url + "/_emulator/settings", json={"vocabulary": "klingon"})
    assert bad.status_code == 400 and "klingon" in bad.json()["error"]["message"]
    server.vocabulary = "api"


def test_an_idempotency_key_replays_the_same_job(server, client):
    headers = {"Idempotency-Key": "click-1"}
    jobs_before = len(server.emulator.jobs)
    first = client.post("/v1/videos/generations", json=SEED_BODY, headers=headers)
    again = client.post("/v1/videos/generations", json=SEED_BODY, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(server.emulator.jobs) == jobs_before + 1
    other = client.post(
        "/v1/videos/generations", json=SEED_BODY, headers={"Idempotency-Key": "click-2"}
    )
    assert other.json()["id"] != first.json()["id"]
    conflict = client.post(
        "/v1/videos/generations", json={**SEED_BODY, "prompt": "another"}, headers=headers
    )
    assert (
        conflict.status_code == 400 and conflict.json()["error"]["code"] == "idempotency_key_reused"
    )
    # Keys belong to an API key: another caller's same key is another job.
    stranger = httpx.post(
        server.url + "/v1/videos/generations",
        json=SEED_BODY,
        headers={"Authorization": "Bearer mql_someone_else", **headers},
    )
    assert stranger.json()["id"] != first.json()["id"]
    assert KEY != "mql_someone_else"
