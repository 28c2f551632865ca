"""The library's index and folder as real files: versions, refusals, names, deletes, durations."""

from __future__ import annotations

import os
import pickle
import sqlite3
import time
from pathlib import Path

import pytest

from mql_notebook import Library, LibraryError
from mql_notebook.library import INDEX_NAME, SCHEMA_VERSION, resolve_library
from mql_notebook.library.schema import APPLICATION_ID, MIGRATIONS


def make_v1(folder: Path) -> Path:
    """A library index as the first schema wrote it, with one downloaded entry."""
    folder.mkdir()
    (folder / "video_old.mp4").write_bytes(b"old video bytes")
    conn = sqlite3.connect(folder / INDEX_NAME)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO entries (key, id, status, prompt, model, options, origin, idempotency_key, "
        "created_at, finished_at) VALUES ('k1', 'video_old', 'completed', 'an old prompt', 'sora', "
        "'{\"duration\": 5}', 'https://api.metriqual.com:443', 'idem-1', 100.0, 130.0)"
    )
    conn.execute(
        "INSERT INTO files (entry_key, variant, name, size, sha256) "
        "VALUES ('k1', 0, 'video_old.mp4', 15, 'abc')"
    )
    conn.commit()
    conn.close()
    return folder / INDEX_NAME


def test_a_newer_release_opens_a_v1_library_and_keeps_its_entries(tmp_path: Path) -> None:
    index = make_v1(tmp_path / "lib")
    library = Library(tmp_path / "lib")
    entry = library.get("video_old")
    assert entry is not None
    assert (entry.key, entry.prompt, entry.options, entry.status) == (
        "k1",
        "an old prompt",
        {"duration": 5},
        "completed",
    )
    assert entry.files == (tmp_path / "lib" / "video_old.mp4",)
    assert entry.posters == (None,)  # a column added by version 2
    library.record_duration("https://api.metriqual.com:443", "sora", 5, None, 1, 30.0)
    assert library.expected_duration("https://api.metriqual.com:443", "sora", 5, None, 1) == 30.0
    library.close()
    with sqlite3.connect(index) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def refused(tmp_path: Path, content: bytes | None = None, build=None) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    index = folder / INDEX_NAME
    if content is not None:
        index.write_bytes(content)
    if build is not None:
        with sqlite3.connect(index) as conn:
            build(conn)
    before = index.read_bytes()
    with pytest.raises(LibraryError) as caught:
        Library(folder).entries()
    assert str(index) in str(caught.value)
    assert index.read_bytes() == before  # never overwritten
    assert not (folder / f"{INDEX_NAME}-wal").exists()


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    refused(tmp_path, b"these are my notes, not a database\n" * 100)


