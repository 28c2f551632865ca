"""What the command line draws on a terminal, with rich (progress bars, tables), and the plain
lines it writes anywhere else (a log, CI, a pipe), which stay exactly as they were.

rich is imported only when a terminal is there to draw on, so ``import mql_notebook`` and a
command writing into a log never load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def console_for(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


def print_table(
    stream: TextIO,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    right: Sequence[str] = (),
    footer: Sequence[Any] | None = None,
) -> None:
    """A table: rich's on a terminal; plain columns, two spaces apart, elsewhere."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    foot = None if footer is None else ["" if v is None else str(v) for v in footer]
    if is_terminal(stream):
        from rich.table import Table

        table = Table(title=title, show_footer=foot is not None, title_justify="left")
        for index, name in enumerate(headers):
            table.add_column(
                name,
                justify="right" if name in right else "left",
                footer=foot[index] if foot is not None else "",
                overflow="fold",
            )
        for row in cells:
            table.add_row(*row)
        console_for(stream).print(table)
        return
    if title:
        print(title, file=stream)
    every = [list(headers), *cells, *([foot] if foot is not None else [])]
    widths = [max(len(row[i]) for row in every) for i in range(len(headers))]
    for row in every:
        parts = [
            cell.rjust(width) if headers[i] in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(parts).rstrip(), file=stream)


class RichBar:
    """One rich progress bar on a terminal (a job's progress, or a batch's lines)."""

    def __init__(self, stream: TextIO, *, total: float, detail: str = "") -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console_for(stream),
            transient=False,
            refresh_per_second=8,
        )
        self._task = self._progress.add_task("", total=total, detail=detail)
        self._progress.start()

    def update(self, *, completed: float, description: str, detail: str) -> None:
        self._progress.update(
            self._task, completed=completed, description=description, detail=detail
        )

    def close(self) -> None:
        self._progress.stop()
