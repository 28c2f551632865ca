"""The widget on the library, in one process over the emulator: which library it records into,
the history read from it (other widgets' runs, own_runs_only, paging, a resume of a run left
unfinished elsewhere) and the bound on memory (only the shown run holds its videos).

The same across kernels is in test_widget_library_kernel.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mql_notebook import AsyncMQL, Library
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.errors import ConfigurationError
from mql_notebook.local import LocalServer
from mql_notebook.widget.history import EARLIER_NOTE
from mql_notebook.widget.video_widget import VideoWidget
from tests.widget.test_widget import Recorder, posts, view_sends, wait_until

PROMPTS = ["A lighthouse in a storm", "A cat on a piano", "Rain on a tin roof"]


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.3, fault_seed=5)


@pytest.fixture
def make_client(emulator, api_key: str, poll_timing: PollTiming, retry_policy: RetryPolicy):
    def make(**kwargs) -> AsyncMQL:
        return AsyncMQL(
            api_key=api_key,
            base_url=emulator.url,
            poll_timing=poll_timing,
            retry_policy=retry_policy,
            **kwargs,
        )

    return make


def holding(w: VideoWidget) -> list[int]:
    """The indexes in the history of the runs whose videos are in memory."""
    return [i for i, run in enumerate(w.history) if run.videos]


# ---- which library ----


async def test_a_widget_that_builds_its_client_records_into_the_default_library(
    emulator, api_key: str, library_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MQL_BASE_URL", emulator.url)
    monkeypatch.setenv("MQL_API_KEY", api_key)
    w = VideoWidget(PROMPTS[0], duration=5)
    assert w.library == Library(library_folder)
    run = await w.generate()
    assert run.status == "completed", run.error
    entry = Library(library_folder).get(run.generation_id)
    assert entry is not None and entry.status == "completed" and entry.prompt == PROMPTS[0]
    assert entry.video is not None and entry.video.parent == library_folder
    assert entry.video.read_bytes() == w.video


async def test_library_false_or_off_records_nothing_and_keeps_videos_in_memory(
    emulator, api_key: str, library_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MQL_BASE_URL", emulator.url)
    monkeypatch.setenv("MQL_API_KEY", api_key)
    w = VideoWidget(PROMPTS[0], library=False)
    assert w.library is None
    first = await w.generate()
    w.prompt = PROMPTS[1]
    second = await w.generate()
    assert not library_folder.exists(), "library=False wrote into the library"
    # Without a library the videos exist nowhere else: every run keeps its bytes.
    assert first.video and second.video and holding(w) == [0, 1]
    monkeypatch.setenv("MQL_LIBRARY", "off")
    assert VideoWidget().library is None


def test_library_picks_a_folder_and_a_client_keeps_its_own(make_client, tmp_path: Path) -> None:
    assert VideoWidget(library=tmp_path / "a").library == Library(tmp_path / "a")
    assert VideoWidget(library=Library(tmp_path / "b")).library == Library(tmp_path / "b")
    assert VideoWidget(client=make_client(library=tmp_path / "c")).library == Library(
        tmp_path / "c"
    )
    assert VideoWidget(client=make_client(library=False)).library is None
    with pytest.raises(ConfigurationError, match="client's library"):
        VideoWidget(client=make_client(), library=tmp_path / "d")
    assert not (tmp_path / "a").exists(), "looking at an empty library created it"


# ---- history from the library ----


async def test_history_shows_other_widgets_runs_and_plays_them_from_disk(
    make_client, library_folder: Path
) -> None:
    maker = VideoWidget(PROMPTS[0], client=make_client())
    made = [await maker.generate()]
    maker.prompt = PROMPTS[1]
    made.append(await maker.generate())

    w = VideoWidget(client=make_client())
    assert [r.prompt for r in w.history] == PROMPTS[:2]  # newest last
    assert [r["generation_id"] for r in w.runs] == [r.generation_id for r in made]
    assert w.runs[0]["status"] == "completed" and w.runs[0]["variant_count"] == 1
    assert holding(w) == [], "a fresh widget holds no video"
    assert VideoWidget(client=make_client(), own_runs_only=True).history == []

    rec = Recorder(w)
    view_sends(w, "show", index=0)
    assert w.prompt == PROMPTS[0] and w.generation_id == made[0].generation_id
    await wait_until(lambda: "video-end" in rec.kinds())  # read in a worker thread, then sent
    on_disk = Library(library_folder).get(made[0].generation_id)
    assert on_disk is not None and on_disk.video is not None
    assert rec.last_transfer() == [on_disk.video.read_bytes()] == w.videos
    w.show(1)
    assert w.video == made[1].video and holding(w) == [1]


async def test_only_the_shown_run_holds_its_videos(make_client) -> None:
    w = VideoWidget(PROMPTS[0], n=2, client=make_client())
    for prompt in PROMPTS:
        w.prompt = prompt
        await w.generate()
        assert holding(w) == [len(w.history) - 1], "an earlier run kept its bytes"
    assert len(w.history) == 3 and len(w.videos) == 2
    first = w.show(0)
    assert holding(w) == [] and first.videos == []  # nothing until it is read
    assert len(w.videos) == 2 and holding(w) == [0]
    w.show(2)
    assert holding(w) == [] and w.variant_count == 2


async def test_own_runs_only_shows_this_widgets_runs(make_client) -> None:
    await VideoWidget(PROMPTS[0], client=make_client()).generate()
    w = VideoWidget(PROMPTS[1], client=make_client(), own_runs_only=True)
    assert w.history == []
    run = await w.generate()
    assert w.history == [run] and [r["prompt"] for r in w.runs] == [PROMPTS[1]]


def fill(library: Library, count: int) -> None:
    """Requests recorded as a batch or another kernel would (no job needed to list them)."""
    for i in range(count):
        library.record_request(
            prompt=f"prompt {i}", model="sora", options={}, origin=None, idempotency_key=f"k{i}"
        )


def test_the_strip_shows_the_latest_page_and_more_on_demand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(library := Library(tmp_path / "lib"), 7)
    monkeypatch.setattr(VideoWidget, "history_page", 3)
    w = VideoWidget(library=library)
    assert [r["prompt"] for r in w.runs] == ["prompt 4", "prompt 5", "prompt 6"]
    assert w.more_history
    w.load_more_history()
    assert len(w.runs) == 6 and w.more_history
    w.load_more_history()
    assert [r.prompt for r in w.history] == [f"prompt {i}" for i in range(7)]
    assert not w.more_history
    w.show(0)  # an entry that knows no options: the controls get the defaults, never blanks
    assert (w.prompt, w.duration, w.aspect_ratio, w.n) == ("prompt 0", 5, "16:9", 1)
    assert w.status == "pending" and not w.resumable and "never answered" in w.note


async def test_more_history_from_the_view_reads_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(library := Library(tmp_path / "lib"), 4)
    monkeypatch.setattr(VideoWidget, "history_page", 2)
    w = VideoWidget(library=library)
    assert len(w.runs) == 2 and w.more_history
    view_sends(w, "more-history")  # the view's "Show older runs"
    await wait_until(lambda: len(w.runs) == 4)
    assert not w.more_history and w.runs[0]["prompt"] == "prompt 0"


async def test_a_run_left_unfinished_elsewhere_offers_resume_without_a_new_create(
    make_client, emulator
) -> None:
    elsewhere = make_client()
    created = await elsewhere.video.create(model="sora", prompt=PROMPTS[2], duration=5)
    before = posts(emulator)
    w = VideoWidget(client=make_client())
    [run] = w.history
    assert run.generation_id == created.id and run.status in ("pending", "processing")
    w.show(0)
    assert w.resumable and w.note == EARLIER_NOTE and w.prompt == PROMPTS[2]
    view_sends(w, "resume")  # the view's Resume button
    done = await w.task
    assert done.status == "completed" and w.video is not None
    assert posts(emulator) == before, "a resume created a job"
    assert [r.generation_id for r in w.history] == [created.id], "the resume is that entry"
    assert w.history[0] is done and w.runs[0]["status"] == "completed"


async def test_a_run_whose_entry_was_deleted_says_so_when_shown(make_client) -> None:
    w = VideoWidget(PROMPTS[0], client=make_client())
    first = await w.generate()
    w.prompt = PROMPTS[1]
    await w.generate()
    assert w.library is not None and w.library.delete(first.generation_id)
    rec = Recorder(w)
    w.show(0)  # still listed: the strip keeps what it showed
    await wait_until(lambda: "video-end" in rec.kinds())
    assert rec.last_transfer() == [] and w.videos == [] and w.variant_count == 0
    assert "could not be read from the library" in w.note and w.error == ""
    w.show(1)
    assert len(w.videos) == 1


async def test_a_run_of_another_server_is_not_resumed_with_this_client(
    make_client, emulator, library_folder: Path
) -> None:
    library = Library(library_folder)
    elsewhere = library.record_request(
        prompt=PROMPTS[0],
        model="sora",
        options={"duration": 5},
        origin="http://127.0.0.1:9",  # e.g. the in-process emulator of a kernel since gone
        idempotency_key="gone",
    )
    library.record_answer(elsewhere.key, "video_elsewhere", "processing")
    before = posts(emulator)
    w = VideoWidget(client=make_client())
    w.show(0)
    assert w.resumable
    view_sends(w, "resume")
    assert "made on http://127.0.0.1:9" in w.error and not w.running
    assert emulator.count("GET") == 0 and posts(emulator) == before, "asked the wrong server"
    assert [r.generation_id for r in w.history] == ["video_elsewhere"]


def test_a_resume_refused_for_want_of_a_loop_leaves_the_strip_as_it_was(
    make_client, library_folder: Path
) -> None:
    library = Library(library_folder)
    entry = library.record_request(
        prompt=PROMPTS[0], model="sora", options={}, origin=None, idempotency_key="k"
    )
    library.record_answer(entry.key, "video_unfinished", "processing")
    w = VideoWidget(client=make_client())
    run = w.show(0)
    with pytest.raises(RuntimeError, match="running event loop"):
        w.reattach()  # a plain script: no loop to poll on
    assert w.history == [run] and w.shown_run == 0 and w.resumable
