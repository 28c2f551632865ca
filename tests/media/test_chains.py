"""Runs that chain: a frame of a run, decoded exactly, starts the next; the clips join into one."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from mql_notebook import MQL, concat, frame_of
from mql_notebook.local.render import RenderSpec, render_mp4
from tests.images import duration, mean_difference, picture

PROMPT = "A lighthouse at the edge of a stormy sea"


@pytest.fixture
def emulator(local_server):
    return local_server(pace=0.2)


def test_three_runs_chained_from_each_last_frame_join_into_one(emulator, tmp_path: Path) -> None:
    with MQL(base_url=emulator.url, api_key="mql_chain", library=tmp_path / "lib") as mql:
        mql.video.create_and_download(
            model="sora", prompt=PROMPT, duration=5, first_frame_image=picture(854, 480)
        )
        (entry,) = mql.library.entries()
        chain = [entry]
        for step in range(2):
            last = chain[-1].frame()  # the last frame, decoded from the library's file
            assert last.entry_key == chain[-1].key and last.time == pytest.approx(5 - 1 / 24)
            mql.video.create_and_download(
                model="sora",
                prompt=f"{PROMPT}, part {step + 2}",
                duration=5,
                first_frame_image=last,
            )
            newest = mql.library.entries(limit=1)[0]
            assert newest.parent == chain[-1].key  # the library knows what it was made from
            assert newest.parent_time == pytest.approx(last.time)
            # It starts where the one before ended.
            assert mean_difference(newest.frame(0), last) < 4
            chain.append(newest)
        joined = concat(chain, tmp_path / "joined.mp4")
    assert duration(joined) == pytest.approx(15.0, abs=0.01)
    with av.open(str(joined)) as container:
        assert container.streams.video[0].frames == 3 * 5 * 24
    # The joined file shows each clip in turn: its second clip begins at 5 s.
    assert mean_difference(frame_of(joined, 5.0), chain[1].frame(0)) < 1


def test_a_frame_at_t_is_the_one_shown_then(tmp_path: Path) -> None:
    data = render_mp4(RenderSpec(prompt=PROMPT, duration=5))
    with av.open(io.BytesIO(data)) as container:  # every frame, decoded in order
        every = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for t, index in [(0, 0), (1.0, 24), (2.5, 60), (2.52, 60), (3.999, 95), (4.99, 119)]:
        frame = frame_of(data, t)
        assert np.array_equal(frame.to_numpy(), every[index]), t  # exactly, after a seek
        assert frame.time == pytest.approx(index / 24)
    assert np.array_equal(frame_of(data).to_numpy(), every[-1])
    with pytest.raises(ValueError, match="past the end"):
        frame_of(data, 6)
    with pytest.raises(ValueError, match="seconds >= 0"):
        frame_of(data, -1)


def test_clips_of_other_sizes_are_encoded_again(tmp_path: Path) -> None:
    wide = render_mp4(RenderSpec(prompt=PROMPT, duration=5))
    tall = tmp_path / "tall.mp4"
    tall.write_bytes(render_mp4(RenderSpec(prompt=PROMPT, aspect_ratio="9:16", duration=5)))
    joined = concat([wide, tall], tmp_path / "joined.mp4")
    assert duration(joined) == pytest.approx(10.0, abs=0.05)
    second = frame_of(joined, 7.0).to_numpy()
    assert second.shape == (480, 854, 3)
    assert second[:, :200].mean() < 20  # the tall clip between black bars


def test_concat_refuses_what_is_not_a_clip(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one clip"):
        concat([], tmp_path / "none.mp4")
    with pytest.raises(FileNotFoundError, match="clip 0"):
        concat([tmp_path / "missing.mp4"], tmp_path / "none.mp4")
    assert not (tmp_path / "none.mp4").exists()
