"""The rules for content behind redirects (client/redirects.py) and the download's own decisions."""

from __future__ import annotations

import httpx
import pytest

from mql_notebook import DownloadError
from mql_notebook.client.download import expected_total, is_not_video, resume_headers
from mql_notebook.client.redirects import (
    MAX_REDIRECTS,
    describe,
    fallback_url,
    may_carry_credentials,
    next_hop,
    redirect_location,
    signed_url_expired,
)

API = httpx.URL("https://api.example.com/v1/videos/v1/content")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/other",
        "https://API.example.com:443/v1/videos/x/content?variant=video",
    ],
)
def test_the_key_may_go_back_to_the_api_origin(url: str) -> None:
    assert may_carry_credentials(httpx.URL(url), API)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v1/videos/v1/content",  # another scheme
        "https://api.example.com:8443/v1/videos/v1/content",  # another port
        "https://storage.example.com/blob/v1",  # another host
        "https://example.com/",  # the parent domain is another origin too
        "https://api.example.com.evil.net/",
    ],
)
def test_the_key_never_goes_to_another_origin(url: str) -> None:
    assert not may_carry_credentials(httpx.URL(url), API)


def test_loopback_ports_are_separate_origins() -> None:
    api = httpx.URL("http://127.0.0.1:8000/v1/videos/a/content")
    assert not may_carry_credentials(httpx.URL("http://127.0.0.1:8001/blob/a"), api)
    assert may_carry_credentials(httpx.URL("http://127.0.0.1:8000/blob/a"), api)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_followed(status: int) -> None:
    assert redirect_location(status, {"location": "/x"}) == "/x"


@pytest.mark.parametrize("status", [200, 206, 300, 304, 305, 404])
def test_other_statuses_are_not_redirects(status: int) -> None:
    assert redirect_location(status, {"location": "/x"}) is None


def test_a_redirect_without_location_is_an_error() -> None:
    with pytest.raises(DownloadError, match="no Location"):
        redirect_location(302, {})


def test_next_hop_resolves_relative_locations() -> None:
    here = httpx.URL("https://api.example.com/v1/videos/a/content")
    assert next_hop(here, "/blob/a?sig=1", [here]) == httpx.URL(
        "https://api.example.com/blob/a?sig=1"
    )
    assert next_hop(here, "//cdn.example.net/a", [here]) == httpx.URL("https://cdn.example.net/a")


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://example.com/a.mp4", "javascript:alert(1)", "data:,x"]
)
def test_redirects_to_other_schemes_are_refused(location: str) -> None:
    with pytest.raises(DownloadError, match="only http and https"):
        next_hop(API, location, [API])


def test_a_loop_is_named_as_one() -> None:
    a, b = httpx.URL("https://s.example.com/a"), httpx.URL("https://s.example.com/b")
    with pytest.raises(DownloadError, match="loop"):
        next_hop(b, "/a", [API, a, b])


def test_too_many_hops_stop() -> None:
    visited = [httpx.URL(f"https://s.example.com/{i}") for i in range(MAX_REDIRECTS + 1)]
    with pytest.raises(DownloadError, match=f"more than {MAX_REDIRECTS} times"):
        next_hop(visited[-1], "/next", visited)
    assert next_hop(visited[-2], "/next", visited[:-1]) == httpx.URL("https://s.example.com/next")


def test_an_unreadable_location_is_an_error() -> None:
    with pytest.raises(DownloadError, match="unreadable"):
        next_hop(API, "http://[::1]:port/", [API])


@pytest.mark.parametrize(
    ("status", "body", "from_api", "expired"),
    [
        (
            403,
            b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message>",
            False,
            True,
        ),
        (410, b"", False, True),
        (403, b"<html><title>403 Forbidden</title></html>", False, True),
        (400, b"<Error><Code>ExpiredToken</Code></Error>", False, True),
        (400, b"<Error><Code>InvalidArgument</Code></Error>", False, False),
        (404, b"<Error><Code>NoSuchKey</Code></Error>", False, False),
        (500, b"", False, False),
        (403, b'{"error": {"message": "bad key"}}', True, False),  # the API's 403 is about the key
        (410, b"", True, False),
    ],
)
def test_which_storage_answers_mean_an_expired_link(
    status: int, body: bytes, from_api: bool, expired: bool
) -> None:
    assert signed_url_expired(status, body, from_api=from_api) is expired


def test_download_url_fallback_only_for_usable_absolute_urls() -> None:
    assert fallback_url("https://cdn.example.net/a.mp4?sig=1", API) == httpx.URL(
        "https://cdn.example.net/a.mp4?sig=1"
    )
    assert fallback_url(str(API), API) is None  # the endpoint that just said 404
    for unusable in (None, "", "/relative/a.mp4", "file:///tmp/a.mp4", 42, "http://[::1]:x/"):
        assert fallback_url(unusable, API) is None


def test_messages_never_show_the_signature() -> None:
    url = httpx.URL("https://s.example.com:9000/blob/a?expires=1&sig=secret")
    assert describe(url) == "https://s.example.com:9000/blob/a"


def test_resume_headers() -> None:
    assert resume_headers(0, '"e"') == {}
    assert resume_headers(10, None) == {"Range": "bytes=10-"}
    assert resume_headers(10, '"e"') == {"Range": "bytes=10-", "If-Range": '"e"'}


def test_expected_total_for_full_partial_and_chunked_answers() -> None:
    assert expected_total(200, {"content-length": "100"}, 0, "g") == (100, False)
    assert expected_total(200, {}, 0, "g") == (None, False)  # chunked: no length
    assert expected_total(200, {}, 40, "g") == (None, True)  # Range ignored: start over
    assert expected_total(206, {"content-range": "bytes 40-99/100"}, 40, "g") == (100, False)
    assert expected_total(206, {"content-range": "bytes 40-99/*"}, 40, "g") == (None, False)
    with pytest.raises(DownloadError, match="resumed at byte 0, not 40"):
        expected_total(206, {"content-range": "bytes 0-99/100"}, 40, "g")


@pytest.mark.parametrize(
    ("content_type", "refused"),
    [
        ("video/mp4", False),
        ("application/octet-stream", False),
        ("", False),
        ("text/html; charset=utf-8", True),
        ("application/xml", True),
        ("application/json", True),
    ],
)
def test_pages_and_error_documents_are_not_videos(content_type: str, refused: bool) -> None:
    assert is_not_video(content_type) is refused
