"""Serve the widget the way marimo and Voila users do, for the real-browser tests.

``HostServer`` runs one server command (``marimo run`` or ``voila``) from this interpreter,
in a process group of its own, on a free loopback port, in a temporary folder holding the app
or notebook it serves and its log. ``start()`` waits until the port answers a request that
runs no user code (retrying refused connections and early 5xx answers, within a bounded
time); ``stop()`` sends SIGTERM to the whole group, then SIGKILL. A failure to start raises
with the tail of the server's log.

The widget's kernel uses the in-process emulator (``MQL_BASE_URL=local``) at a fast pace
(``MQL_LOCAL_PACE``), as a user trying the product without a key would. Facts behind the
flags: docs/HOSTS.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Literal

from tests.browser.jupyter_harness import free_port, write_notebook

Host = Literal["marimo", "marimo-bare", "voila"]

LOCAL_PACE = "2"  # seconds from create to completed: long enough to see the badge move

# The cell users write in each host. marimo shows a cell's last expression: the widget wrapped
# by ``mo.ui.anywidget`` (the documented way) or bare (marimo wraps anywidgets itself).
WIDGET_CODE = {
    "marimo": "w = mo.ui.anywidget(VideoWidget())\nw",
    "marimo-bare": "w = VideoWidget()\nw",
}

MARIMO_APP = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    from mql_notebook import VideoWidget

{code}
    return


if __name__ == "__main__":
    app.run()
"""


def write_marimo_app(path: Path, code: str) -> Path:
    """A marimo app of one cell: ``code`` (its last line the expression marimo shows)."""
    body = "\n".join(f"    {line}" for line in code.splitlines())
    path.write_text(MARIMO_APP.format(code=body))
    return path


class HostServer:
    """One server process (and its children) on a free loopback port, stopped as a group."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        port: int,
        base: Path,
        env: dict[str, str],
        ready_path: str,
        startup_timeout: float = 60.0,
    ):
        self.name = name
        self.port = port
        self.base = base
        self.log_path = base / "server.log"
        self._argv = argv
        self._env = env
        self._ready_path = ready_path
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> HostServer:
        started = time.monotonic()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self._argv,
            cwd=self.base,
            env=self._env,
            stdin=subprocess.DEVNULL,  # never wait for an answer to a prompt
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
        deadline = started + self._startup_timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            last = self._probe()
            if last == "ready":
                self.startup_seconds = time.monotonic() - started
                return self
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(
            f"{self.name} not ready after {self._startup_timeout:g} s ({last}):\n{self.log_tail()}"
        )

    def _probe(self) -> str:
        """ "ready" once the server answers below 500 on a path that runs no user code."""
        try:
            with urllib.request.urlopen(self.url.rstrip("/") + self._ready_path, timeout=5):
                return "ready"
        except urllib.error.HTTPError as error:
            return "ready" if error.code < 500 else f"HTTP {error.code}"
        except OSError as error:  # refused while it binds, or a reset while it starts
            return repr(error)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)  # Voila shuts its kernels down on SIGTERM
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(5)
        elif proc is not None:
            _signal_group(proc.pid, signal.SIGKILL)  # children left behind by a dead leader
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> HostServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(pid, sig)  # the leader's pid is its group's id (start_new_session)


def host_server(host: Host, base: Path, code: str | None = None) -> HostServer:
    """The server of ``host`` serving one widget from files written under ``base``; a marimo
    host's cell is ``code`` when given (``mo`` is imported), else ``WIDGET_CODE[host]``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MQL_API_KEY"}
    env.update(
        MQL_BASE_URL="local",
        MQL_LOCAL_PACE=LOCAL_PACE,
        # Settings, caches and kernels' runtime files stay in the test's folder.
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_CACHE_HOME=str(base / "cache"),
        XDG_STATE_HOME=str(base / "state"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
    )
    if host == "voila":
        write_notebook(
            base / "widget.ipynb", ["from mql_notebook import VideoWidget\nw = VideoWidget()\nw"]
        )
        argv = [
            sys.executable,
            "-m",
            "voila",
            "widget.ipynb",
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            f"--Voila.connection_dir_root={base}",  # not /tmp
        ]
        # GET / would start a kernel and run the notebook: probe a static file instead.
        return HostServer(
            "voila", argv, port=port, base=base, env=env, ready_path="/voila/static/voila.js"
        )
    write_marimo_app(base / "app.py", code or WIDGET_CODE[host])
    argv = [
        sys.executable,
        "-m",
        "marimo",
        "run",
        "app.py",
        "--headless",
        "--host=127.0.0.1",
        f"--port={port}",
        "--no-token",  # loopback only; the default of `run`, said so in case it changes
        "--no-sandbox",  # never ask (no stdin in CI) whether to make an isolated environment
    ]
    return HostServer(host, argv, port=port, base=base, env=env, ready_path="/health")


def open_host_page(browser: Any, server: HostServer, *, attempts: int = 5) -> Any:
    """A new page on the server's app, loaded again while the server answers 5xx."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    status = None
    for _ in range(attempts):
        response = page.goto(server.url, timeout=60_000)
        status = response.status if response is not None else None
        if status is None or status < 500:
            return page
        page.wait_for_timeout(1000)
    page.close()
    raise RuntimeError(
        f"{server.name} answered HTTP {status} {attempts} times:\n{server.log_tail()}"
    )
