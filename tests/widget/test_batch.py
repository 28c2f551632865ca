"""``Batch`` from a notebook's side: a real emulator over HTTP, a real SQLite library, the grid
driven as ipywidgets drives it (its message handler called, what it sends recorded).

Each test makes its batches as a cell would, and a second ``Batch`` of the same requests is the
cell run again (in this kernel or a fresh one: everything it knows comes from the library).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import AsyncMQL, Batch, ConfigurationError, InvalidRequestError
from mql_notebook.library import Library
from mql_notebook.local import LocalServer
from mql_notebook.widget import frontend
from mql_notebook.widget.batch_grid import BatchGrid

JS = Path(__file__).resolve().parents[2] / "js"


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.2)


@pytest.fixture
async def client(emulator, api_key, poll_timing, retry_policy, tmp_path) -> Any:
    async with AsyncMQL(
        api_key=api_key,
        base_url=emulator.url,
        poll_timing=poll_timing,
        retry_policy=retry_policy,
        library=Library(tmp_path / "lib"),
    ) as client:
        yield client


def creates(server: LocalServer) -> list[Any]:
    return [r for r in server.requests if r.endpoint == "create"]


def prompts(tag: str, n: int) -> list[str]:
    return [f"{tag} {i}: a kite over the dunes" for i in range(n)]


async def test_running_the_cell_again_creates_nothing_already_created(emulator, client) -> None:
    requests = prompts("again", 3)
    before = len(creates(emulator))
    runs = await Batch(requests, client=client, duration=5).run()
    assert [r.status for r in runs] == ["completed"] * 3
    assert all(r.video is not None and r.video.is_file() for r in runs)
    assert all(r.generation is not None and r.generation.id == r.generation_id for r in runs)
    assert len(creates(emulator)) == before + 3

    again = await Batch(requests, client=client, duration=5).run()  # the cell run again
    assert [r.status for r in again] == ["already"] * 3
    assert [r.generation_id for r in again] == [r.generation_id for r in runs]
    assert len(creates(emulator)) == before + 3  # not one create more

    grown = await Batch([*requests, "again: one more"], client=client, duration=5).run()
    assert [r.status for r in grown] == ["already"] * 3 + ["completed"]
    assert len(creates(emulator)) == before + 4  # only the new request


async def test_a_cancelled_batch_picks_up_the_rest_without_creating_any_line_twice(
    emulator, client
) -> None:
    requests = prompts("cancelled", 4)
    batch = Batch(requests, client=client, concurrency=2)
    task = batch.start()
    while sum(1 for r in batch.runs if r.generation_id) < 1:
        await asyncio.sleep(0.02)
    assert batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert any(r.status == "unfinished" for r in batch.runs)

    runs = await Batch(requests, client=client, concurrency=2).run()
    assert all(r.ok for r in runs), [(r.status, r.message) for r in runs]
    made = [c for c in creates(emulator) if c.status == 200 and c.idempotency_key]
    mine = {r.line.key for r in runs}
    per_key = Counter(c.generation_id for c in made if c.idempotency_key in mine)
    assert len(per_key) == 4  # one job per request, however many times a key was sent
    assert len({r.generation_id for r in runs}) == 4


async def test_a_sweep_of_2_by_2_sends_4_distinct_requests(emulator, client) -> None:
    before = len(creates(emulator))
    batch = Batch.sweep(prompt="A sweep: a heron", model=["sora", "sora-1.0-turbo"], seed=[1, 2])
    assert batch.labels == [
        "model=sora · seed=1",
        "model=sora · seed=2",
        "model=sora-1.0-turbo · seed=1",
        "model=sora-1.0-turbo · seed=2",
    ]
    batch = Batch.sweep(
        prompt="A sweep: a heron",
        model=["sora", "sora-1.0-turbo"],
        seed=range(1, 3),
        duration=5,
        client=client,
    )
    runs = await batch.run()
    assert all(r.status == "completed" for r in runs)
    sent = creates(emulator)[before:]
    assert len(sent) == 4 and len({c.idempotency_key for c in sent}) == 4
    bodies = {(r.model, r.line.options["seed"]) for r in runs}
    assert bodies == {("sora", 1), ("sora", 2), ("sora-1.0-turbo", 1), ("sora-1.0-turbo", 2)}
    assert len({r.generation_id for r in runs}) == 4


async def test_a_gateway_cap_of_2_never_fails_a_line(emulator, client) -> None:
    emulator.limits.concurrency = 2
    emulator.limits.concurrency_retry_after = 0.2
    try:
        before = len(creates(emulator))
        runs = await Batch(prompts("capped", 6), client=client, concurrency=6).run()
    finally:
        emulator.limits.concurrency = None
    assert [r.status for r in runs] == ["completed"] * 6, [r.message for r in runs]
    sent = creates(emulator)[before:]
    assert {c.status for c in sent} <= {200, 429} and 429 in {c.status for c in sent}
    made = [c for c in sent if c.status == 200]
    assert len(made) == 6 and len({c.generation_id for c in made}) == 6


async def test_bad_input_is_refused_before_anything_is_sent(emulator, api_key, tmp_path) -> None:
    before = len(creates(emulator))
    with pytest.raises(InvalidRequestError, match=r"request 2: .*duration"):
        Batch(["A fox", {"prompt": "A fox", "duration": 7}])
    with pytest.raises(InvalidRequestError, match="needs a 'prompt'"):
        Batch([{"seed": 1}])
    with pytest.raises(InvalidRequestError, match="list of prompts"):
        Batch("A single prompt")
    with pytest.raises(InvalidRequestError, match="concurrency"):
        Batch(["A fox"], concurrency=0)
    async with AsyncMQL(api_key=api_key, base_url=emulator.url, library=False) as bare:
        with pytest.raises(ConfigurationError, match="needs the library"):
            await Batch(["A fox"], client=bare).run()
    assert len(creates(emulator)) == before


async def test_a_prompts_file_is_read_as_the_command_line_reads_it(emulator, client, tmp_path):
    file = tmp_path / "prompts.txt"
    file.write_text('# a comment\nA file: a fox\n\n{"prompt": "A file: a boat", "seed": 3}\n')
    batch = Batch.from_file(file, client=client)
    assert batch.name == str(file.resolve())  # the CLI's default name: either resumes the other
    assert [line.number for line in batch.lines] == [2, 4]
    assert [r.status for r in await batch.run()] == ["completed", "completed"]
    same = Batch(file, client=client)  # a path given as the requests: the same file, keys
    assert [line.key for line in same.lines] == [line.key for line in batch.lines]
    assert [r.status for r in await same.run()] == ["already", "already"]
    bad = tmp_path / "bad.txt"
    bad.write_text("A fox\n{not json\n")
    with pytest.raises(InvalidRequestError, match="line 2: not valid JSON"):
        Batch.from_file(bad)


def test_a_blocking_client_is_accepted_and_runs_from_async_code(emulator, api_key, tmp_path):
    from mql_notebook import MQL

    with MQL(api_key=api_key, base_url=emulator.url, library=Library(tmp_path / "l")) as client:
        runs = asyncio.run(Batch(["A blocking client: a fox"], client=client).run())
    assert [r.status for r in runs] == ["completed"]


async def test_its_own_budget_refuses_what_goes_over_before_it_is_sent(
    emulator, api_key, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("MQL_BASE_URL", emulator.url)
    monkeypatch.setenv("MQL_API_KEY", api_key)
    monkeypatch.setenv("MQL_LIBRARY", str(tmp_path / "own"))
    before = len(creates(emulator))
    batch = Batch(prompts("budget", 4), budget={"videos": 2}, concurrency=1, duration=5)
    estimate = await batch.estimate()
    assert estimate.videos == 4 and estimate.seconds == 20
    runs = await batch.run()
    assert [r.status for r in runs].count("completed") == 2
    refused = [r for r in runs if r.status == "unfinished"]
    assert len(refused) == 2 and all("budget" in r.message for r in refused)
    assert len(creates(emulator)) == before + 2  # the refused ones were never sent
    assert batch.estimated is not None and batch.estimated.videos == 4
    again = Batch(prompts("budget", 4), duration=5)
    assert (await again.estimate()).videos == 2  # what is done costs nothing more
    with pytest.raises(ConfigurationError, match="client's budget"):
        Batch(["x"], client=object(), budget={"videos": 1})  # type: ignore[arg-type]


# ---- the grid ----


class Recorder:
    def __init__(self, widget: BatchGrid) -> None:
        self.messages: list[tuple[dict[str, Any], list[Any]]] = []
        widget.send = lambda content, buffers=None: self.messages.append(  # type: ignore[method-assign]
            (content, list(buffers or []))
        )


async def test_the_grid_shows_live_badges_throttled_and_a_cell_s_video_when_opened(
    emulator, client
) -> None:
    batch = Batch(prompts("grid", 5), client=client, concurrency=5)
    grid = batch.grid
    bundle = batch._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle[0]
    assert [c["label"] for c in grid.cells] == prompts("grid", 5)
    assert [s["status"] for s in grid.states] == ["waiting"] * 5
    writes: list[float] = []
    grid.observe(lambda change: writes.append(asyncio.get_running_loop().time()), names="states")
    recorder = Recorder(grid)

    grid._handle_custom_msg({"kind": "start"}, [])  # the Run button
    runs = await batch.run()
    assert grid.running is False and grid.error == ""
    assert [s["status"] for s in grid.states] == ["completed"] * 5
    assert all(s["has_video"] and s["id"] for s in grid.states)
    assert grid.counts["completed"] == 5
    assert grid.estimate.startswith("5 to create: 5 videos")
    # Many line changes, few view updates: at most about 10 a second.
    spread = writes[-1] - writes[0]
    assert len(writes) <= 10 * spread + 3, (len(writes), spread)
    assert recorder.messages == []  # no video is sent until a cell is opened

    grid._handle_custom_msg({"kind": "video", "index": 3}, [])
    while not recorder.messages or recorder.messages[-1][0]["kind"] != "video-end":
        await asyncio.sleep(0.02)
    begin = recorder.messages[0][0]
    assert begin["kind"] == "video-begin" and begin["generation_id"] == "3"
    sent = b"".join(bytes(b) for _, buffers in recorder.messages for b in buffers)
    assert sent == runs[3].video.read_bytes() and begin["sizes"] == [len(sent)]


async def test_cancel_all_from_the_grid_stops_the_batch_and_says_how_to_resume(
    emulator, client
) -> None:
    batch = Batch(prompts("grid-cancel", 3), client=client, concurrency=1)
    grid = batch.grid
    task = batch.start()
    while grid.states[0]["status"] in ("waiting", "creating"):
        await asyncio.sleep(0.02)
    grid._handle_custom_msg({"kind": "cancel"}, [])
    with pytest.raises(asyncio.CancelledError):
        await task
    assert grid.running is False
    assert "cancelled" in grid.error and "run again" in grid.error
    assert any(s["status"] == "unfinished" for s in grid.states)


async def test_cancel_one_stops_that_line_alone(emulator, client) -> None:
    batch = Batch(prompts("cancel-one", 3), client=client, concurrency=3)
    grid = batch.grid
    task = batch.start()
    while batch.runs[1].status != "running":
        await asyncio.sleep(0.02)
    grid._handle_custom_msg({"kind": "cancel", "index": 1}, [])
    runs = await task  # the batch itself goes on to its end
    assert [r.status for r in runs] == ["completed", "unfinished", "completed"]
    assert runs[1].message == "cancelled" and runs[1].generation_id
    assert not batch.cancel(0)  # nothing runs any more
    again = await Batch(prompts("cancel-one", 3), client=client).run()
    assert [r.status for r in again] == ["already", "completed", "already"]
    assert again[1].generation_id == runs[1].generation_id  # its job picked up, not made again


def test_the_grid_s_traits_and_messages_match_its_declared_protocol() -> None:
    declared = (JS / "batch_protocol.d.ts").read_text()
    traits = re.search(r"interface BatchTraits \{(.*?)\}", declared, re.S)
    assert traits
    names = set(re.findall(r"^  (\w+):", traits[1], re.M))
    assert names == set(BatchGrid.class_own_traits(sync=True)) - {"_esm", "_css"}
    kinds = set(re.findall(r'kind: "(\w+)"', declared))
    assert kinds == {"video", "cancel", "start"}
    assert "innerHTML" not in (JS / "batch.js").read_text()  # text goes in as textContent
    source = frontend.joined(*frontend.BATCH_PARTS)  # the one module anywidget loads
    assert not re.search(r"^import \{", source, re.M) and "export default { render }" in source
    assert json.dumps(BatchGrid(Batch(["x"])).states)  # plain JSON state


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_cell_s_badge_and_the_progress_line_as_the_view_writes_them(tmp_path: Path) -> None:
    module = tmp_path / "batch.mjs"
    module.write_text(frontend.joined(*frontend.BATCH_PARTS))
    script = (
        f"import {{ badgeText, progressText }} from {json.dumps(module.as_uri())};\n"
        "const s = (status, progress = null, expected_end = null) =>\n"
        "  ({ status, progress, expected_end, message: '', id: '', has_video: false });\n"
        "console.log(JSON.stringify([\n"
        "  badgeText(s('running', 40, 112), 100), badgeText(s('running'), 100),\n"
        "  badgeText(s('queued')), badgeText(s('already')),\n"
        "  progressText({ completed: 3, already: 1, failed: 1 }, 6).text,\n"
        "]));\n"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "Generating 40% · 12 s left",
        "Generating",
        "Queued (gateway full)",
        "Done earlier",
        "5/6 finished · 4 done · 1 not done",
    ]
