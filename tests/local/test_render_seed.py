"""A create request's ``seed``: the same seed renders the same video again, another seed another one."""

from __future__ import annotations

import functools
from concurrent.futures import Future

import numpy as np
import pytest

from mql_notebook.local import RenderSpec, render_mp4
from mql_notebook.local.jobs import JobStore
from tests.local.mp4 import frames

PROMPT = "A timelapse of a flower blooming in a garden"


@functools.cache
def rendered(seed: int | None) -> bytes:
    return render_mp4(RenderSpec(PROMPT, duration=5, seed=seed))


def test_the_same_seed_gives_byte_identical_videos():
    again = render_mp4(RenderSpec(PROMPT, duration=5, seed=7))
    assert again == rendered(7)
    assert RenderSpec(PROMPT, seed=7).key == RenderSpec(PROMPT, seed=7).key


def test_another_seed_gives_a_visibly_different_video():
    a, b = frames(rendered(7), {0, 60}), frames(rendered(8), {0})
    assert rendered(7) != rendered(8)
    difference = np.abs(a[0] - b[0]).mean()
    assert difference > 20, difference  # mean difference per channel, out of 255
    assert np.abs(a[0] - a[60]).mean() > 5  # and a seeded video moves too


def test_a_seeded_video_differs_from_the_unseeded_one():
    seeded, plain = frames(rendered(7), {0})[0], frames(rendered(None), {0})[0]
    assert np.abs(seeded - plain).mean() > 20


def test_without_a_seed_the_video_is_the_one_rendered_before_seeds_existed():
    # The render key of an unseeded spec, as computed before RenderSpec had a seed: the video's
    # look (and the cache) follow from it, so unseeded requests keep their exact videos.
    assert RenderSpec("a flower", duration=5).key == (
        "e8c33c4550f39c7468e81ab6cf15b589455563eb29f8abbc5c07519d8e9226e4"
    )
    assert RenderSpec(PROMPT, duration=5, seed=None) == RenderSpec(PROMPT, duration=5)
    assert render_mp4(RenderSpec(PROMPT, duration=5)) == rendered(None)


def test_zero_is_a_seed():
    assert RenderSpec(PROMPT, seed=0).key not in {
        RenderSpec(PROMPT).key,
        RenderSpec(PROMPT, seed=1).key,
    }


@pytest.mark.parametrize("seed", ["7", 7.0, True])
def test_a_seed_is_an_int(seed):
    with pytest.raises(TypeError, match="seed"):
        RenderSpec(PROMPT, seed=seed)


class _Videos:
    """Stands in for the VideoStore: records what the jobs ask to render."""

    def __init__(self) -> None:
        self.asked: list[RenderSpec] = []

    def get(self, spec: RenderSpec) -> Future[object]:
        self.asked.append(spec)
        return Future()

    def discard(self, keys: list[str]) -> None:
        pass


@pytest.mark.parametrize("seed", [None, 0, 42])
def test_a_job_renders_with_its_request_seed(seed):
    videos = _Videos()
    jobs = JobStore(videos)  # type: ignore[arg-type]
    request = {
        "model": "sora",
        "prompt": PROMPT,
        "aspect_ratio": "16:9",
        "duration": 5,
        "n": 2,
        "resolution": "480p",
    }
    if seed is not None:
        request["seed"] = seed
    job, _ = jobs.create(request, pace=0, fate=None)
    assert [spec.seed for spec in videos.asked] == [seed, seed] == [s.seed for s in job.specs]
    assert len({spec.key for spec in job.specs}) == 2  # the variants still differ


def test_over_http_the_same_seed_makes_the_same_video_and_another_seed_another(
    local_servers,
) -> None:
    from mql_notebook import MQL

    server = local_servers.get(pace=0.1)
    with MQL(base_url=server.url, api_key="mql_seed_http", library=False) as client:

        def video(seed: int) -> bytes:
            return client.video.create_and_download(
                model="sora", prompt="Lanterns over a river", duration=5, seed=seed
            )

        first, again, other = video(11), video(11), video(12)
    assert first == again and first != other
