"""Shared helpers: serving an ASGI app on loopback from a thread, machine facts, small stats."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import uvicorn

from mql_notebook.local.serving import bind_socket, url_for

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "mql_bench"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


class Served:
    """``with Served(app) as url:`` serves an ASGI app on a free loopback port from a thread."""

    def __init__(self, app):
        self.app = app
        self.url = ""

    def __enter__(self) -> str:
        sock = bind_socket("127.0.0.1", 0)
        config = uvicorn.Config(
            self.app, lifespan="off", log_config=None, access_log=False, server_header=False
        )
        self.server = uvicorn.Server(config)

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.server.serve(sockets=[sock]))
            finally:
                loop.close()
                sock.close()

        self.thread = threading.Thread(target=run, daemon=True, name="bench-server")
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("bench server did not start")
            time.sleep(0.01)
        self.url = url_for(sock)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = "?"
    return {
        "os": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": mem,
        "python": sys.version.split()[0],
        "commit": commit or "?",
        "mql-notebook": version("mql-notebook"),
        "metriqual": version("metriqual"),
        "httpx": version("httpx"),
        "uvicorn": version("uvicorn"),
        "starlette": version("starlette"),
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")
