"""The emulator's storage origin, its settings and signing: video bytes at signed URLs on a
second loopback port (its routes are in :mod:`.storage_app`).

Real video APIs often keep the file on storage (S3, GCS, a CDN) on another origin: the
content endpoint redirects to a signed URL (``storage="redirect"``), or the completed
object names it as ``download_url`` while the API serves no content (``storage="download_url"``).
A URL is ``/blob/<id>?expires=<unix time>&sig=<hmac>``; past ``expires``, or after
:meth:`SignedStorage.expire_all`, storage answers 403 with an XML body, as S3 does. Every
request storage receives is logged with its headers, so a test can prove no key got there.

``detour`` makes storage redirect before serving, as misconfigured CDNs do: ``"loop"``
(to itself), ``"ftp"`` (to an ftp:// URL), or a number of extra hops on storage.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from urllib.parse import quote

STORAGE_MODES = ("api", "redirect", "download_url")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
DEFAULT_SIGNED_URL_TTL = 300.0


class SignedStorage:
    """Settings and signing of the storage origin; thread-safe (the test thread may expire URLs)."""

    def __init__(
        self,
        mode: str = "redirect",
        *,
        ttl: float = DEFAULT_SIGNED_URL_TTL,
        chunked: bool = False,
        redirect_status: int = 302,
    ):
        if mode not in STORAGE_MODES[1:]:
            raise ValueError(f"storage must be one of {', '.join(STORAGE_MODES)}, not {mode!r}")
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise ValueError(f"signed_url_ttl must be a number of seconds > 0, not {ttl!r}")
        if redirect_status not in REDIRECT_STATUSES:
            raise ValueError(f"redirect_status must be one of {REDIRECT_STATUSES}")
        self.mode = mode
        self.ttl = float(ttl)
        self.chunked = bool(chunked)
        self.redirect_status = redirect_status
        self.base_url: str | None = None  # set once the storage server has its port
        self.detour: str | int | None = None
        self._secret = secrets.token_bytes(32)
        self._epoch = 0  # bumped by expire_all: links signed before are expired
        self._lock = threading.Lock()

    def sign(self, video_id: str, now: float | None = None) -> str:
        """An absolute signed URL for ``video_id``, valid for ``ttl`` seconds."""
        if self.base_url is None:
            raise RuntimeError("the storage origin is not serving yet")
        expires = math.floor((time.time() if now is None else now) + self.ttl)
        with self._lock:
            sig = self._mac(self._epoch, video_id, expires)
        return f"{self.base_url}/blob/{quote(video_id, safe='')}?expires={expires}&sig={sig}"

    def check(self, video_id: str, expires: str | None, sig: str | None, now: float) -> str | None:
        """None when the link is good, else why not: ``expired`` or ``signature``."""
        if not expires or not expires.isdigit() or not sig:
            return "signature"
        with self._lock:
            epoch = self._epoch
        for signed_in in range(epoch, max(-1, epoch - 1000), -1):
            if hmac.compare_digest(sig, self._mac(signed_in, video_id, int(expires))):
                return "expired" if signed_in < epoch or int(expires) <= now else None
        return "signature"

    def expire_all(self) -> None:
        """Every URL signed so far answers 403 "Request has expired" from now on."""
        with self._lock:
            self._epoch += 1

    def _mac(self, epoch: int, video_id: str, expires: int) -> str:
        message = f"{epoch}\n{video_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]


def make_storage(
    storage: str, *, signed_url_ttl: float, storage_chunked: bool, redirect_status: int
) -> SignedStorage | None:
    """The storage origin's settings for a ``storage`` mode ("api": none, the API serves the bytes)."""
    if storage == "api":
        return None
    return SignedStorage(
        storage, ttl=signed_url_ttl, chunked=storage_chunked, redirect_status=redirect_status
    )
