"""What a batch shows while it runs and when it ends: counts, an ETA, a summary.

``Tally`` and the text functions are plain (no I/O, no clock of their own); ``StatusDisplay``
writes them: a rich progress bar on a terminal, a plain line every ``interval`` seconds
otherwise (a log, CI), so a long batch never floods a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TextIO

from .console import RichBar, is_terminal

Outcome = Literal["completed", "already", "failed", "unfinished", "refused"]


@dataclass(frozen=True)
class LineResult:
    """What became of one line: ``completed`` (now), ``already`` (by an earlier run), ``failed``
    (the job failed or was cancelled), ``unfinished`` (an error stopped it; a re-run resumes),
    ``refused`` (a budget refused it before it was sent; a re-run sends it if the budget allows)."""

    number: int
    outcome: Outcome
    generation_id: str | None = None
    message: str = ""
    created: bool = False  # a create was sent by this run (a first one, or one never answered)


@dataclass
class Tally:
    total: int
    waiting: int = 0
    running: int = 0
    done: int = 0  # completed by this run
    already: int = 0  # completed by an earlier run
    failed: int = 0
    unfinished: int = 0
    refused: int = 0  # by a budget, before anything was sent
    results: list[LineResult] = field(default_factory=list)
    busy: int = 0  # creates answered busy (429/503) and sent again later
    at_once: int | None = None  # jobs the batch lets run at once now (the learned limit)
    decreases: int = 0  # times the learned limit went down

    def __post_init__(self) -> None:
        self.waiting = self.total

    def start(self) -> None:
        self.waiting -= 1
        self.running += 1

    def requeue(self) -> None:
        """A running line's create was answered busy: it waits again (nothing was made)."""
        self.running -= 1
        self.waiting += 1
        self.busy += 1

    def finish(self, result: LineResult, *, was_running: bool = True) -> None:
        if was_running:
            self.running -= 1
        else:
            self.waiting -= 1
        if result.outcome == "completed":
            self.done += 1
        elif result.outcome == "already":
            self.already += 1
        elif result.outcome == "failed":
            self.failed += 1
        elif result.outcome == "refused":
            self.refused += 1
        else:
            self.unfinished += 1
        self.results.append(result)

    @property
    def left(self) -> int:
        return self.waiting + self.running


def eta_seconds(left: int, done_this_run: int, elapsed: float) -> float | None:
    """Seconds until the last line ends at this run's pace so far; None before anything ended."""
    if left == 0:
        return 0.0
    if done_this_run == 0 or elapsed <= 0:
        return None
    return left * elapsed / done_this_run


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def status_text(tally: Tally, elapsed: float) -> str:
    finished_now = tally.done + tally.failed + tally.unfinished + tally.refused
    eta = eta_seconds(tally.left, finished_now, elapsed)
    parts = [f"{tally.done + tally.already}/{tally.total} done"]
    if tally.already:
        parts[0] += f" ({tally.already} before)"
    parts += [f"{tally.running} running", f"{tally.waiting} waiting", f"{tally.failed} failed"]
    if tally.unfinished:
        parts.append(f"{tally.unfinished} unfinished")
    if tally.refused:
        parts.append(f"{tally.refused} refused by a budget")
    if tally.busy and tally.at_once is not None:
        parts.append(f"{tally.at_once} at once (the gateway's limit)")
    parts.append(f"{clock(elapsed)} elapsed, ETA {clock(eta)}")
    return " | ".join(parts)


def summary_lines(tally: Tally, *, library: str, most: int = 20) -> list[str]:
    """The end of a batch: the counts, then each line that did not complete, by number."""
    created = sum(1 for r in tally.results if r.created)
    refused = f", {tally.refused} refused by a budget (not sent)" if tally.refused else ""
    lines = [
        f"{tally.total} line(s): {tally.done + tally.already} completed "
        f"({tally.already} by an earlier run), {tally.failed} failed, {tally.unfinished} "
        f"unfinished{refused}; {created} create(s) sent by this run; videos in {library}"
    ]
    if tally.busy:
        lines.append(
            f"The gateway was full {tally.busy} time(s) (429/503; nothing was made): those creates "
            f"went again later, {tally.at_once} at once at the end"
        )
    problems = sorted(
        (r for r in tally.results if r.outcome in ("failed", "unfinished", "refused")),
        key=lambda r: r.number,
    )
    for result in problems[:most]:
        what = result.outcome
        gid = f" ({result.generation_id})" if result.generation_id else ""
        lines.append(f"  line {result.number}{gid} {what}: {result.message}")
    if len(problems) > most:
        lines.append(f"  ... and {len(problems) - most} more (mql-notebook library list)")
    if tally.unfinished:
        lines.append(
            "Run the same command again to resume: lines already created are not created again."
        )
    if tally.refused:
        lines.append(
            "Lines refused by a budget were not sent: once the budget allows (raise it, or wait "
            "for its next day or month), run the same command again to send them."
        )
    if tally.failed:
        lines.append(
            "A failed line stays failed on a re-run (its request is the same job): "
            "--retry-failed sends it again as a new job, or edit the line."
        )
    return lines


class StatusDisplay:
    """The live status of a batch on ``stream`` (stderr): a rich progress bar of the lines on a
    terminal, a plain ``status_text`` line every ``interval`` seconds otherwise."""

    def __init__(self, stream: TextIO, *, interval: float | None = None) -> None:
        self.stream = stream
        self.live = is_terminal(stream)
        self.interval = interval if interval is not None else (0.5 if self.live else 10.0)
        self._bar: RichBar | None = None

    def show(self, tally: Tally, elapsed: float) -> None:
        if not self.live:
            self.stream.write(status_text(tally, elapsed) + "\n")
            self.stream.flush()
            return
        if self._bar is None:
            self._bar = RichBar(self.stream, total=tally.total)
        ended = tally.done + tally.already + tally.failed + tally.unfinished + tally.refused
        parts = status_text(tally, elapsed).split(" | ")
        self._bar.update(completed=ended, description=parts[0], detail=" | ".join(parts[1:]))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
