"""Bad input, one table: client, widget, CLI and emulator. Every case ends in a clear, typed
error (or a clear error state in the widget) and leaves nothing half-written in the folder
it was given.

Complements, without repeating, the option tables of client/test_client.py (invalid create
options, malformed keys, garbage URLs), local/test_api.py (the emulator's 400s),
local/test_faults.py (bad fault settings), cli/test_cli.py and widget/test_widget.py. What
the emulator cannot produce (a 200 HTML page, a lying Content-Length, an unknown status word)
comes from an httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mql_notebook import (
    APIConnectionError,
    AsyncMQL,
    ConfigurationError,
    DownloadError,
    DownloadTooLargeError,
    GenerationFailedError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    WaitTimeoutError,
)
from mql_notebook.cli import build_parser
from mql_notebook.cli.commands import run_client_command
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import Faults, LocalServer
from mql_notebook.widget import VideoWidget

pytestmark = pytest.mark.timeout(60)

KEY = "mql_inputs_key"
MOCK_URL = "http://mock.invalid"
FAST = {
    "retry_policy": RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02),
    "poll_timing": PollTiming(first_delay=0.02, min_interval=0.02, max_interval=0.05),
}
GEN = {"id": "video_mock1", "object": "video", "status": "completed", "progress": 100}
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 4000


@dataclass
class Ctx:
    server: LocalServer
    out: Path
    sent: list[httpx.Request] = field(default_factory=list)

    def local(self, **options: Any) -> AsyncMQL:
        return AsyncMQL(api_key=KEY, base_url=self.server.url, **{**FAST, **options})

    def mock(self, handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> AsyncMQL:
        def record(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return handler(request)

        return AsyncMQL(
            api_key=KEY,
            base_url=MOCK_URL,
            transport=httpx.MockTransport(record),
            **{**FAST, **options},
        )

    def cli(self, *argv: str) -> tuple[int, str]:
        err = io.StringIO()
        code = run_client_command(build_parser().parse_args(list(argv)), io.StringIO(), err)
        return code, err.getvalue()


def answer(
    status: int = 200,
    body: Any = None,
    *,
    text: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(
                status, content=text if isinstance(text, bytes) else text.encode(), headers=headers
            )
        return httpx.Response(status, json=body, headers=headers)

    return handler


def lying_length(announced: int, sent: bytes) -> Callable[[httpx.Request], httpx.Response]:
    """Content with a Content-Length that is not the body's length (status answers are fine)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            return httpx.Response(
                200,
                stream=httpx.ByteStream(sent),
                headers={"content-length": str(announced), "content-type": "video/mp4"},
            )
        return httpx.Response(200, json=GEN)

    return handler


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# -- the cases ------------------------------------------------------------------------------
# Each is (id, what to do with a Ctx, the error expected (None: the case checks a state itself),
# a fragment of the message). Requests to the emulator are counted: a refused input sends none.


async def _widget_state(
    ctx: Ctx, make: Callable[[], VideoWidget], status: str, needle: str
) -> None:
    w = make()
    w.send = lambda *a, **k: None  # type: ignore[method-assign]
    if w.task is None:
        await w.generate()
    else:
        await w.task
    assert w.status == status and needle in w.error, (w.status, w.error, w.note)
    assert not w.running


async def _view_garbage(ctx: Ctx) -> None:
    w = VideoWidget("x", client=ctx.local())
    for content in (
        {"kind": "show", "index": "abc"},
        {"kind": "show", "index": 99},
        "not a dict",
        None,
        {"kind": "explode"},
        {"index": 1},
    ):
        w._on_view_message(w, content, [])  # a click never raises into the comm
    assert w.status == "idle" and w.error  # the bad "show" became a visible message
    assert ctx.server.requests == []


async def _resume_unknown(ctx: Ctx) -> None:
    w = VideoWidget.resume("video_does_not_exist", client=ctx.local())
    w.send = lambda *a, **k: None  # type: ignore[method-assign]
    await w.task
    assert w.status == "failed" and "404" in w.error and w.generation_id == "video_does_not_exist"
    assert ctx.server.count("POST") == 0


async def _widget_stall(ctx: Ctx) -> None:
    w = VideoWidget("An endless job [[stall]]", client=ctx.local(wait_timeout=0.4))
    w.send = lambda *a, **k: None  # type: ignore[method-assign]
    await w.generate()
    assert w.status == "failed" and w.resumable and w.generation_id in w.note, (w.status, w.note)
    assert ctx.server.count("POST") == 1


