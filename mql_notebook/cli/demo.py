"""``mql-notebook demo``: JupyterLab on the quickstart notebook, on the local emulator when no key is set."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from ..client.settings import ENV_API_KEY, ENV_BASE_URL, LOCAL_BASE_URL
from .jupyter_process import run_until_stopped

QUICKSTART = "quickstart.ipynb"
# The quickstart's last line points to the other two: the demo folder gets all three.
NOTEBOOKS = (QUICKSTART, "prompt_iteration.ipynb", "batch.ipynb")


def add_demo_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="open JupyterLab on the quickstart notebook",
        description="Copy the demo notebooks into a folder and open the quickstart in JupyterLab. "
        f"Without {ENV_API_KEY}, the notebook uses the local emulator (no key, no network).",
    )
    demo.add_argument(
        "--dir",
        type=Path,
        default=Path("mql-notebook-demo"),
        help="folder for the notebooks (default: mql-notebook-demo in the current folder; "
        "created; a notebook already there is kept)",
    )
    demo.add_argument(
        "--no-browser",
        action="store_true",
        help="start JupyterLab without opening a browser (the URLs it prints open the quickstart)",
    )
    demo.add_argument("--port", type=int, default=None)


def run_demo(args: argparse.Namespace) -> int:
    if shutil.which("jupyter-lab") is None and not _has_module("jupyterlab"):
        print("mql-notebook demo needs JupyterLab: pip install jupyterlab", file=sys.stderr)
        return 1
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        notebook = folder / name
        if not notebook.exists():  # never overwrite the user's edits
            notebook.write_bytes(shipped_notebook(name))
    env = dict(os.environ)
    if not env.get(ENV_API_KEY) and not env.get(ENV_BASE_URL):
        env[ENV_BASE_URL] = LOCAL_BASE_URL
        print(f"{ENV_API_KEY} is not set: the demo uses the local emulator", file=sys.stderr)
    # default_url: the URLs JupyterLab prints (and `/`) open the quickstart, not the Launcher;
    # the file argument: the browser it opens shows it too.
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        QUICKSTART,
        f"--LabApp.default_url=/lab/tree/{QUICKSTART}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    if args.port:
        command += ["--port", str(args.port)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append(
            "--allow-root"
        )  # containers and CI often run as root; Jupyter refuses it otherwise
    print(f"the demo's notebooks are in {folder.resolve()}", file=sys.stderr)
    return run_until_stopped(command, cwd=folder, env=env)


def shipped_notebook(name: str) -> bytes:
    """A demo notebook: shipped in the wheel, or read from the checkout's notebooks/."""
    shipped = resources.files("mql_notebook").joinpath("notebooks").joinpath(name)
    if shipped.is_file():
        return shipped.read_bytes()
    return (Path(__file__).resolve().parents[2] / "notebooks" / name).read_bytes()


def _has_module(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None
