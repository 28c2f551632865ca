"""Where a server is: its origin (``scheme://host:port``), and whether it is this machine. No I/O.

One spelling of an origin for the whole package: the library records it with each job (and
matches a client to its jobs with it), error messages name it. The port is always written,
the default one too (``https://api.metriqual.com:443``), as the library has recorded origins
from its first version: the same server is always the same string.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def origin_of(url: object) -> str:
    """``scheme://host:port`` of ``url`` (a str or an ``httpx.URL``): never user info, a path,
    a query or a fragment, which may hold secrets. The scheme defaults to https, its port to
    the scheme's; host and scheme are lower-cased, an IPv6 literal is bracketed."""
    parts = urlsplit(str(url))
    scheme = (parts.scheme or "https").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` (a base URL or an origin) names this machine: localhost, 127.0.0.0/8, ::1."""
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return False
