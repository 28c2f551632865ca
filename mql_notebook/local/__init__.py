"""A local emulator of the Metriqual video API: real HTTP, real MP4s, faults on demand.

    from mql_notebook.local import LocalServer
    with LocalServer(pace=1) as server:
        ...  # point a client at server.url; read server.requests afterwards

Or from a shell: ``mql-notebook serve --pace 1``. It needs the ``local`` extra
(``pip install 'mql-notebook[local]'``).

Prompt markers: a prompt containing ``[[fail]]`` makes its job fail (with an error object,
at about half its pace); ``[[stall]]`` makes it never finish (it stays processing).
"""

from __future__ import annotations

try:
    import av  # noqa: F401
    import numpy  # noqa: F401
    import PIL  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"mql_notebook.local needs the emulator's extra dependencies ({err.name} is missing): "
        "pip install 'mql-notebook[local]'"
    ) from err

from .app import create_app
from .emulator import Emulator
from .faults import (
    FAIL_MARKER,
    STALL_MARKER,
    EndpointFaults,
    Fault,
    Faults,
    JobFaults,
    parse_fault_spec,
)
from .jobs import DEFAULT_MAX_JOBS, DEFAULT_PACE, DEFAULT_TTL
from .models import DEFAULT_CATALOGUE, ModelSpec
from .outages import OUTAGE_KINDS
from .render import RenderSpec, render_mp4
from .requestlog import RequestLog, RequestRecord
from .server import LocalServer, shared_server
from .storage import SignedStorage
from .vocabulary import VOCABULARIES

__all__ = [
    "DEFAULT_CATALOGUE",
    "DEFAULT_MAX_JOBS",
    "DEFAULT_PACE",
    "DEFAULT_TTL",
    "FAIL_MARKER",
    "OUTAGE_KINDS",
    "STALL_MARKER",
    "VOCABULARIES",
    "Emulator",
    "EndpointFaults",
    "Fault",
    "Faults",
    "JobFaults",
    "LocalServer",
    "ModelSpec",
    "RenderSpec",
    "RequestLog",
    "RequestRecord",
    "SignedStorage",
    "create_app",
    "parse_fault_spec",
    "render_mp4",
    "shared_server",
]
