"""Secrets: a canary API key never shows in a notebook file, widget state, HTML export, repr,
DEBUG log line or error message -- nor does a wrong key the server refused.

The emulator is started with exactly the canary as its only accepted key, so every request
really carries it (a run that completes proves the key was used).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import traceback
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from mql_notebook import (
    MQL,
    APIConnectionError,
    AsyncMQL,
    AuthenticationError,
    ConfigurationError,
    MQLError,
    NotFoundError,
)
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer
from mql_notebook.widget import VideoWidget
from tests.reliability.evidence import write_figures

pytestmark = pytest.mark.timeout(180)

CANARY = "mql_canary_" + secrets.token_hex(16)
WRONG = "mql_wrongkey_" + secrets.token_hex(16)
FAST = {
    "retry_policy": RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.05),
    "poll_timing": PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.2),
}


def leaks(text: str) -> list[str]:
    """Which secret (or its random part alone) appears in ``text``."""
    found = []
    for name, key in (("canary", CANARY), ("wrong key", WRONG)):
        if key in text or key.split("_")[-1] in text:
            found.append(name)
    return found


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.args))


@pytest.fixture
def debug_logs():
    handler = Capture()
    loggers = [logging.getLogger(n) for n in ("mql_notebook", "httpx", "httpcore")]
    old = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, (level, _) in zip(loggers, old, strict=False):
        lg.removeHandler(handler)
        lg.setLevel(level)


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(
        pace=0.3, fault_seed=3, api_key=CANARY
    )  # the canary is the only key it accepts


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def error_texts(exc: BaseException) -> str:
    """Everything a user could see of an error: str, repr, the whole formatted traceback and its args."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(exc.args)]
    for name in ("message", "operation", "generation_id", "code"):
        parts.append(repr(getattr(exc, name, None)))
    return "\n".join(parts)


async def test_the_canary_key_leaks_nowhere_in_process(server, debug_logs) -> None:
    checked: dict[str, str] = {}
    client = AsyncMQL(api_key=CANARY, base_url=server.url, **FAST)
    sync_client = MQL(api_key=CANARY, base_url=server.url)

    w = VideoWidget("A canary singing on a branch", duration=5, client=client)
    w.send = lambda *a, **k: None  # type: ignore[method-assign]
    await w.generate()
    assert w.status == "completed" and w.video, (w.status, w.error)  # the canary really was used
    checked["widget state"] = json.dumps(w.get_state(), default=repr)
    checked["widget repr"] = repr(w) + repr(w.history) + repr(w.task)
    checked["client reprs"] = (
        repr(client) + repr(client.settings) + repr(sync_client) + repr(sync_client.settings)
    )

    errors: list[BaseException] = []
    # 401: a wrong key on the strict server
    wrong = AsyncMQL(api_key=WRONG, base_url=server.url, **FAST)
    with pytest.raises(AuthenticationError) as e401:
        await wrong.video.create(prompt="x")
    errors.append(e401.value)
    # 404: an unknown id
    with pytest.raises(NotFoundError) as e404:
        await client.video.get_status("video_does_not_exist")
    errors.append(e404.value)
    # a connection error, create and status
    nowhere = AsyncMQL(api_key=CANARY, base_url=closed_port_url(), **FAST)
    for call in (lambda: nowhere.video.create(prompt="x"), lambda: nowhere.video.get_status("abc")):
        with pytest.raises(APIConnectionError) as econn:
            await call()
        errors.append(econn.value)
    # a malformed key that contains the canary
    with pytest.raises(ConfigurationError) as econf:
        AsyncMQL(api_key=CANARY + " \n", base_url=server.url)
    errors.append(econf.value)
    # a widget whose key is refused: the error state
    w401 = VideoWidget(
        "A canary", duration=5, client=AsyncMQL(api_key=WRONG, base_url=server.url, **FAST)
    )
    w401.send = lambda *a, **k: None  # type: ignore[method-assign]
    await w401.generate()
    assert w401.status == "failed" and "401" in w401.error
    checked["refused widget state"] = json.dumps(w401.get_state(), default=repr)
    for exc in errors:
        assert isinstance(exc, MQLError)
        checked[f"error {type(exc).__name__}"] = error_texts(exc)

    # the sync client over the same server, with DEBUG logs on
    gen = sync_client.video.create_and_wait(prompt="A canary in a sync call")
    assert sync_client.video.download(gen.id)[4:8] == b"ftyp"
    sync_client.close()
    await client.aclose()

    checked["DEBUG log"] = "\n".join(debug_logs.lines)
    assert any("httpcore" in line for line in debug_logs.lines), (
        "httpcore logged nothing at DEBUG: capture broken"
    )
    assert any(line.startswith("mql_notebook") for line in debug_logs.lines)
    found = {where: leaks(text) for where, text in checked.items() if leaks(text)}
    write_figures(
        "secrets_in_process",
        {"places_checked": sorted(checked), "log_lines": len(debug_logs.lines), "leaks": found},
    )
    assert not found, found


NOTEBOOK = [
    "from mql_notebook import VideoWidget, MQL\nimport os\nw = VideoWidget('A canary on a wire', duration=5)\nw",
    "await w.generate()\nw.send_state()\nprint(w.status, len(w.video or b''))",
    "mql = MQL()\nprint(repr(mql), repr(mql.settings))",
    "try:\n    mql.video.get_status('no_such_video')\nexcept Exception as exc:\n    print(type(exc).__name__, exc)",
    "import logging, httpx\nlogging.basicConfig(level=logging.DEBUG, force=True)\nmql.video.get_status(w.generation_id)",
    "w",
]


@pytest.mark.kernel
def test_a_saved_and_exported_notebook_holds_no_key(server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MQL_API_KEY", CANARY)
    monkeypatch.setenv("MQL_BASE_URL", server.url)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "completed" in outputs, outputs  # the kernel used the canary and it worked
    assert "NotFoundError" in outputs, outputs
    assert "httpcore" in outputs, (
        "the DEBUG cell logged nothing"
    )  # logs at DEBUG landed in the notebook

    path = tmp_path / "canary.ipynb"
    nbformat.write(nb, path)
    saved = path.read_text()
    assert "application/vnd.jupyter.widget-state+json" in saved  # widget state was stored
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    (tmp_path / "canary.html").write_text(html)

    found = {
        name: leaks(text)
        for name, text in (
            ("notebook file", saved),
            ("HTML export", html),
            *(
                (f"file {p.name}", p.read_text(errors="replace"))
                for p in tmp_path.iterdir()
                if p.is_file()
            ),
        )
        if leaks(text)
    }
    write_figures(
        "secrets_notebook", {"notebook_bytes": len(saved), "html_bytes": len(html), "leaks": found}
    )
    assert not found, found
