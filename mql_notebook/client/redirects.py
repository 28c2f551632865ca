"""Rules for content that lives behind redirects (signed storage URLs): plain functions, no I/O.

Video APIs often answer the content request with a redirect to storage on another origin,
or name an absolute ``download_url``. The API key must never reach that origin, a
redirect chain must end, and a signed URL that has expired is asked for again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from ..errors import DownloadError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 8  # hops in one chain; real gateways use one or two
ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Request headers that carry a credential: sent only to the API's own origin.
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")

# Words storage services put in the body of an expired signed URL's answer (S3, GCS, Azure, CDNs).
_EXPIRY_WORDS = (b"expired", b"expiredtoken", b"request has expired", b"signature")


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in: what same-origin compares."""
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


def may_carry_credentials(url: httpx.URL, api_url: httpx.URL) -> bool:
    """Whether a request to ``url`` may carry the API key: only to the API's own origin."""
    return origin(url) == origin(api_url)


def redirect_location(status_code: int, headers: Mapping[str, str]) -> str | None:
    """The Location of a redirect to follow, or None when the answer is not one."""
    if status_code not in REDIRECT_STATUSES:
        return None
    location = (headers.get("location") or "").strip()
    if not location:
        raise DownloadError(f"the server answered {status_code} (a redirect) with no Location")
    return location


def next_hop(
    current: httpx.URL,
    location: str,
    visited: Sequence[httpx.URL],
    *,
    max_redirects: int = MAX_REDIRECTS,
) -> httpx.URL:
    """Where a redirect leads; DownloadError for a loop, too many hops, or a scheme not http(s)."""
    try:
        target = current.join(location)
    except (httpx.InvalidURL, ValueError):
        raise DownloadError(
            f"a redirect pointed to an unreadable URL ({location[:80]!r})"
        ) from None
    if target.scheme.lower() not in ALLOWED_SCHEMES or not target.host:
        raise DownloadError(
            f"a redirect pointed to a {target.scheme or 'relative'}: URL; only http and https "
            "are followed, so nothing was fetched from it"
        )
    if any(target == seen for seen in visited):
        raise DownloadError(
            f"the content redirects in a loop (back to {describe(target)} after "
            f"{len(visited)} hop(s)); the server is misconfigured"
        )
    if len(visited) > max_redirects:
        raise DownloadError(
            f"the content was redirected more than {max_redirects} times (last to "
            f"{describe(target)}); stopped following"
        )
    return target


def signed_url_expired(status_code: int, body_head: bytes, *, from_api: bool) -> bool:
    """Whether a storage answer means "this signed URL is no longer valid: ask the API again".

    Storage answers an expired or revoked signed URL with 403 (S3, GCS, Azure) or 410,
    usually with an XML or HTML body; some answer 400 with ExpiredToken. The API's own
    403 is about the key and is never retried this way.
    """
    if from_api:
        return False
    if status_code in (403, 410):
        return True
    return status_code == 400 and any(word in body_head.lower() for word in _EXPIRY_WORDS)


def fallback_url(download_url: object, api_url: httpx.URL) -> httpx.URL | None:
    """The generation's ``download_url`` as a URL to try, or None (absent, unusable, or the same)."""
    if not isinstance(download_url, str) or not download_url.strip():
        return None
    try:
        url = httpx.URL(download_url.strip())
    except (httpx.InvalidURL, ValueError):
        return None
    if not url.is_absolute_url or url.scheme.lower() not in ALLOWED_SCHEMES or url == api_url:
        return None
    return url


def describe(url: httpx.URL) -> str:
    """A URL for messages and logs, without its query (a signed URL's signature is a credential)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"
