"""The widget while the gateway is full: its create is answered 429 (nothing made) until a slot
frees; the badge's state says "waiting for a free slot" with the server's reason, then the run
goes on to its video, with one job for it."""

from __future__ import annotations

import asyncio

from mql_notebook import AsyncMQL
from mql_notebook.widget import VideoWidget
from tests.widget.support import quiet


async def test_a_full_gateway_shows_waiting_then_the_video(
    local_server, api_key, poll_timing, library_folder
) -> None:
    server = local_server(pace=0.4)
    server.limits.concurrency = 1
    server.limits.concurrency_retry_after = 0.3
    async with AsyncMQL(
        api_key=api_key, base_url=server.url, poll_timing=poll_timing, library=library_folder
    ) as client:
        holder = await client.video.create(model="sora", prompt="The slot holder", duration=5)
        w = quiet(VideoWidget("A heron in the reeds", client=client))
        seen: list[str] = []
        w.observe(lambda change: seen.append(change.new), names="waiting_for_slot")
        run = asyncio.ensure_future(w.generate())
        for _ in range(100):  # the view's trait, as the badge reads it
            if w.waiting_for_slot:
                break
            await asyncio.sleep(0.05)
        assert "concurrency_limit_exceeded" in w.waiting_for_slot, seen
        assert w.running and w.status == "pending" and not w.generation_id
        finished = await run
    assert finished.status == "completed" and w.status == "completed"
    assert w.waiting_for_slot == "" and seen[-1] == ""
    assert w.runs[0]["waiting_for_slot"] == ""
    creates = [
        r for r in server.requests if r.endpoint == "create" and r.generation_id != holder.id
    ]
    assert {r.status for r in creates} == {429, 200} and sum(r.status == 200 for r in creates) == 1
