"""A tiny stand-in of the video API for what the emulator has no knob for (bench only).

Progress profiles (``profile`` in the create body, ``T`` = ``seconds``; f = elapsed / T):
- ``steady``: pending for f < 0.15, then progress rises linearly to 99, completed at f = 1
  (the emulator's own shape).
- ``stall``: pending for f < 0.1; progress 0 -> 50 until f = 0.4; stuck at 50 until f = 0.8;
  then 50 -> 99; completed at f = 1. A predictor trained on the first rate is wrong twice.
- ``noprogress``: like steady, but the status object has no ``progress`` field at all.
- ``rise``: no pending phase: progress rises linearly from 0 at the create to 99 (another
  server's shape).
- ``fraction``: like steady, but progress as a fraction of one (0.0 to 1.0, three decimals).
- ``decimal``: like steady, but progress in percent with one decimal (12.5).

``GET /v1/videos/{id}/content`` serves ``video_bytes`` bytes (zeros) for any id, in 256 KiB
pieces like the emulator, with Content-Length (or the bytes of ``video``, e.g. a real MP4).
Every request is logged with the client's port; ``GET /_fake/stats`` counts them by endpoint
(for a server in another process, as the batch benchmark runs it).

    python -m bench.fakeapi --video-bytes 300000000   # serve in this process; prints the URL
    python -m bench.fakeapi --seconds 2 --video-file clip.mp4
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHUNK = 256 * 1024
PROFILES = ("steady", "stall", "noprogress", "rise", "fraction", "decimal")


@dataclass
class FakeJob:
    id: str
    profile: str
    seconds: float
    started: float  # time.monotonic()

    @property
    def completes_at(self) -> float:
        return self.started + self.seconds

    def state(self, now: float) -> tuple[str, float]:
        f = (now - self.started) / self.seconds
        if f >= 1:
            return "completed", 1.0 if self.profile == "fraction" else 100
        if self.profile == "stall":
            if f < 0.1:
                return "pending", 0
            if f < 0.4:
                return "processing", int((f - 0.1) / 0.3 * 50)
            if f < 0.8:
                return "processing", 50
            return "processing", min(99, 50 + int((f - 0.8) / 0.2 * 50))
        if self.profile == "rise":
            return "processing", min(99, int(f * 100))
        if f < 0.15:
            return "pending", 0
        share = (f - 0.15) / 0.85
        if self.profile == "fraction":
            return "processing", min(0.99, round(share, 3))
        if self.profile == "decimal":
            return "processing", min(99.0, round(share * 100, 1))
        return "processing", min(99, int(share * 100))


@dataclass(frozen=True)
class Hit:
    method: str
    endpoint: str
    generation_id: str | None
    time: float  # time.monotonic() on arrival
    port: int | None


class FakeAPI:
    def __init__(
        self,
        *,
        profile: str = "steady",
        seconds: float = 10.0,
        video_bytes: int = 0,
        video: bytes | None = None,
    ):
        self.profile, self.seconds = profile, seconds
        self.jobs: dict[str, FakeJob] = {}
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        self.video = bytes(video_bytes) if video is None else video
        self.app = Starlette(
            routes=[
                Route("/v1/videos/generations", self._create, methods=["POST"]),
                Route("/v1/videos/generations/{id}", self._status, methods=["GET"]),
                Route("/v1/videos/{id}/content", self._content, methods=["GET"]),
                Route("/_fake/stats", self._stats, methods=["GET"]),
            ]
        )

    def _hit(self, request: Request, endpoint: str, gid: str | None) -> None:
        with self._lock:
            self.log.append(
                Hit(
                    request.method,
                    endpoint,
                    gid,
                    time.monotonic(),
                    request.client.port if request.client else None,
                )
            )

    async def _stats(self, request: Request) -> Response:
        with self._lock:
            hits = list(self.log)
        counts: dict[str, int] = {}
        for hit in hits:
            counts[hit.endpoint] = counts.get(hit.endpoint, 0) + 1
        now = time.monotonic()
        completed = sum(1 for job in self.jobs.values() if job.completes_at <= now)
        # How late each finished job was noticed: its first status request after completion.
        noticed: dict[str, float] = {}
        for hit in hits:
            job = self.jobs.get(hit.generation_id or "")
            if hit.endpoint == "status" and job and hit.time >= job.completes_at:
                noticed.setdefault(job.id, hit.time - job.completes_at)
        late = sorted(noticed.values())
        return JSONResponse(
            {
                "requests": counts,
                "jobs": len(self.jobs),
                "completed": completed,
                "late_median": late[len(late) // 2] if late else None,
                "late_p90": late[int(len(late) * 0.9)] if late else None,
            }
        )

    async def _create(self, request: Request) -> Response:
        body = await request.json()
        job = FakeJob(
            "video_" + uuid.uuid4().hex,
            body.get("profile", self.profile),
            float(body.get("seconds", self.seconds)),
            time.monotonic(),
        )
        self.jobs[job.id] = job
        self._hit(request, "create", job.id)
        return JSONResponse(self._object(job, time.monotonic()))

    async def _status(self, request: Request) -> Response:
        gid = request.path_params["id"]
        self._hit(request, "status", gid)
        job = self.jobs.get(gid)
        if job is None:
            return JSONResponse(
                {"error": {"message": "no such generation", "code": "not_found"}}, status_code=404
            )
        return JSONResponse(self._object(job, time.monotonic()))

    def _object(self, job: FakeJob, now: float) -> dict:
        status, progress = job.state(now)
        body = {
            "id": job.id,
            "object": "video",
            "created_at": int(time.time()),
            "status": status,
            "model": "sora",
            "prompt": "bench",
            "seconds": 5,
        }
        if job.profile != "noprogress":
            body["progress"] = progress
        if status == "completed":
            body["download_url"] = f"/v1/videos/{job.id}/content"
        return body

    async def _content(self, request: Request) -> Response:
        self._hit(request, "content", request.path_params["id"])
        data = self.video

        async def chunks():
            view = memoryview(data)
            for offset in range(0, len(view), CHUNK):
                yield bytes(view[offset : offset + CHUNK])

        return StreamingResponse(
            chunks(), media_type="video/mp4", headers={"Content-Length": str(len(data))}
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video-bytes", type=int, default=0)
    parser.add_argument("--video-file", default=None, help="serve this file as every video")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long a job takes")
    parser.add_argument("--profile", default="steady", choices=PROFILES)
    args = parser.parse_args()
    from bench.common import Served

    video = Path(args.video_file).read_bytes() if args.video_file else None
    api = FakeAPI(
        profile=args.profile, seconds=args.seconds, video_bytes=args.video_bytes, video=video
    )
    with Served(api.app) as url:
        print(url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