async def _cli(ctx: Ctx, argv: list[str], code: int, needle: str) -> None:
    got, err = await asyncio.to_thread(ctx.cli, *argv)
    assert got == code and needle in err and "Traceback" not in err, (got, err)


async def _server_no_id_then_no_resend(ctx: Ctx) -> None:
    client = ctx.mock(answer(200, {"object": "video", "status": "pending"}))
    with pytest.raises(InvalidResponseError, match="no generation id"):
        await client.video.create(prompt="x")
    assert len(ctx.sent) == 1  # a 200 without an id is not a reason to create again


CASES: list[tuple[str, Callable[[Ctx], Any], type[BaseException] | None, str]] = [
    # -- servers answering nonsense with 200 (client) --
    (
        "create 200 HTML page",
        lambda c: c.mock(
            answer(
                text="<!doctype html><html><title>Login - Proxy</title>",
                headers={"content-type": "text/html"},
            )
        ).video.create(prompt="x"),
        InvalidResponseError,
        "an HTML page (Login - Proxy)",
    ),
    (
        "create 200 plain text",
        lambda c: c.mock(answer(text="OK")).video.create(prompt="x"),
        InvalidResponseError,
        "not JSON",
    ),
    (
        "create 200 empty body",
        lambda c: c.mock(answer(text=b"")).video.create(prompt="x"),
        InvalidResponseError,
        "an empty body",
    ),
    (
        "create 200 JSON array",
        lambda c: c.mock(answer(200, [GEN])).video.create(prompt="x"),
        InvalidResponseError,
        "not an object",
    ),
    ("create 200 JSON without id, sent once", _server_no_id_then_no_resend, None, ""),
    (
        "create 200 id of wrong type",
        lambda c: c.mock(answer(200, {"id": ["video_1"], "status": "pending"})).video.create(
            prompt="x"
        ),
        InvalidResponseError,
        "no generation id",
    ),
    (
        "status 200 HTML keeps the id",
        lambda c: c.mock(answer(text="<html><title>Maintenance</title></html>")).video.get_status(
            "video_keep"
        ),
        InvalidResponseError,
        "video_keep",
    ),
    (
        "unknown status word hits the deadline",
        lambda c: c.mock(answer(200, {**GEN, "status": "frobnicating"})).video.wait(
            "video_mock1", timeout=0.2
        ),
        WaitTimeoutError,
        "'frobnicating'",
    ),
    (
        "status missing hits the deadline",
        lambda c: c.mock(answer(200, {"id": "video_mock1"})).video.wait("video_mock1", timeout=0.2),
        WaitTimeoutError,
        "video_mock1",
    ),
    (
        "status failed without error object",
        lambda c: c.mock(answer(200, {**GEN, "status": "error"})).video.wait("video_mock1"),
        GenerationFailedError,
        "no reason given",
    ),
    (
        "error 418 with JSON text error",
        lambda c: c.mock(answer(418, {"error": "I am a teapot"})).video.get_status("v1"),
        Exception,
        "I am a teapot",
    ),
    # -- a content length that lies (to a path: nothing may be left) --
    (
        "content shorter than its length",
        lambda c: c.mock(lying_length(len(MP4) * 2, MP4)).video.download("video_mock1", c.out),
        DownloadError,
        "broke off",
    ),
    (
        "content longer than its length",
        lambda c: c.mock(lying_length(100, MP4)).video.download("video_mock1", c.out / "v.mp4"),
        DownloadTooLargeError,
        "more bytes than announced",
    ),
    (
        "content above max_download_bytes",
        lambda c: c.mock(lying_length(len(MP4), MP4), max_download_bytes=1000).video.download(
            "video_mock1", c.out
        ),
        DownloadTooLargeError,
        "max_download_bytes=1000",
    ),
    (
        "content-range unreadable",
        lambda c: c.mock(
            lambda r: (
                httpx.Response(206, content=MP4, headers={"content-range": "bytes x-y/z"})
                if r.url.path.endswith("/content")
                else httpx.Response(200, json=GEN)
            )
        ).video.download("video_mock1", c.out),
        DownloadError,
        "",
    ),
    # -- unknown ids, endless jobs, destinations (emulator) --
    (
        "status of an unknown id",
        lambda c: c.local().video.get_status("video_nope"),
        NotFoundError,
        "video_nope",
    ),
    (
        "download of an unknown id to a folder",
        lambda c: c.local().video.download("video_nope", c.out),
        NotFoundError,
        "404",
    ),
    (
        "wait on an unknown id",
        lambda c: c.local().video.wait("video_nope", timeout=2),
        NotFoundError,
        "video_nope",
    ),
    (
        "endless job [[stall]]",
        lambda c: c.local().video.create_and_wait(prompt="forever [[stall]]", timeout=0.4),
        WaitTimeoutError,
        "resume with wait(",
    ),
    (
        "download to a missing folder",
        lambda c: c.local().video.download("video_x", c.out / "no" / "such.mp4"),
        DownloadError,
        "does not exist",
    ),
    (
        "download dest of a wrong type",
        lambda c: c.local().video.download("video_x", 42),
        TypeError,
        "dest must be",
    ),
    (
        "download variant -1",
        lambda c: c.local().video.download("video_x", variant=-1),
        InvalidRequestError,
        "variant",
    ),
    (
        "download variant '1'",
        lambda c: c.local().video.download("video_x", variant="1"),
        InvalidRequestError,
        "variant",
    ),
    (
        "status id of a wrong type",
        lambda c: c.local().video.get_status(123),
        InvalidRequestError,
        "generation_id",
    ),
    (
        "status id too long",
        lambda c: c.local().video.get_status("v" * 600),
        InvalidRequestError,
        "at most 512",
    ),
    (
        "idempotency key reused with another body",
        lambda c: _reused_key(c),
        Exception,
        "already used",
    ),
    # -- configuration: keys, URLs, wrong types --
    (
        "wrong key on the emulator",
        lambda c: AsyncMQL(api_key="mql_", base_url=c.server.url),
        ConfigurationError,
        "starting with 'mql_'",
    ),
    (
        "key with a newline",
        lambda c: AsyncMQL(api_key="mql_abc\n", base_url=c.server.url),
        ConfigurationError,
        "whitespace",
    ),
    (
        "key of a wrong type (bytes)",
        lambda c: AsyncMQL(api_key=b"mql_abc", base_url=c.server.url),
        ConfigurationError,
        "bytes",
    ),
    (
        "base URL javascript:",
        lambda c: AsyncMQL(api_key=KEY, base_url="javascript:alert(1)"),
        ConfigurationError,
        "not usable",
    ),
    (
        "base URL with a bad IPv6 host",
        lambda c: AsyncMQL(api_key=KEY, base_url="http://[::1"),
        ConfigurationError,
        "not usable",
    ),
    (
        "base URL with a port that is not a number",
        lambda c: AsyncMQL(api_key=KEY, base_url="http://localhost:http"),
        ConfigurationError,
        "not usable",
    ),
    (
        "base URL of a wrong type",
        lambda c: AsyncMQL(api_key=KEY, base_url=8000),
        ConfigurationError,
        "base URL",
    ),
    (
        "unreachable base URL (closed port)",
        lambda c: AsyncMQL(api_key=KEY, base_url=closed_port_url(), **FAST).video.get_status(
            "video_x"
        ),
        APIConnectionError,
        "video_x",
    ),
    (
        "unresolvable host (.invalid)",
        lambda c: AsyncMQL(api_key=KEY, base_url="http://mql.invalid", **FAST).video.create(
            prompt="x"
        ),
        APIConnectionError,
        "creating a generation",
    ),
    (
        "timeout of a wrong type",
        lambda c: AsyncMQL(api_key=KEY, base_url=c.server.url, timeout="10"),
        ConfigurationError,
        "timeout",
    ),
    (
        "max_download_bytes of a wrong type",
        lambda c: AsyncMQL(api_key=KEY, base_url=c.server.url, max_download_bytes="big"),
        ConfigurationError,
        "max_download_bytes",
    ),
    (
        "wait_timeout zero",
        lambda c: AsyncMQL(api_key=KEY, base_url=c.server.url, wait_timeout=0),
        ConfigurationError,
        "wait_timeout",
    ),
    # -- widget --
    (
        "widget prompt of a wrong type",
        lambda c: VideoWidget(123, client=c.local()),
        InvalidRequestError,
        "prompt",
    ),
    (
        "widget n of a wrong type",
        lambda c: VideoWidget("x", n="2", client=c.local()),
        InvalidRequestError,
        "n",
    ),
    (
        "widget client of a wrong type",
        lambda c: _widget_state(
            c, lambda: VideoWidget("x", client="mql_key"), "failed", "client must be"
        ),
        None,
        "",
    ),
    (
        "widget huge prompt refused, state says so",
        lambda c: _widget_huge(c),
        InvalidRequestError,
        "4000",
    ),
    (
        "widget resume with an empty id",
        lambda c: VideoWidget.resume("  ", client=c.local()),
        InvalidRequestError,
        "generation_id",
    ),
    ("widget resume of an unknown id", _resume_unknown, None, ""),
    ("widget endless job", _widget_stall, None, ""),
    (
        "widget save before any video",
        lambda c: VideoWidget("x").save(c.out / "v.mp4"),
        RuntimeError,
        "no video to save",
    ),
    ("widget view sends garbage", _view_garbage, None, ""),
    (
        "widget server answers HTML",
        lambda c: _widget_state(
            c,
            lambda: VideoWidget(
                "x", client=c.mock(answer(text="<html><title>Bad Gateway</title></html>"))
            ),
            "failed",
            "an HTML page (Bad Gateway)",
        ),
        None,
        "",
    ),
    # -- CLI (in process, against the emulator) --
    (
        "cli download unknown id",
        lambda c: _cli(c, ["download", "video_nope", "--output", str(c.out)], 3, "404"),
        None,
        "",
    ),
    (
        "cli generate endless job",
        lambda c: _cli(
            c,
            [
                "generate",
                "x [[stall]]",
                "--timeout",
                "0.3",
                "--output",
                str(c.out / "v.mp4"),
                "--library",
                str(c.out.parent / "mql-library"),
            ],
            6,
            "`mql-notebook wait ",
        ),
        None,
        "",
    ),
    (
        "cli generate a failing job",
        lambda c: _cli(
            c,
            [
                "generate",
                "x [[fail]]",
                "--output",
                str(c.out / "v.mp4"),
                "--library",
                str(c.out.parent / "mql-library"),
            ],
            5,
            "on purpose",
        ),
        None,
        "",
    ),
    ("cli download variant 3 of a 1-video job", lambda c: _cli_variant(c), None, ""),
    # -- emulator --
    ("emulator negative pace", lambda c: LocalServer(pace=-1), ValueError, "pace"),
    ("emulator key not like a key", lambda c: LocalServer(api_key="sk-123"), ValueError, "mql_"),
    (
        "emulator fault seed of a wrong type",
        lambda c: Faults().update({"fault_seed": [1]}),
        ValueError,
        "fault_seed",
    ),
    (
        "emulator settings of a wrong type",
        lambda c: c.server.emulator.update_settings({"max_jobs": "9"}),
        ValueError,
        "max_jobs",
    ),
]


