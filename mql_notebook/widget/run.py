"""One entry of the widget's history: a run of Generate (or a resume) and what became of it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

IDLE = "idle"


@dataclass(eq=False)
class Run:
    """One press of Generate, or one resume: the request, its fate and its videos.

    ``status`` is one of pending, processing, completed, failed, cancelled. ``resumable``
    says polling stopped while the remote job may still run (cancel, wait timeout, lost
    connection): ``VideoWidget.resume(run.generation_id)`` picks it up again.
    """

    prompt: str
    model: str
    aspect_ratio: str
    duration: int
    n: int
    status: str = "pending"
    generation_id: str = ""
    error: str = ""
    note: str = ""
    progress: float | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    resumable: bool = False
    videos: list[bytes] = field(default_factory=list, repr=False)

    @property
    def video(self) -> bytes | None:
        """The first video's bytes, or None when the run produced none."""
        return self.videos[0] if self.videos else None

    @property
    def options(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "aspect_ratio": self.aspect_ratio,
            "duration": self.duration,
            "n": self.n,
        }

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def to_json(self) -> dict[str, Any]:
        """What the view's history strip shows: everything but the video bytes."""
        return {
            "prompt": self.prompt,
            **self.options,
            "status": self.status,
            "generation_id": self.generation_id,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "variant_count": len(self.videos),
        }