def test_a_damaged_index_is_refused_untouched(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.record_request(prompt="p", model="sora", options={}, origin=None, idempotency_key="k")
    library.close()
    index = tmp_path / "lib" / INDEX_NAME
    data = bytearray(index.read_bytes())
    data[120:4096] = b"\xff" * (4096 - 120)  # the first page's contents, after the header
    index.write_bytes(bytes(data))
    for name in (f"{INDEX_NAME}-wal", f"{INDEX_NAME}-shm"):
        (tmp_path / "lib" / name).unlink(missing_ok=True)
    before = index.read_bytes()
    with pytest.raises(LibraryError, match=str(index)):
        Library(tmp_path / "lib").entries()
    assert index.read_bytes() == before


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    refused(tmp_path, build=lambda c: c.execute("CREATE TABLE notes (text TEXT)"))


def test_an_index_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    def newer(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE entries (key TEXT)")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")

    refused(tmp_path, build=newer)


@pytest.mark.parametrize(
    "hostile",
    ["../../x", "/etc/passwd", "..", ".", "a/../../b", "..\\..\\x", "\x00x", "~/x", "." * 300],
)
def test_a_hostile_id_names_a_file_inside_the_folder(tmp_path: Path, hostile: str) -> None:
    library = Library(tmp_path / "lib")
    for variant in (0, 1):
        path = library.video_path(hostile, variant)
        assert path.parent == library.path
        assert path.name.endswith(".mp4") and not path.name.startswith(".")
    # An id equal to the name the hostile one got is another file.
    stem = library.video_path(hostile).stem
    assert library.video_path(stem) != library.video_path(hostile)


def test_ids_that_differ_get_different_files(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    ids = ["video_1", "video_1-2", "video/1", "video_1.", "VIDEO_1"]
    names = {library.video_path(i, v).name for i in ids for v in (0, 1)}
    assert len(names) == 2 * len(ids)
    assert library.video_path("video_1").name == "video_1.mp4"
    assert library.video_path("video_1", 1).name == "video_1-2.mp4"


def test_a_symlink_planted_in_the_folder_is_refused(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib").open()
    (library.path / "video_9.mp4").symlink_to(tmp_path / "elsewhere.mp4")
    with pytest.raises(LibraryError, match="outside"):
        library.video_path("video_9")


def test_delete_while_the_video_is_open_breaks_nothing(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    entry = library.record_request(
        prompt="p", model="sora", options={}, origin=None, idempotency_key="k"
    )
    library.record_answer(entry.key, "video_7", "completed")
    path = library.video_path("video_7")
    path.write_bytes(b"x" * 100_000)
    library.record_file("video_7", 0, path, size=100_000, sha256="s")
    with open(path, "rb") as playing:
        first = playing.read(10)
        assert library.delete("video_7") is True
        assert playing.read() == b"x" * (100_000 - 10) and first == b"x" * 10
    assert library.get("video_7") is None and library.get(entry.key) is None
    assert not path.exists()
    assert library.delete("video_7") is False


def test_entries_newest_first_filtered_and_limited(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    keys = []
    for i in range(4):
        e = library.record_request(
            prompt=f"p{i}", model="sora", options={}, origin=None, idempotency_key=f"k{i}"
        )
        keys.append(e.key)
        library.record_answer(e.key, f"video_{i}", "completed" if i % 2 else "processing")
    assert [e.prompt for e in library.entries()] == ["p3", "p2", "p1", "p0"]
    assert [e.prompt for e in library.entries(status="completed")] == ["p3", "p1"]
    assert [e.prompt for e in library.entries(limit=1)] == ["p3"]
    # Completed with no video here is still to do; processing too.
    assert [e.prompt for e in library.pending()] == ["p3", "p2", "p1", "p0"]
    assert library.get(keys[0]) == library.get("video_0") == library.by_idempotency_key("k0")
    assert library.by_idempotency_key("k9") is None


def test_expected_duration_is_the_median_of_the_latest_five(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    kind = ("http://127.0.0.1:1", "sora", 5, "480p", 1)
    assert library.expected_duration(*kind) is None
    for seconds in (100, 100, 10, 11, 12, 13, 50):
        library.record_duration(*kind, seconds)
    assert library.expected_duration(*kind) == 12  # 10, 11, 12, 13, 50
    assert library.expected_duration("http://127.0.0.1:1", "sora", 10, "480p", 1) is None


def test_which_library_a_client_uses(tmp_path: Path) -> None:
    folder = str(tmp_path / "env-lib")
    assert resolve_library(environ={}) is None  # a plain MQL() records nothing
    assert resolve_library(environ={"MQL_LIBRARY": folder}) == Library(folder)
    assert resolve_library(environ={"MQL_LIBRARY": "off"}, on_by_default=True) is None
    assert resolve_library(environ={}, on_by_default=True) == Library("mql-videos")
    assert resolve_library(True, environ={}) == Library("mql-videos")
    assert resolve_library(False, environ={"MQL_LIBRARY": folder}) is None
    assert resolve_library(tmp_path, environ={}) == Library(tmp_path)
    assert Library("mql-videos").path == Path(os.getcwd()) / "mql-videos"


def test_stale_half_written_downloads_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib").open()
    stale = library.path / ".video_1.mp4.0badc0de.part"
    fresh = library.path / ".video_2.mp4.1234abcd.part"
    for part in (stale, fresh):
        part.write_bytes(b"half a video")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))  # a crash two hours ago
    assert library.remove_stale_parts() == 1
    assert not stale.exists() and fresh.exists()


def test_a_library_goes_to_a_child_process_as_its_folder(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.record_request(prompt="p", model="sora", options={}, origin=None, idempotency_key="k")
    copy = pickle.loads(pickle.dumps(library))  # what multiprocessing does with an argument
    assert copy == library and [e.prompt for e in copy.entries()] == ["p"]
