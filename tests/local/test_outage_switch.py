"""The emulator's outage switch: an endpoint down for a while, from Python or over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mql_notebook.local import LocalServer
from mql_notebook.local.outages import Outages

AUTH = {"Authorization": "Bearer mql_outage"}
BODY = {"model": "sora", "prompt": "Rain on a window"}


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.2)


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=15) as client:
        yield client


@pytest.mark.parametrize(
    "kind,status,text",
    [("503_html", 503, "<title>503"), ("502", 502, "Bad Gateway"), ("504", 504, "Gateway")],
)
def test_a_status_outage_answers_a_proxy_page_while_other_endpoints_work(
    server: LocalServer, http: httpx.Client, kind: str, status: int, text: str
) -> None:
    job = http.post("/v1/videos/generations", json=BODY).json()
    server.faults.outage(endpoint="status", seconds=60, kind=kind)
    for _ in range(3):
        answer = http.get(f"/v1/videos/generations/{job['id']}")
        assert answer.status_code == status and text in answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert "retry-after" not in answer.headers
    assert http.post("/v1/videos/generations", json=BODY).status_code == 200
    labels = [r.fault for r in server.requests if r.endpoint == "status"]
    assert labels == [f"outage:server_error:{status}"] * 3


def test_a_refused_outage_cuts_the_connection_without_an_answer(
    server: LocalServer, http: httpx.Client
) -> None:
    job = http.post("/v1/videos/generations", json=BODY).json()
    server.faults.outage(endpoint="status", seconds=60, kind="refused")
    with pytest.raises(httpx.TransportError):
        http.get(f"/v1/videos/generations/{job['id']}")
    record = server.requests[-1]
    assert (record.endpoint, record.status, record.fault) == ("status", None, "outage:refused")


def test_529_is_the_apis_json_overloaded_error(server: LocalServer, http: httpx.Client) -> None:
    server.faults.outage(endpoint="*", seconds=60, kind="529")
    answer = http.post("/v1/videos/generations", json=BODY)
    assert answer.status_code == 529 and answer.json()["error"]["code"] == "overloaded"


def test_an_outage_over_http_shows_in_the_settings_and_reset_ends_it(
    server: LocalServer, http: httpx.Client
) -> None:
    job = http.post("/v1/videos/generations", json=BODY).json()
    set_ = http.post(
        "/_emulator/faults", json={"outage": {"endpoint": "status", "seconds": 30, "kind": "502"}}
    )
    assert set_.status_code == 200
    outage = set_.json()["outages"]["status"]
    assert outage["kind"] == "502" and 0 < outage["remaining"] <= 30
    assert server.faults.active
    assert http.get(f"/v1/videos/generations/{job['id']}").status_code == 502
    assert http.delete("/_emulator/faults").json()["outages"] == {}
    assert http.get(f"/v1/videos/generations/{job['id']}").status_code == 200


@pytest.mark.parametrize(
    "outage",
    [
        {"endpoint": "status", "seconds": 5, "kind": "teapot"},
        {"endpoint": "nowhere", "seconds": 5},
        {"endpoint": "status", "seconds": -1},
        {"endpoint": "status", "seconds": "5"},
        {"endpoint": "status", "minutes": 5},
        "status",
    ],
)
def test_bad_outage_settings_are_a_400(http: httpx.Client, outage: object) -> None:
    answer = http.post("/_emulator/faults", json={"outage": outage})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_faults"


def test_an_outage_ends_by_itself_when_its_time_is_up() -> None:
    now = [100.0]
    outages = Outages(clock=lambda: now[0])
    outages.start("*", seconds=15, kind="refused")
    assert outages.kind("status") == outages.kind("create") == "refused"
    now[0] = 114.9
    assert outages.kind("content") == "refused"
    assert outages.to_dict()["status"] == {"kind": "refused", "remaining": 0.1}
    now[0] = 115.0
    assert outages.kind("status") is None and outages.to_dict() == {}
