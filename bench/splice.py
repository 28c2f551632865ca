"""``--only``: write the sections measured now into BENCHMARKS.md and keep the others.

Each section opens with a line saying which command measured it, when, on which commit and
under which load, so that a file mixing runs says so where each figure is read.
"""

from __future__ import annotations

import re
from pathlib import Path

# How each section's heading begins (most are numbered; batch is not).
HEADINGS = {
    "polling": "## 1.",
    "download": "## 2.",
    "concurrency": "## 3.",
    "batch": "## Batch",
    "limits": "## Limits",
    "cpu": "## Client CPU",
    "notebook_batch": "## Notebook batch",
    "import": "## 4.",
    "notebook": "## 5.",
    "render": "## 6.",
    "images": "## 7.",
}
_HEADING = re.compile(r"^## (?!How to reproduce)", re.M)
_STAMP = "_Measured by `"


def stamp(text: str, command: str, when: str, commit: str, load: str) -> str:
    """``text`` (a section) with its provenance line under the heading."""
    heading, _, body = text.partition("\n")
    line = f"{_STAMP}{command}` on {when}, commit {commit}, load average {load} at the start._"
    return f"{heading}\n\n{line}\n{body}"


def name_of(section: str) -> str:
    """The section's name in HEADINGS, or its heading line if it is none of them."""
    heading = section.split("\n", 1)[0]
    for name, start in HEADINGS.items():
        if heading.startswith(start):
            return name
    return heading


def sections(text: str) -> dict[str, str]:
    """The sections of a BENCHMARKS.md by name, each up to the next heading, in file order."""
    starts = [m.start() for m in _HEADING.finditer(text)]
    out = {}
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        section = text[start:end].rstrip() + "\n"
        out[name_of(section)] = section
    return out


def old_provenance(text: str) -> tuple[str, str, str, str] | None:
    """(command, when, commit, load at start) from an older file's header, if it has them."""
    written = re.search(r"Written by `([^`]+)` on ([^.]+?) in \d+ s", text)
    commit = re.search(r"^\| commit \| (\S+) \|", text, re.M)
    load = re.search(r"^\| load average \(1/5/15 min\) at start \| ([^|]+) \|", text, re.M)
    if not (written and commit and load):
        return None
    return written.group(1), written.group(2), commit.group(1), load.group(1).strip()


def merge(path: Path, new_parts: dict[str, str]) -> list[str]:
    """Every section: the new ones, and the file's others (stamped if they were not), in the
    order of HEADINGS, any other section of the file after them."""
    old = path.read_text() if path.exists() else ""
    kept = sections(old)
    provenance = old_provenance(old)
    order = [n for n in HEADINGS if n in kept or n in new_parts]
    order += [n for n in kept if n not in HEADINGS]
    merged = []
    for name in order:
        if name in new_parts:
            merged.append(new_parts[name].rstrip() + "\n")
            continue
        text = kept[name]
        if _STAMP not in text.split("\n", 3)[2] and provenance is not None:
            text = stamp(text, *provenance)
        merged.append(text)
    return merged
