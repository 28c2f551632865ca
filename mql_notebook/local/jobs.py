"""The emulator's jobs: their ids, their state (derived from the clock), expiry and idempotency.

No background task ticks jobs along: a job's state is a pure function of the time since
it was created, its pace, its fate (normal, fail, stall) and whether its renders are done.
Memory is bounded: a job expires ``ttl`` seconds after it was due to finish, and when
``max_jobs`` are held the oldest finished job is evicted first.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..status import COMPLETED, FAILED, PENDING, PROCESSING
from .images import ImageRef
from .limits import output_refusal
from .render import RenderSpec
from .videos import Video, VideoStore

DEFAULT_PACE = 6.0
DEFAULT_TTL = 3600.0
DEFAULT_MAX_JOBS = 1000
PENDING_SHARE = 0.15  # the first 15% of the pace is spent pending, the rest processing
FAIL_AT = 0.5  # a job fated to fail fails at half its pace
STALL_AT = 0.5  # a stalled job's progress freezes where it was at half its pace


@dataclass(frozen=True)
class JobState:
    status: str  # pending, processing, completed, failed (the emulator's own words)
    progress: int
    error: dict[str, str] | None = None


@dataclass
class Job:
    id: str
    request: dict[str, Any]
    """The validated request body, defaults filled in: model, prompt, aspect_ratio, duration, n, resolution."""
    created_at: float  # time.time()
    started: float  # the store's clock
    pace: float
    fate: str | None  # None, "fail" or "stall"
    fate_reason: str
    specs: list[RenderSpec]
    variant_ids: list[str]
    idempotency_key: str | None = None
    api_key: str = ""
    completed_at: float | None = None  # the store's clock when it was first seen completed
    renders: list[Future[Video]] = field(default_factory=list)
    render_error: str | None = None
    rendered: bool = False

    def state(self, now: float) -> JobState:
        elapsed = max(0.0, now - self.started)
        fraction = elapsed / self.pace if self.pace > 0 else 1.0
        if self.fate == "fail" and fraction >= FAIL_AT:
            return JobState(
                FAILED,
                _progress(FAIL_AT),
                {
                    "code": "generation_failed",
                    "message": f"The local emulator failed this job on purpose ({self.fate_reason}).",
                },
            )
        if self.fate == "refuse_output" and fraction >= 1.0:  # refused after a full render
            return JobState(FAILED, 99, output_refusal(self.fate_reason))
        if self.fate == "stall":
            fraction = min(fraction, STALL_AT)
            if fraction < PENDING_SHARE:
                return JobState(PENDING, 0)
            return JobState(PROCESSING, _progress(fraction))
        if fraction < PENDING_SHARE and self.pace > 0:
            return JobState(PENDING, 0)
        if fraction < 1.0:
            return JobState(PROCESSING, _progress(fraction))
        if not self._renders_done():
            return JobState(PROCESSING, 99)
        if self.render_error is not None:
            return JobState(FAILED, 99, {"code": "render_failed", "message": self.render_error})
        if self.completed_at is None:
            self.completed_at = now
        return JobState(COMPLETED, 100)

    def completed_for(self, now: float) -> float | None:
        """Seconds since the job was first seen completed, or None if it has not been."""
        return None if self.completed_at is None else now - self.completed_at

    def _renders_done(self) -> bool:
        if self.rendered:
            return True
        if self.fate is not None:  # fail, stall, refuse_output: it never renders
            return False
        if not all(f.done() for f in self.renders):
            return False
        for f in self.renders:
            if f.cancelled():
                self.render_error = "the render was cancelled (the emulator is shutting down)"
            elif f.exception() is not None:
                self.render_error = f"the emulator could not render this video: {f.exception()!r}"
        self.rendered = True
        self.renders = []  # the bytes live in the video cache, not in the job
        return True

    def variant_index(self, video_id: str) -> int | None:
        if video_id == self.id:
            return 0
        try:
            return self.variant_ids.index(video_id)
        except ValueError:
            return None

    @property
    def expires(self) -> float:
        """When, on the store's clock, the job is forgotten (ttl is added by the store)."""
        return self.started + self.pace


def _progress(fraction: float) -> int:
    """0 at the end of pending, rising linearly to 99 just before the end of the pace."""
    share = (fraction - PENDING_SHARE) / (1.0 - PENDING_SHARE)
    return max(0, min(99, int(share * 100)))


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class ConcurrencyCapReached(Exception):
    """The key already runs as many jobs as the cap allows; ``running`` says how many."""

    def __init__(self, running: int):
        self.running = running
        super().__init__(f"{running} jobs running")


