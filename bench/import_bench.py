"""Import time: ``import mql_notebook`` against ``import metriqual`` (the official SDK) and ``import httpx``
(the floor both share), each in a fresh interpreter; median of several. Then the whole process
(``python -c "import X"`` from start to exit, as a user waits for it), paired with its anchor
run by run, for ``import`` and for ``from X import MQL``. Also the heaviest modules
``-X importtime`` reports for mql_notebook."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time

from bench.common import ROOT

TARGETS = ("httpx", "metriqual", "mql_notebook", "mql_notebook.widget")
# Bytecode is cached, as for an installed package (pip compiles it): a shell with
# PYTHONDONTWRITEBYTECODE set would otherwise compile our modules from source at every run
# while metriqual's come compiled from site-packages.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _once(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


MADE = 'MQL(api_key="mql_k", base_url="http://127.0.0.1:1")'  # metriqual builds its pool here
PROCESS_PAIRS = (
    ("import mql_notebook", "import metriqual"),
    ("from mql_notebook import MQL", "from metriqual import MQL"),
    (f"from mql_notebook import MQL; {MADE}", f"from metriqual import MQL; {MADE}"),
    ("import httpx", "import metriqual"),
    ("import httpx, asyncio", "import httpx"),
)


def _process(code: str) -> float:
    """Wall seconds of a whole ``python -c code``, start-up and exit included."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, check=True)
    return time.perf_counter() - t


def _processes(repeat: int) -> list[tuple[str, str, float, float, float]]:
    """(A, B, A's median ms, B's median ms, median of A/B pair by pair): A and B in turn."""
    rows = []
    for a, b in PROCESS_PAIRS:
        _process(a), _process(b)  # warm-up: page cache, .pyc files
        ta, tb = [], []
        for _ in range(repeat):
            ta.append(_process(a))
            tb.append(_process(b))
        ratio = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
        rows.append((a, b, statistics.median(ta) * 1e3, statistics.median(tb) * 1e3, ratio))
    return rows


def _heaviest(module: str, top: int = 6) -> list[tuple[str, float]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 3:  # top-level imports of the module (and the module itself)
            rows.append((m.group(4), int(m.group(2)) / 1e3))
    return sorted(rows, key=lambda r: -r[1])[:top]


def section(quick: bool) -> str:
    repeat = 5 if quick else 11
    print(f"import: {len(TARGETS)} modules x {repeat} ...", flush=True)
    times = {m: [] for m in TARGETS}
    for _ in range(repeat):
        for m in TARGETS:  # interleaved
            times[m].append(_once(m) * 1e3)
    med = {m: statistics.median(v) for m, v in times.items()}
    out = [
        "## 4. Import time",
        "",
        f"`import X` timed inside a fresh interpreter (page cache warm), median of {repeat}, interleaved.",
        "Anchor: `import metriqual` (the official SDK) in the same run.",
        "",
        "| module | median ms | min ms | vs metriqual |",
        "|---|---|---|---|",
    ]
    for m in TARGETS:
        out.append(
            f"| `{m}` | {med[m]:.0f} | {min(times[m]):.0f} | {med[m] / med['metriqual']:.2f}x |"
        )
    processes = _processes(repeat * 2)
    out += [
        "",
        "The whole process, `python -c CODE` from start to exit (what a user waits for), A and B",
        f"in turn {repeat * 2} times after one warm-up; the ratio is the median of A/B pair by pair.",
        "",
        "| A | B | A median ms | B median ms | A/B (paired median) |",
        "|---|---|---|---|---|",
    ]
    for a, b, ma, mb, ratio in processes:
        out.append(f"| `{a}` | `{b}` | {ma:.0f} | {mb:.0f} | {ratio:.2f}x |")
    whole = processes[0][4]
    client = processes[1][4]
    made = processes[2][4]
    out += [
        "",
        f"**Target 4 (issue 14)**: `import mql_notebook` no slower than `import metriqual` as a "
        f"whole process -> {'met' if whole <= 1.0 else 'NOT met'} ({whole:.2f}x). The client "
        "(httpx, asyncio), the library (sqlite3), the widget (anywidget, ipywidgets) load on "
        "first use of their names (a module `__getattr__`). "
        f"`from mql_notebook import MQL` against `from metriqual import MQL`: {client:.2f}x"
        + (": slower, and said so (issue 21, item 5 below)." if client > 1.0 else "."),
        "",
        f"**Issue 21, item 5**: `from mql_notebook import MQL` no slower than `from metriqual "
        f"import MQL` as a whole process -> {'met' if client <= 1.0 else 'NOT met'} "
        f"({client:.2f}x). `MQL` is the sync client's module alone: the async core (asyncio, "
        "httpx, the poller...) loads with the first `MQL()`, and a plain `MQL()` (no "
        "`MQL_LIBRARY`) loads no library code. So that this does not just move the cost, the "
        "pair with the client made: "
        f"{made:.2f}x ({'no slower' if made <= 1.0 else 'slower'}; metriqual builds its "
        "connection pool and TLS context in `MQL()`, ours on the first request). What a made "
        "client still loads: asyncio, which the sync-only SDK never imports "
        f"({processes[4][4]:.2f}x `import httpx` alone, the last row), and about 45 small "
        "modules of our own client.",
    ]
    out += [
        "",
        "Heaviest imports under `import mql_notebook` (`-X importtime`, cumulative ms, one run): "
        + ", ".join(f"`{name}` {ms:.0f}" for name, ms in _heaviest("mql_notebook"))
        + ".",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(section(True))
