"""The words of a connection error: which server could not be reached and why. No I/O.

A Python user and a terminal user read the same sentence, e.g. "could not reach
http://127.0.0.1:9 (connection refused) while checking generation X": the origin only
(scheme, host, port; ``_origins.origin_of``), never the path's query or credentials, which
may hold secrets.
"""

from __future__ import annotations

import os
import re

import httpx


def connection_detail(exc: httpx.TransportError, origin: str) -> str:
    """What went wrong, naming ``origin`` (the caller adds what was being done)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{origin} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not reach {origin} ({reason(exc)})"
    return f"the connection to {origin} failed ({reason(exc)})"


def reason(cause: BaseException) -> str:
    """The system's words for why, e.g. "connection refused" (the async transport hides them
    under "All connection attempts failed"), else the exception's own text."""
    seen: BaseException | None = cause
    for _ in range(10):  # the chain is short; a cycle must not hang an error message
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno:
            # A name lookup's (negative) errno is not the system's: its own text says it.
            words = os.strerror(seen.errno) if seen.errno > 0 else (seen.strerror or str(seen))
            return words[:1].lower() + words[1:]
        seen = seen.__cause__ or seen.__context__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(cause)).strip() or type(cause).__name__
    return text[:1].lower() + text[1:]