class JobStore:
    """Every live job, by id and by variant id; thread-safe."""

    def __init__(
        self,
        videos: VideoStore,
        *,
        ttl: float = DEFAULT_TTL,
        max_jobs: int = DEFAULT_MAX_JOBS,
        clock: Callable[[], float] = time.monotonic,
    ):
        if max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        if ttl < 0:
            raise ValueError("ttl must be >= 0 seconds")
        self.videos = videos
        self.ttl = ttl
        self.max_jobs = max_jobs
        self.clock = clock
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._variants: dict[str, str] = {}  # variant id -> job id
        self._idempotency: dict[tuple[str, str], str] = {}  # (api key, idempotency key) -> job id
        self._lock = threading.RLock()

    def create(
        self,
        request: dict[str, Any],
        *,
        pace: float,
        fate: str | None,
        fate_reason: str = "",
        api_key: str = "",
        idempotency_key: str | None = None,
        cap: int | None = None,
    ) -> tuple[Job, bool]:
        """(job, created): with an Idempotency-Key seen before (same key, same body), the earlier job and False.

        ``cap``: at most this many jobs of ``api_key`` running at once, else ConcurrencyCapReached
        (nothing made); a replay of an earlier job is answered whatever the cap.
        """
        with self._lock:
            self._expire()
            if idempotency_key is not None:
                earlier = self._jobs.get(self._idempotency.get((api_key, idempotency_key), ""))
                if earlier is not None:
                    if earlier.request != request:
                        raise IdempotencyConflict(idempotency_key)
                    return earlier, False
            if cap is not None:
                running = self.running(api_key)
                if running >= cap:
                    raise ConcurrencyCapReached(running)
            while len(self._jobs) >= self.max_jobs:
                self._evict_one()
            job_id = "video_" + uuid.uuid4().hex
            n = request["n"]
            specs = [
                RenderSpec(
                    prompt=request["prompt"],
                    model=request["model"],
                    aspect_ratio=request["aspect_ratio"],
                    duration=request["duration"],
                    resolution=request["resolution"],
                    variant=i,
                    seed=request.get("seed"),
                    first_frame=_held_image(request.get("first_frame_image")),
                    last_frame=_held_image(request.get("last_frame_image")),
                )
                for i in range(n)
            ]
            variant_ids = [job_id] if n == 1 else [f"{job_id}_{i}" for i in range(n)]
            job = Job(
                id=job_id,
                request=request,
                created_at=time.time(),
                started=self.clock(),
                pace=pace,
                fate=fate,
                fate_reason=fate_reason,
                specs=specs,
                variant_ids=variant_ids,
                idempotency_key=idempotency_key,
                api_key=api_key,
            )
            if fate is None:
                job.renders = [self.videos.get(spec) for spec in specs]
            self._jobs[job_id] = job
            for variant_id in variant_ids:
                self._variants[variant_id] = job_id
            if idempotency_key is not None:
                self._idempotency[(api_key, idempotency_key)] = job_id
            return job, True

    def running(self, api_key: str) -> int:
        """How many jobs of ``api_key`` are neither completed nor failed (they hold its slots)."""
        with self._lock:
            now = self.clock()
            return sum(
                1
                for job in self._jobs.values()
                if job.api_key == api_key and job.state(now).status not in (COMPLETED, FAILED)
            )

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            self._expire()
            return self._jobs.get(job_id)

    def find_video(self, video_id: str) -> tuple[Job, int] | None:
        """The job a video id (job id or variant id) belongs to, and the variant's index."""
        with self._lock:
            self._expire()
            job = self._jobs.get(self._variants.get(video_id, video_id))
            if job is None:
                return None
            index = job.variant_index(video_id)
            return None if index is None else (job, index)

    def jobs(self) -> list[Job]:
        with self._lock:
            self._expire()
            return list(self._jobs.values())

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._jobs)

    def clear(self) -> None:
        with self._lock:
            for job_id in list(self._jobs):
                self._remove(job_id)

    def _expire(self) -> None:
        # Jobs are kept in creation order; with one pace for all, that is also expiry order,
        # so looking at the front is enough (a runtime pace change only delays some expiries).
        now = self.clock()
        while self._jobs:
            job = next(iter(self._jobs.values()))
            if job.expires + self.ttl > now:
                break
            self._remove(job.id)

    def _evict_one(self) -> None:
        now = self.clock()
        for job in self._jobs.values():
            if job.state(now).status in (COMPLETED, FAILED):
                self._remove(job.id)
                return
        self._remove(next(iter(self._jobs)))

    def _remove(self, job_id: str) -> None:
        job = self._jobs.pop(job_id)
        for variant_id in job.variant_ids:
            self._variants.pop(variant_id, None)
        if job.idempotency_key is not None:
            for key, value in list(self._idempotency.items()):
                if value == job_id:
                    del self._idempotency[key]
        # A render still queued is left to run: another job may share it (same render key).
        still_used = {spec.key for other in self._jobs.values() for spec in other.specs}
        self.videos.discard([spec.key for spec in job.specs if spec.key not in still_used])


def _held_image(value: Any) -> ImageRef | None:
    """An image the job holds (ImageRef) to render from; a URL the MiniMax task route kept as
    sent renders as a text-to-video job does."""
    return value if isinstance(value, ImageRef) else None
