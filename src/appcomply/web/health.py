"""Operator endpoints: liveness, readiness (database reachable, migrations at head), Prometheus metrics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text

from appcomply.db.migrate import current_revisions, head_revisions
from appcomply.db.session import READ_ONLY
from appcomply.web.deps import ServicesDep

router = APIRouter(tags=["health"])
_ALIVE = b'{"status":"ok"}'


class Readiness(BaseModel):
    """The readiness report: the same shape whether ready (200) or not (503), so probes and people read one thing."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(description="Each check and its outcome: 'ok' or what is wrong.")


@router.get("/healthz", summary="Liveness", response_model=dict[str, str])
async def healthz() -> Response:
    """The process is up and answering. Touches nothing else."""
    # async: nothing here waits, so it answers on the event loop without a hop to the thread pool; the body is
    # built once, not validated and serialised per probe.
    return Response(_ALIVE, media_type="application/json")


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    # A readiness report, not a problem: load balancers read the status, people read the checks.
    responses={503: {"model": Readiness, "description": "Not ready: database unreachable or migrations not at head"}},
)
def readyz(services: ServicesDep) -> Response:
    """Ready to serve: the database answers and its schema is at the migrations' head."""
    checks: dict[str, Any] = {}
    try:
        with services.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.execute(text("SELECT 1"))
            current = current_revisions(conn)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    heads = head_revisions()
    checks["migrations"] = "ok" if current == heads else f"at {sorted(current)}, head is {sorted(heads)}"
    ready = current == heads
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"}
    },
)
def metrics(request: Request) -> Response:
    """Request counts and latency per route template, in the Prometheus text exposition format."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
