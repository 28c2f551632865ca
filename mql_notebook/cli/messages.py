"""What the command line says about an error: the exception's own text, reworded where a
terminal user needs something else (the URL that could not be reached, the command that
picks a job up again). No I/O; the exception classes keep their messages for Python users."""

from __future__ import annotations

import shlex

import httpx

from ..client.unreachable import reason
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    ModelUnavailableError,
    MQLError,
    NotFoundError,
    WaitTimeoutError,
)
from .local_daemon import ENV_MODELS

PROG = "mql-notebook"


def error_message(
    exc: MQLError, *, base_url: str | None, output: str | None = None, local: bool = False
) -> str:
    """One line for stderr (without the ``error:`` prefix)."""
    if isinstance(exc, WaitTimeoutError):
        return wait_timeout_message(exc, output)
    if isinstance(exc, APIConnectionError) and base_url:
        return connection_message(exc, base_url)
    if isinstance(exc, ModelUnavailableError) and exc.code == "model_not_found" and local:
        return (
            f"the local emulator does not serve model {exc.model!r}: set "
            f"{ENV_MODELS}={shlex.quote(exc.model)} (or ID:DURATIONS:RESOLUTIONS such as "
            "MiniMax-Hailuo-02:6,10:768P,1080P) and the next command adds it"
        )
    if isinstance(exc, NotFoundError) and local:
        return (
            f"{exc} With MQL_BASE_URL=local, jobs live in a background emulator that forgets "
            "them when it stops (after MQL_LOCAL_IDLE_EXIT seconds without a request, 600 by default)."
        )
    return str(exc)


def wait_timeout_message(exc: WaitTimeoutError, output: str | None = None) -> str:
    gid = exc.generation_id
    save = f"{PROG} download {gid}" + (f" --output {shlex.quote(output)}" if output else "")
    return (
        f"generation {gid} still {exc.generation.raw_status!r} after {exc.timeout:g} s; "
        f"the job keeps running: `{PROG} wait {gid}` picks it up, then `{save}` saves it"
    )


def interrupted_message(generation_id: str | None) -> str:
    if generation_id is None:
        return f"interrupted; a job already created keeps running: check it with `{PROG} status ID`"
    return (
        f"interrupted; generation {generation_id} keeps running: "
        f"`{PROG} wait {generation_id}` picks it up"
    )


def connection_message(exc: APIConnectionError, base_url: str) -> str:
    """``could not reach URL (connection refused) while checking generation X``: the client's
    own words name the server already (``exc.origin``); older ones get the URL added."""
    if exc.origin:
        return str(exc)
    where = f" while {exc.operation}" if exc.operation else ""
    cause = exc.__cause__
    if isinstance(exc, APITimeoutError):
        return f"{base_url} did not answer in time: {exc}"
    if isinstance(cause, httpx.ConnectError):
        return f"could not reach {base_url} ({reason(cause)}){where}"
    return f"the connection to {base_url} failed: {exc}"
