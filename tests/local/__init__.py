"""Tests of mql_notebook.local, the emulator: its API, videos, faults and server."""
