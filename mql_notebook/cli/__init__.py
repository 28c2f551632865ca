"""The ``mql-notebook`` command line: ``main`` parses, ``commands`` talks to the API, ``demo``
opens JupyterLab on the quickstart (``serve`` lives with the emulator, in ``local.cli``)."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
