"""build_app(): the FastAPI plumbing — middleware, problem handlers, health, static files — around given routers.

Which routers exist is the composition root's business (`appcomply.bootstrap`); this module knows no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from appcomply import __version__
from appcomply.kernel.errors import DomainError
from appcomply.web import health, problems
from appcomply.web.deps import Platform, is_hot_path
from appcomply.web.hot import HotRoute
from appcomply.web.middleware import EdgeMiddleware, Metrics
from appcomply.web.templating import make_templates

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
HEALTH_TAG = {"name": "health", "description": "Liveness, readiness and metrics"}


def hot_routes(routers: Sequence[APIRouter]) -> list[APIRoute]:
    """The routes marked `hot_path`, in declared order."""
    return [r for router in routers for r in router.routes if isinstance(r, APIRoute) and is_hot_path(r.endpoint)]


def build_app(
    services: Platform,
    *,
    routers: Sequence[APIRouter],
    description: str,
    tags: Sequence[dict[str, Any]],
    template_packages: Sequence[str] = (),
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """The application: every router in order, after /healthz, /readyz and /metrics."""
    app = FastAPI(
        lifespan=lifespan,
        title="appcomply",
        version=__version__,
        description=description,
        openapi_tags=[*tags, HEALTH_TAG],
    )
    metrics = Metrics()
    app.state.services = services
    app.state.metrics = metrics
    app.state.templates = make_templates(template_packages)
    app.add_exception_handler(DomainError, problems.domain_error_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_error_handler)
    app.add_exception_handler(Exception, problems.unexpected_error_handler)
    app.include_router(health.router)
    # The hot paths again, first and outside the document (web/hot.py): each included router is matched route by
    # route, twice (FastAPI 0.163), so a screening found at its declared place paid ~120 path matches. Each wraps the
    # route object at its declared place, which it must not shadow (tests/api/test_fast_paths.py checks that no route
    # declared before it answers the same requests).
    app.router.routes.extend(HotRoute(route) for route in hot_routes(routers))
    for router in routers:
        app.include_router(router)
    static = resources.files("appcomply.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(
        EdgeMiddleware, max_body=services.settings.web.max_body_bytes, metrics=metrics,
        max_in_flight=services.settings.database.pool_capacity,
    )  # fmt: skip
    return app
