"""ASGI middleware: request ids, request-size limit, Prometheus metrics, security headers."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appcomply.kernel.ids import new_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "appcomply_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "appcomply_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


_UNLIMITED_PATHS = frozenset({"/healthz", "/metrics"})  # touch no database: never queued behind the limit


class EdgeMiddleware:
    """Outermost layer: assigns the request id, enforces the body limit, bounds the requests in flight, records
    metrics.

    At most `max_in_flight` requests run past this layer at once (the rest wait here, on the event loop, in
    arrival order). It must not exceed the connection pool: a request holds its session's connection across the
    thread-pool hops of its dependencies and handler, so with more requests in flight than connections, every
    worker thread can end up waiting for a connection that only a request waiting for a thread would give back.
    Measured: 64 connections against 2 workers stalled the server until the pool's 30 s timeout.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, metrics: Metrics, max_in_flight: int) -> None:
        self.app, self.max_body, self.metrics = app, max_body, metrics
        self.in_flight = asyncio.Semaphore(max_in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_id().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                raw = list(message.get("headers", []))
                raw.append((b"x-request-id", request_id.encode()))
                raw.append((b"x-content-type-options", b"nosniff"))
                raw.append((b"referrer-policy", b"same-origin"))
                if scope["path"].startswith("/console"):
                    raw.append((b"x-frame-options", b"DENY"))
                message["headers"] = raw
            await send(message)

        if scope["path"] in _UNLIMITED_PATHS:
            await self._pass(scope, receive, send_wrapper, headers, request_id)
        else:
            async with self.in_flight:
                await self._pass(scope, receive, send_wrapper, headers, request_id)
        route = _route_template(scope)
        self.metrics.requests.labels(scope["method"], route, str(status_holder["status"])).inc()
        self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)

    async def _pass(self, scope: Scope, receive: Receive, send_wrapper: Send, headers: dict[str, str],
                    request_id: str) -> None:  # fmt: skip
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit():
            # The server enforces Content-Length, so a declared size within the limit is the size received.
            if int(declared) > self.max_body:
                await self._reject(scope, send_wrapper, request_id)
            else:
                await self.app(scope, receive, send_wrapper)
        else:
            # A streamed (chunked) body is read here, up to the limit, before the app sees it: a parser deeper
            # down would turn an exception raised mid-read into a 400 and hide the real reason.
            buffered = await self._read_limited(receive)
            if buffered is None:
                await self._reject(scope, send_wrapper, request_id)
            else:
                await self.app(scope, _replay(buffered, receive), send_wrapper)

    async def _read_limited(self, receive: Receive) -> list[Message] | None:
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            total += len(message.get("body", b""))
            if total > self.max_body:
                return None
            if not message.get("more_body", False):
                return messages

    async def _reject(self, scope: Scope, send: Send, request_id: str) -> None:
        body = json.dumps(
            {
                "type": "tag:appcomply.org,2026:problem:request.too_large",
                "title": "Request too large",
                "status": 413,
                "detail": f"the request body exceeds {self.max_body} bytes",
                "instance": scope["path"],
                "code": "request.too_large",
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _route_template(scope: Scope) -> str:
    # The matched route's template ("/v1/apps/{app_id}"), never the raw path: raw paths explode label
    # cardinality and can carry identifiers.
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
