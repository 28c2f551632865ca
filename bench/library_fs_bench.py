"""The library's index where WAL cannot work (issue 22): the two ways, measured on a real FUSE mount.

    python -m bench.library_fs_bench        # as root, with Debian's bindfs; prints JSON

A: the index in the folder on ``bindfs -o direct_io``, with the rollback journal under the
   folder's lock file (what the library does); B: the index on the local disk (as a user's
   cache folder would be), with WAL. The videos are in the folder either way, so only the
   index's work is timed: one generation's records (the request and its read-back, the
   answer, two statuses, a duration, the file, a read of the entry), and the first open.
Not part of ``python -m bench``: it needs root to mount.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mql_notebook import Library

GENERATIONS = 200
PROCESSES = 4
PER_PROCESS = 100


def one_generation(library: Library, tag: str) -> None:
    entry = library.record_request(
        prompt=f"a prompt {tag}",
        model="sora",
        options={"duration": 5},
        origin="http://x:80",
        idempotency_key=tag,
    )
    gid = f"video_{tag}"
    library.record_answer(entry.key, gid, "pending")
    library.record_status(gid, "processing")
    library.record_status(gid, "completed")
    library.record_duration("http://x:80", "sora", 5, None, 1, 3.0)
    path = library.video_path(gid)
    library.record_file(gid, 0, path, size=1000, sha256="0" * 64)
    library.get(gid)


def _worker(folder: str, name: str, count: int) -> None:
    library = Library(folder)
    for i in range(count):
        one_generation(library, f"{name}-{i}")


def measure(folder: Path) -> dict[str, float]:
    started = time.perf_counter()
    library = Library(folder).open()
    opened = time.perf_counter() - started
    times = []
    for i in range(GENERATIONS):
        t = time.perf_counter()
        one_generation(library, f"solo-{i}")
        times.append(time.perf_counter() - t)
    library.close()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker, args=(str(folder), f"p{i}", PER_PROCESS))
        for i in range(PROCESSES)
    ]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    together = time.perf_counter() - started
    count = len(Library(folder).entries())
    assert count == GENERATIONS + PROCESSES * PER_PROCESS, count
    return {
        "journal": Library(folder).journal.mode,
        "first_open_ms": round(opened * 1000, 1),
        "generation_ms_median": round(statistics.median(times) * 1000, 2),
        "generation_ms_p95": round(sorted(times)[int(0.95 * len(times))] * 1000, 2),
        f"{PROCESSES}_processes_x_{PER_PROCESS}_s": round(together, 2),
        "generations_per_s_together": round(PROCESSES * PER_PROCESS / together, 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        source, mount, local = Path(temp, "src"), Path(temp, "fuse"), Path(temp, "cache")
        source.mkdir()
        mount.mkdir()
        subprocess.run(["bindfs", "-o", "direct_io", str(source), str(mount)], check=True)
        try:
            results = {
                "A: in the folder on FUSE, rollback journal + lock file": measure(mount / "lib"),
                "B: on the local disk (a cache folder), WAL": measure(local / "lib"),
            }
        finally:
            subprocess.run(["fusermount", "-u", str(mount)], check=False)
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
