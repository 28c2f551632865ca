"""Drive JupyterLab 4 or Notebook 7 in Debian's Chromium, as a person would.

``JupyterServer`` starts ``jupyter lab`` or ``jupyter notebook`` from this interpreter on
127.0.0.1 (a free port, a token, a temporary root dir, isolated settings and workspaces,
``expose_app_in_browser`` so ``window.jupyterapp`` exists). Its environment (e.g.
``MQL_BASE_URL`` of an emulator) is inherited by the kernels it starts.

The choices come from trying it on the CI's kind of machine: Debian's Chromium (Playwright's
own browser download fails there) with the flags below, the kernel indicator that reads
"idle" before a kernel exists (so we wait on ``/api/kernels``), and
``notebook:run-all-cells`` as the most reliable way to run a notebook.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Literal

Frontend = Literal["lab", "notebook"]

CHROMIUM = "/usr/bin/chromium"
BROWSER_API_KEY = "mql_test_browser_key_0123456789"  # given to the kernel only, never to the page
JOB_SECONDS = 2.0  # the emulator's pace: long enough to see pending and processing in the badge
# Without the networking flags Chromium keeps trying closed addresses (no internet in CI).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

# JupyterLab settings that would otherwise reach for the internet or pop up over the page.
_QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}


def chromium_executable() -> str | None:
    """Debian's Chromium (or ``MQL_CHROMIUM``), or None when this machine has none."""
    candidate = os.environ.get("MQL_CHROMIUM") or CHROMIUM
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code cells, with the python3 kernelspec (so no "Select Kernel" dialog)."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


class JupyterServer:
    """``jupyter lab`` or ``jupyter notebook`` on a free loopback port, in a temp root dir."""

    def __init__(
        self,
        frontend: Frontend,
        env: dict[str, str] | None = None,
        *,
        startup_timeout: float = 60.0,
    ):
        self.frontend = frontend
        self.port = free_port()
        self.token = os.urandom(12).hex()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"mql-{frontend}-")
        base = Path(self._tmp.name)
        self.root = base / "root"
        self.root.mkdir()
        self.log_path = base / "server.log"
        self._env = {**os.environ, **(env or {})}
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        settings = base / "settings"
        for name, value in _QUIET_SETTINGS.items():
            plugin, _, file = name.rpartition("/")
            (settings / plugin).mkdir(parents=True, exist_ok=True)
            (settings / plugin / file).write_text(json.dumps(value))
        app = "LabApp" if frontend == "lab" else "JupyterNotebookApp"
        self._argv = [
            sys.executable,
            "-m",
            "jupyterlab" if frontend == "lab" else "notebook",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{app}.expose_app_in_browser=True",
            f"--{app}.user_settings_dir={settings}",
            f"--{app}.workspaces_dir={base / 'workspaces'}",
        ]
        if frontend == "lab":  # Notebook 7 refuses an unknown option by not loading at all
            self._argv.append("--LabApp.news_url=")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self._argv.append("--allow-root")
        self._env.setdefault("JUPYTER_RUNTIME_DIR", str(base / "runtime"))
        self._env.setdefault("IPYTHONDIR", str(base / "ipython"))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> JupyterServer:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self._argv, cwd=self.root, env=self._env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.frontend} exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            try:
                self.api("/api/status")
                return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(
            f"jupyter {self.frontend} not ready after {self._startup_timeout:g} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        self._tmp.cleanup()

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(
            f"{self.base_url}{path}?token={self.token}", timeout=5
        ) as response:
            return json.loads(response.read())

    def page_url(self, notebook: str) -> str:
        route = "lab/tree" if self.frontend == "lab" else "notebooks"
        return f"{self.base_url}/{route}/{notebook}?token={self.token}"

    def wait_for_kernel(self, timeout: float = 60.0) -> dict[str, Any]:
        """A kernel the page is connected to and that is idle (the toolbar says idle too early)."""
        deadline = time.monotonic() + timeout
        kernels: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                kernels = self.api("/api/kernels")
            except (
                OSError
            ):  # a 500 while the kernel is still starting (seen on a loaded CI machine)
                time.sleep(0.2)
                continue
            for kernel in kernels:
                if kernel.get("connections", 0) >= 1 and kernel.get("execution_state") == "idle":
                    return kernel
            time.sleep(0.2)
        raise TimeoutError(
            f"no connected idle kernel after {timeout:g} s: {kernels}\n{self.log_tail()}"
        )


def launch_browser(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def open_notebook(
    browser: Any, server: JupyterServer, notebook: str, *, viewport: dict[str, int] | None = None
) -> Any:
    """A new page with the notebook open, its kernel connected and idle, every cell run."""
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 1000})
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.goto(server.page_url(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands", timeout=60_000)
    server.wait_for_kernel()
    page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-Cell')", timeout=30_000)
    run_all_cells(page)
    return page


def run_all_cells(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
