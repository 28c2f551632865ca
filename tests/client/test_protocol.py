"""The wire format: escaped paths, generation parsing in every dialect, errors as plain text."""

from __future__ import annotations

import json

import httpx
import pytest

from mql_notebook import errors
from mql_notebook.client import protocol
from mql_notebook.generation import Generation
from mql_notebook.status import normalize_status


@pytest.mark.parametrize(
    "hostile", ["a/b", "..", ".", "../../v1/videos/generations", "x?y=1", "x#y", "a\x00b", "%2e%2e"]
)
def test_hostile_ids_stay_one_path_segment(hostile: str) -> None:
    path = protocol.status_path(hostile)
    url = httpx.URL("http://h").join(path)
    assert url.path.startswith("/v1/videos/generations/")
    assert url.raw_path.decode().count("/") == 4
    assert "?" not in url.raw_path.decode() and "#" not in str(url)
    content = protocol.content_path(hostile)
    assert httpx.URL("http://h").join(content).raw_path.decode().endswith("/content")


@pytest.mark.parametrize("bad", ["", None, 5, "x" * 1000])
def test_unusable_ids_are_refused_locally(bad: object) -> None:
    with pytest.raises(errors.InvalidRequestError):
        protocol.status_path(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "word,expected",
    [
        ("pending", "pending"),
        ("queued", "pending"),
        ("processing", "processing"),
        ("in_progress", "processing"),
        ("completed", "completed"),
        ("SUCCEEDED", "completed"),
        ("success", "completed"),
        ("failed", "failed"),
        ("error", "failed"),
        ("expired", "failed"),
        ("cancelled", "cancelled"),
        ("canceled", "cancelled"),
        ("aborted", "cancelled"),
        ("rendering-on-mars", "processing"),
        (None, "processing"),
    ],
)
def test_every_vocabulary_normalises(word: object, expected: str) -> None:
    assert normalize_status(word) == expected


def test_generation_reads_like_the_seed_and_by_attribute() -> None:
    raw = {
        "video_id": "v1",
        "status": "succeeded",
        "progress": 100,
        "generations": [{"id": "a"}, {"id": "b"}],
    }
    gen = protocol.parse_generation(200, json.dumps(raw).encode(), operation="x")
    assert gen["id"] == "v1" and gen.id == "v1"
    assert gen["status"] == "completed" and gen.raw_status == "succeeded"
    assert gen.variant_ids == ["a", "b"]
    assert gen.raw == raw


@pytest.mark.parametrize(
    "body",
    [
        b"<html><title>502 Bad Gateway</title></html>",
        b"not json",
        b"[1, 2]",
        b'{"status": "pending"}',
    ],
)
def test_answers_that_are_not_generations_raise_invalid_response(body: bytes) -> None:
    with pytest.raises(errors.InvalidResponseError) as info:
        protocol.parse_generation(200, body, operation="creating a generation")
    assert "<html>" not in str(info.value)


def test_error_shapes_become_typed_errors_with_plain_text() -> None:
    e = protocol.error_from_response(
        400,
        {},
        b'{"error": {"message": "bad duration", "code": "invalid_duration"}}',
        operation="creating a generation",
    )
    assert (
        isinstance(e, errors.BadRequestError)
        and e.message == "bad duration"
        and e.code == "invalid_duration"
    )
    e = protocol.error_from_response(401, {}, b'{"error": "no key"}', operation="x")
    assert isinstance(e, errors.AuthenticationError) and e.message == "no key"
    e = protocol.error_from_response(429, {"retry-after": "3"}, b"{}", operation="x")
    assert isinstance(e, errors.RateLimitError) and e.retry_after == 3.0
    page = b"<!DOCTYPE html><html><head><title>Service Unavailable</title><script>alert(1)</script></head><body>...</body></html>"
    e = protocol.error_from_response(529, {}, page, operation="x", generation_id="g1")
    assert (
        isinstance(e, errors.ServerError)
        and "Service Unavailable" in str(e)
        and "<script>" not in str(e)
    )
    assert e.generation_id == "g1" and "g1" in str(e)
    assert isinstance(
        protocol.error_from_response(404, {}, b"", operation="x"), errors.NotFoundError
    )
    assert isinstance(
        protocol.error_from_response(409, {}, b"", operation="x"), errors.NotReadyError
    )


def test_generation_mapping_is_complete() -> None:
    gen = Generation({"id": "g", "status": "queued", "progress": 5}, id="g")
    assert dict(gen) == {"id": "g", "status": "pending", "progress": 5}
    assert gen.progress == 5.0 and not gen.done
