"""Stopping ``mql-notebook demo`` as a user does: Ctrl-C in a real terminal (tmux), or
``kill -TERM`` of the demo. One of either stops JupyterLab and its kernels, quietly (no
traceback, no "Shut down this Jupyter server (y/[n])?"), and the demo exits 130 or 143."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "mql-demo-stop-token"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _cmdline(process: psutil.Process) -> str:
    """A process's command line; empty for one that has just ended (a zombie, or gone)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _listening(kernel: psutil.Process) -> bool:
    """Whether the kernel has bound its five ZeroMQ ports (it has imported ipykernel)."""
    connections = getattr(kernel, "net_connections", None) or kernel.connections
    return sum(c.status == psutil.CONN_LISTEN for c in connections(kind="tcp")) >= 5


def _of_this_demo(cmdline: list[str] | None, folder: Path) -> bool:
    """A Jupyter server or kernel of the demo run in ``folder`` (not the terminal's shell)."""
    text = " ".join(cmdline or [])
    return (
        str(folder) in text and ("jupyter" in text or "ipykernel" in text) and "sleep" not in text
    )


@dataclass
class Demo:
    session: str
    port: int
    folder: Path
    demo_pid: int
    server_pid: int
    kernel_pid: int

    @property
    def exit_file(self) -> Path:
        return self.folder / "exit-code"

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-S", "-200", "-t", self.session],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def wait_exit(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exit_file.exists() and self.exit_file.read_text().strip():
                return int(self.exit_file.read_text())
            time.sleep(0.2)
        raise AssertionError(f"the demo did not end in {timeout} s:\n{self.screen()}")

    def assert_all_stopped(self) -> None:
        deadline = time.monotonic() + 10  # a kernel may take a moment after its server
        pids = (self.demo_pid, self.server_pid, self.kernel_pid)
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.2)
        assert not _alive(self.server_pid), "JupyterLab is still running"
        assert not _alive(self.kernel_pid), "its kernel is still running"
        left = [
            " ".join(p.info["cmdline"])
            for p in psutil.process_iter(["cmdline"])
            if _of_this_demo(p.info["cmdline"], self.folder) and _alive(p.pid)
        ]
        assert left == [], f"processes of this demo are left: {left}"
        assert _port_free(self.port), f"port {self.port} still answers"
        screen = self.screen()
        assert "Traceback" not in screen and "KeyboardInterrupt" not in screen, screen
        assert "Shut down this Jupyter server" not in screen, screen


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo running in a tmux terminal, JupyterLab answering, one kernel started."""
    port, session = _free_port(), f"mql-demo-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "JUPYTER_TOKEN": TOKEN,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    script = (
        f"cd {shlex.quote(str(tmp_path))} && unset MQL_API_KEY MQL_BASE_URL; "
        f"env {exports} {shlex.quote(sys.executable)} -m mql_notebook.cli demo --no-browser "
        f"--port {port}; echo $? > exit-code; sleep 600"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", script], check=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=2
                ):
                    break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer"
                time.sleep(0.3)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/kernels?token={TOKEN}",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            kernel_id = json.load(answer)["id"]
        (demo_process,) = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "demo" in (p.info["cmdline"] or []) and f"{port}" in (p.info["cmdline"] or [])
        ]
        (server,) = [p for p in demo_process.children() if "jupyterlab" in _cmdline(p)]
        deadline = time.monotonic() + 60
        while not (kernels := [p for p in server.children() if kernel_id in _cmdline(p)]):
            assert time.monotonic() < deadline, "the kernel did not start"
            time.sleep(0.2)
        while not _listening(kernels[0]):  # up and serving, as a user's kernel would be
            assert time.monotonic() < deadline, "the kernel did not start listening"
            time.sleep(0.2)
        yield Demo(session, port, tmp_path, demo_process.pid, server.pid, kernels[0].pid)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        # Nothing of this test outlives it: the server runs in the demo's folder, kernels name
        # their connection file in it.
        for process in psutil.process_iter(["cmdline", "cwd"]):
            where = f"{process.info['cwd'] or ''}/ {' '.join(process.info['cmdline'] or [])}"
            if str(tmp_path) in where and process.pid != os.getpid():
                with contextlib.suppress(psutil.Error):
                    process.kill()


def test_one_ctrl_c_in_the_terminal_stops_jupyterlab_and_its_kernels(demo: Demo) -> None:
    subprocess.run(["tmux", "send-keys", "-t", demo.session, "C-c"], check=True)
    assert demo.wait_exit() == 130
    demo.assert_all_stopped()
    assert "stopping JupyterLab and its kernels" in demo.screen()


def test_sigterm_to_the_demo_stops_jupyterlab_and_its_kernels(demo: Demo) -> None:
    os.kill(demo.demo_pid, signal.SIGTERM)
    assert demo.wait_exit() == 143
    demo.assert_all_stopped()


def test_the_demo_folder_is_where_the_readme_says_and_git_ignores_it(demo: Demo) -> None:
    # Run from a folder, the notebooks land in ./mql-notebook-demo (printed), which this
    # repository's .gitignore ignores, so a demo run from the checkout leaves git status clean.
    assert (demo.folder / "mql-notebook-demo" / "quickstart.ipynb").is_file()
    assert f"notebooks are in {demo.folder / 'mql-notebook-demo'}" in demo.screen().replace(
        "\n", ""
    )
    if (ROOT / ".git").exists():
        ignored = subprocess.run(
            ["git", "-C", str(ROOT), "check-ignore", "-q", "mql-notebook-demo/quickstart.ipynb"],
            check=False,
        )
        assert ignored.returncode == 0, "git status would show mql-notebook-demo/"
    os.kill(demo.demo_pid, signal.SIGTERM)
    assert demo.wait_exit() == 143
