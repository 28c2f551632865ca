"""Import time: ``import mql_notebook`` against ``import metriqual`` (the official SDK) and ``import httpx``
(the floor both share), each in a fresh interpreter; median of several. Also the heaviest
modules ``-X importtime`` reports for mql_notebook."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys

from bench.common import ROOT

TARGETS = ("httpx", "metriqual", "mql_notebook", "mql_notebook.widget")


def _once(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def _heaviest(module: str, top: int = 6) -> list[tuple[str, float]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
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
    out += [
        "",
        "Heaviest imports under `import mql_notebook` (`-X importtime`, cumulative ms, one run): "
        + ", ".join(f"`{name}` {ms:.0f}" for name, ms in _heaviest("mql_notebook"))
        + ".",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(section(True))
