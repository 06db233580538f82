"""The edge middleware's in-flight bound: more requests than connections past it starve the thread pool."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from appcomply.web.middleware import EdgeMiddleware, Metrics


class _Counting:
    """An app that holds each request until released and records how many it held at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        if scope["path"] != "/healthz":
            await self.release.wait()
        self.now -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_at_most_max_in_flight_requests_pass_the_edge_and_the_rest_wait_their_turn_but_liveness_never_waits() -> None:
    async def scenario() -> tuple[int, int, list[int], int]:
        inner = _Counting()
        app = EdgeMiddleware(inner, max_body=1024, metrics=Metrics(), max_in_flight=3)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            pending = [asyncio.create_task(client.get(f"/v1/x/{n}")) for n in range(10)]
            await asyncio.sleep(0.05)
            held = inner.now
            alive = await asyncio.wait_for(client.get("/healthz"), timeout=1)  # passes while three are held
            inner.release.set()
            answers = await asyncio.gather(*pending)
        return held, alive.status_code, [a.status_code for a in answers], inner.most

    held, alive, served, most = asyncio.run(scenario())
    assert held == 3
    assert alive == 200
    assert served == [200] * 10  # every queued request was served, none refused
    assert most == 4  # the three held and the liveness probe beside them, never more
