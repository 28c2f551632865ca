"""A real library with two generated videos for the export tests: one made from an input image,
one with a hostile prompt. Made by a real client against the emulator, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from mql_notebook import MQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.library import Entry, Library
from mql_notebook.local import LocalServer
from tests.images import picture

KEY = "mql_export_test_key_0123456789"
FAST_POLL = PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.2)
HOSTILE = '</script><script>alert(1)</script><img src=x onerror="alert(2)"> & <!-- fox'
CALM = "A paper boat on a rainy street"


def two_videos(folder: Path) -> Library:
    """The library in ``folder``: CALM from a first frame (16:9), then HOSTILE (9:16)."""
    library = Library(folder)
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = MQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        with client:
            made = [
                client.video.create_and_wait(
                    prompt=CALM,
                    duration=5,
                    aspect_ratio="16:9",
                    first_frame_image=picture(854, 480),
                ),
                client.video.create_and_wait(prompt=HOSTILE, duration=5, aspect_ratio="9:16"),
            ]
            for generation in made:
                client.video.download(generation)
    return library


HOSTILE_NOTE = "<b>best</b> & </script><script>alert(3)</script>"


@dataclass(frozen=True)
class Rated(Entry):
    """An entry as the ratings branch makes them (``Entry.rating`` and ``Entry.note``)."""

    rating: int | None = None
    note: str | None = None


def rated(entry: Entry, stars: int, note: str) -> Rated:
    """``entry`` with a rating and a note, whether or not this version's Entry has them."""
    values = {f.name: getattr(entry, f.name) for f in fields(Entry)}
    return Rated(**{**values, "rating": stars, "note": note})
