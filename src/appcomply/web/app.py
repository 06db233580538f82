"""create_app(): the FastAPI application — middleware, problem handlers, every module's routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from appcomply import __version__
from appcomply.accounts import api as accounts_api
from appcomply.agreements import admin as agreements_admin
from appcomply.agreements import api as agreements_api
from appcomply.apps import admin as apps_admin
from appcomply.apps import api as apps_api
from appcomply.bootstrap import Services, build_services
from appcomply.consent import admin as consent_admin
from appcomply.consent import api as consent_api
from appcomply.content import admin as content_admin
from appcomply.content import api as content_api
from appcomply.identity import admin as identity_admin
from appcomply.identity import api as identity_api
from appcomply.kernel.errors import DomainError
from appcomply.notices import OutboxDrainer
from appcomply.notices import admin as notices_admin
from appcomply.notices import api as notices_api
from appcomply.settings import Settings
from appcomply.web import health, problems
from appcomply.web.middleware import EdgeMiddleware, Metrics
from appcomply.web.templating import make_templates

DESCRIPTION = """\
One HTTP API for an app provider's duties under the CAC *Provisions on the Administration of Information
Services for Mobile Internet Applications* (2022): real identity, agreements, consent, content review,
complaints, vulnerabilities, audit.

Errors are `application/problem+json` (RFC 9457) with a stable `code`. App backends authenticate with
`Authorization: Bearer <app API key>`; staff with a console session or a personal token (`st_…`).
"""


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the application from settings (or from ready-made services, as tests do)."""
    if services is None:
        services = build_services(settings or Settings())
    app = FastAPI(
        lifespan=_notices_drain(services),
        title="appcomply",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "apps", "description": "Tenants, features, licences, API keys, staff tokens"},
            {"name": "accounts", "description": "An app's end users: public profile and status"},
            {"name": "identity", "description": "Real-identity verification (Art 6), gating, the identity vault"},
            {"name": "agreements", "description": "Published rules and agreements, acceptances (Art 16, PIPL 14/17)"},
            {"name": "notices", "description": "A user's in-app inbox of notices (changes, decisions)"},
            {"name": "consent", "description": "Processing map, consent ledger and checks, data-subject requests"},
            {"name": "content", "description": "Text screening and the app's lexicon (Art 8)"},
            {"name": "health", "description": "Liveness, readiness and metrics"},
        ],
    )
    metrics = Metrics()
    app.state.services = services
    app.state.metrics = metrics
    app.state.templates = make_templates()
    app.add_exception_handler(DomainError, problems.domain_error_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_error_handler)
    app.add_exception_handler(Exception, problems.unexpected_error_handler)
    app.include_router(health.router)
    app.include_router(apps_api.router)
    app.include_router(accounts_api.router)
    app.include_router(identity_api.router)
    app.include_router(notices_api.router)
    app.include_router(agreements_api.router)
    app.include_router(consent_api.router)
    app.include_router(content_api.router)
    app.include_router(apps_admin.router)
    app.include_router(identity_admin.router)
    app.include_router(notices_admin.router)
    app.include_router(agreements_admin.router)
    app.include_router(consent_admin.router)
    app.include_router(content_admin.router)
    app.include_router(consent_admin.public_router)
    app.include_router(agreements_admin.public_router)

    static = resources.files("appcomply.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(EdgeMiddleware, max_body=services.settings.web.max_body_bytes, metrics=metrics)
    return app


def _notices_drain(services: Services) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The single-process default: the server delivers the notices outbox itself while it runs (settings)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settings = services.settings
        drainer = None
        if settings.notices.drains_in_process(settings.database.url):
            drainer = OutboxDrainer(
                services.session_factory,
                clock=services.clock,
                env=services.notices,
                interval=settings.notices.drain_interval_seconds,
            )
            drainer.start()
        try:
            yield
        finally:
            if drainer is not None:
                drainer.stop()

    return lifespan
