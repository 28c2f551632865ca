"""Which install of mql-notebook this process is: its version, interpreter and package folder.

The command line's background emulator is shared through a file in a per-user folder; two
virtual environments or checkouts must not silently use each other's (another version, other
code). The emulator records this identity, and a command uses only an emulator of its own.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from ._version import __version__


def install_identity() -> dict[str, str]:
    """``{"version", "executable", "package"}`` of this process's mql-notebook."""
    return {
        "version": __version__,
        "executable": sys.executable,
        "package": str(Path(__file__).resolve().parent),
    }


def install_key(identity: dict[str, str] | None = None) -> str:
    """A short name for an identity (12 hex digits), for file names."""
    text = json.dumps(identity or install_identity(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def describe_install(identity: Mapping[str, object]) -> str:
    """``mql-notebook 0.9.0 (/path/to/mql_notebook, python /venv/bin/python)``."""
    version = identity.get("version") or "of an unknown version"
    package = identity.get("package") or "an unknown package folder"
    executable = identity.get("executable") or "an unknown interpreter"
    return f"mql-notebook {version} ({package}, python {executable})"
