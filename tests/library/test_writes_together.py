"""Writes of many jobs at once go in one transaction (``Library.write_together`` on the index
thread, ``WritesTogether`` from event loops): each write whole, a failing one undone alone."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from mql_notebook import Library, LibraryError
from mql_notebook.library.threads import WritesTogether


def _request(library: Library, prompt: str) -> str:
    entry = library.record_request(
        prompt=prompt, model="sora", options={}, origin="http://x", idempotency_key=uuid.uuid4().hex
    )
    return entry.key


def test_a_failing_action_gets_its_error_and_the_others_are_committed(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    keys = [_request(library, f"p{i}") for i in range(3)]

    def refused() -> None:
        library.record_answer(keys[1], "video_b", "queued")  # a whole write: kept
        raise ValueError("the caller's own error")

    results = library.write_together(
        [
            lambda: library.record_answer(keys[0], "video_a", "queued"),
            refused,
            lambda: library.record_answer(keys[2], "video_c", "queued"),
            lambda: library.record_status("video_a", "in_progress"),
        ]
    )
    assert [ok for ok, _ in results] == [True, False, True, True]
    assert isinstance(results[1][1], ValueError)
    assert library.get("video_a").key == keys[0] and library.get("video_a").status == "in_progress"
    assert library.get("video_b").key == keys[1] and library.get("video_c").key == keys[2]


def test_writes_from_many_tasks_at_once_are_each_answered(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    keys = [_request(library, f"p{i}") for i in range(40)]
    together = WritesTogether(library)

    async def main() -> list[object]:
        async def answer(i: int) -> str:
            await together.run(lambda: library.record_answer(keys[i], f"video_{i}", "queued"))
            return await together.run(lambda: library.get(f"video_{i}").key)

        async def fails() -> None:
            await together.run(lambda: 1 / 0)

        return await asyncio.gather(
            *(answer(i) for i in range(40)), fails(), return_exceptions=True
        )

    *answered, failed = asyncio.run(main())
    assert answered == keys and isinstance(failed, ZeroDivisionError)
    assert all(e.status == "queued" for e in library.entries())


def test_a_library_that_cannot_be_written_fails_every_write_of_the_turn(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    library = Library(tmp_path / "file")
    together = WritesTogether(library)

    async def main() -> list[object]:
        return await asyncio.gather(
            *(together.run(lambda: library.record_status("x", "queued")) for _ in range(3)),
            return_exceptions=True,
        )

    assert all(isinstance(r, LibraryError) for r in asyncio.run(main()))
    with pytest.raises(LibraryError):
        library.entries()