async def _reused_key(ctx: Ctx) -> None:
    client = ctx.local()
    await client.video.create(prompt="first body", idempotency_key="mqlnb-reuse")
    await client.video.create(prompt="another body", idempotency_key="mqlnb-reuse")


async def _widget_huge(ctx: Ctx) -> None:
    w = VideoWidget("x" * 4001, client=ctx.local())
    try:
        w.generate()
    finally:
        assert w.status == "failed" and "Nothing was sent" in w.note and not w.running


async def _cli_variant(ctx: Ctx) -> None:
    gen = await ctx.local().video.create_and_wait(prompt="one video")
    await _cli(ctx, ["download", gen.id, "--variant", "3", "--output", str(ctx.out)], 2, "variant")


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.2, fault_seed=5)


@pytest.mark.parametrize("name,action,expected,needle", CASES, ids=[c[0] for c in CASES])
async def test_bad_input(
    name, action, expected, needle, server, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MQL_BASE_URL", server.url)
    monkeypatch.setenv("MQL_API_KEY", KEY)
    server.clear_requests()
    out = tmp_path / "out"
    out.mkdir()
    ctx = Ctx(server, out)

    async def run() -> None:
        result = action(ctx)
        if inspect.isawaitable(result):
            await result

    if expected is None:
        await run()
    else:
        with pytest.raises(expected) as info:
            await run()
        text = str(info.value)
        assert needle in text, text
        assert "Traceback" not in text and len(text) < 1200, text  # one clear line, not a dump
    # Nothing half-written: the folder given to a download is empty after a failure.
    assert [p.name for p in out.iterdir()] == []


async def test_a_200_html_page_is_not_saved_as_the_video(server, tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            return httpx.Response(
                200,
                text="<!doctype html><html><title>Sign in to Wi-Fi</title></html>",
                headers={"content-type": "text/html; charset=utf-8"},
            )
        return httpx.Response(200, json=GEN)

    ctx = Ctx(server, tmp_path)
    with pytest.raises((InvalidResponseError, DownloadError)):
        await ctx.mock(handler).video.download("video_mock1", tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []
