"""Composition root: the only module that knows every domain.

It builds the process's services (engine, session factory, clock, each domain's environment) from settings,
lists every domain's routers and background work, and assembles the web application from them. `web/` is
plumbing that knows no domain; `cli/` builds on this module. A new domain joins the platform here.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.accounts import api as accounts_api
from appcomply.agreements import AgreementsEnv
from appcomply.agreements import admin as agreements_admin
from appcomply.agreements import api as agreements_api
from appcomply.apps import CredentialAuthenticator
from appcomply.apps import admin as apps_admin
from appcomply.apps import api as apps_api
from appcomply.audit import AuditChainer
from appcomply.consent import admin as consent_admin
from appcomply.consent import api as consent_api
from appcomply.content import admin as content_admin
from appcomply.content import api as content_api
from appcomply.content.service import ContentEnv, content_env
from appcomply.db.session import is_sqlite, make_engine, make_session_factory
from appcomply.identity import IdentityEnv, identity_env
from appcomply.identity import admin as identity_admin
from appcomply.identity import api as identity_api
from appcomply.identity.providers import build_identity_providers
from appcomply.kernel.clock import Clock, SystemClock
from appcomply.notices import NoticesEnv, OutboxDrainer
from appcomply.notices import admin as notices_admin
from appcomply.notices import api as notices_api
from appcomply.notices.providers import build_notice_senders
from appcomply.settings import Settings
from appcomply.vulnerabilities import VulnerabilitiesEnv, VulnerabilityJobs
from appcomply.vulnerabilities import admin as vulnerabilities_admin
from appcomply.vulnerabilities import api as vulnerabilities_api
from appcomply.web.app import build_app
from appcomply.web.security import Authenticator

# Every module with tables; migrations and `alembic check` see the metadata only after these are imported.
MODEL_MODULES: Final = (
    "appcomply.audit.models",
    "appcomply.apps.models",
    "appcomply.accounts.models",
    "appcomply.identity.models",
    "appcomply.notices.models",
    "appcomply.agreements.models",
    "appcomply.content.models",
    "appcomply.consent.models",
    "appcomply.vulnerabilities.models",
)

# Every domain's routers, in the order the OpenAPI document lists them: JSON API first, then the console, then
# the public pages.
ROUTERS: Final[tuple[APIRouter, ...]] = (
    apps_api.router,
    accounts_api.router,
    identity_api.router,
    notices_api.router,
    agreements_api.router,
    consent_api.router,
    content_api.router,
    vulnerabilities_api.public_router,
    vulnerabilities_api.router,
    vulnerabilities_api.versions_router,
    vulnerabilities_api.incidents_router,
    vulnerabilities_api.campaigns_router,
    apps_admin.router,
    identity_admin.router,
    notices_admin.router,
    agreements_admin.router,
    consent_admin.router,
    content_admin.router,
    vulnerabilities_admin.router,
    vulnerabilities_admin.incidents_router,
    consent_admin.public_router,
    # Before agreements' /p/{app}/{page}, which would otherwise claim /p/{app}/security.
    vulnerabilities_admin.public_router,
    agreements_admin.public_router,
    vulnerabilities_admin.well_known_router,
)

# Every package with console or public-page templates (its `templates/` directory), searched in this order.
TEMPLATE_PACKAGES: Final = (
    "appcomply.apps",
    "appcomply.identity",
    "appcomply.agreements",
    "appcomply.notices",
    "appcomply.consent",
    "appcomply.content",
    "appcomply.vulnerabilities",
)

DESCRIPTION: Final = """\
One HTTP API for an app provider's duties under the CAC *Provisions on the Administration of Information
Services for Mobile Internet Applications* (2022): real identity, agreements, consent, content review,
complaints, vulnerabilities, audit.

Errors are `application/problem+json` (RFC 9457) with a stable `code`. App backends authenticate with
`Authorization: Bearer <app API key>`; staff with a console session or a personal token (`st_…`, from
`appcomply staff tokens create` or `POST /v1/staff/me/tokens`).

**CSRF.** Calls with a Bearer credential need no CSRF token. Calls authenticated by the console's session
cookie that change something (POST, PUT, PATCH, DELETE) must send the session's CSRF token in the
`X-CSRF-Token` header (or a `csrf_token` form field); without it they get `403` with code `auth.csrf_failed`.
"""

TAGS: Final = (
    {"name": "apps", "description": "Tenants, features, licences, API keys, staff tokens"},
    {"name": "accounts", "description": "An app's end users: public profile and status"},
    {"name": "identity", "description": "Real-identity verification (Art 6), gating, the identity vault"},
    {"name": "agreements", "description": "Published rules and agreements, acceptances (Art 16, PIPL 14/17)"},
    {"name": "notices", "description": "A user's in-app inbox of notices (changes, decisions)"},
    {"name": "consent", "description": "Processing map, consent ledger and checks, data-subject requests"},
    {"name": "content", "description": "Text screening and the app's lexicon (Art 8)"},
    {"name": "vulnerabilities", "description": "Vulnerability intake, triage, authority clocks, disclosure (Art 10)"},
    {"name": "app versions", "description": "Releases, fix releases and forced upgrades; the per-start version check"},
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class Services:
    """The process's services; satisfies `web.deps.Platform`, and each domain's router reads its own env by name."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    clock: Clock
    identity: IdentityEnv
    notices: NoticesEnv
    content: ContentEnv
    agreements: AgreementsEnv
    vulnerabilities: VulnerabilitiesEnv
    authenticator: Authenticator


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    db = settings.database
    engine = make_engine(db.url, echo=db.echo, pool_size=db.pool_size)
    # PostgreSQL: reading requests get their own pool of autocommit, read-only connections (one round trip a query).
    reading = engine if is_sqlite(engine) else make_engine(db.url, echo=db.echo, pool_size=db.pool_size, read_only=True)
    return assemble_services(
        settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        read_session_factory=make_session_factory(reading, read_only=True),
        clock=clock or SystemClock(),
        content=content_env(),
    )


def assemble_services(
    settings: Settings,
    *,
    engine: Engine,
    session_factory: sessionmaker[Session],
    read_session_factory: sessionmaker[Session],
    clock: Clock,
    content: ContentEnv,
) -> Services:
    """Each domain's environment over a ready engine and session factories (tests bind them to one connection)."""
    identity = identity_env(settings, build_identity_providers(settings, clock=clock))
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        clock=clock,
        identity=identity,
        notices=notices_env(settings, identity),
        content=content,
        agreements=AgreementsEnv(index_key=identity.index_key),
        vulnerabilities=VulnerabilitiesEnv(
            keyring=identity.keyring,
            index_key=identity.index_key,
            limits=settings.vulnerabilities,
            public_url=settings.web.public_url,
        ),
        authenticator=CredentialAuthenticator(session_factory, cache_seconds=settings.security.api_key_cache_seconds),
    )


def notices_env(settings: Settings, identity: IdentityEnv) -> NoticesEnv:
    """Notices go out through identity's SMS gateway and sealed under the same vault keys."""
    senders = build_notice_senders(settings, sms=identity.providers.sms)
    return NoticesEnv(senders=senders, keyring=identity.keyring, limits=settings.notices)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The web application from settings (or from ready-made services, as tests do)."""
    if services is None:
        services = build_services(settings or Settings())
    return build_app(
        services,
        routers=ROUTERS,
        description=DESCRIPTION,
        tags=TAGS,
        template_packages=TEMPLATE_PACKAGES,
        lifespan=_background(services),
    )


def _background(services: Services) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Every server process chains committed audit entries; in the single-process default it also delivers the
    notices outbox itself while it runs (settings)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settings = services.settings
        chainer = None
        if settings.audit.chain_in_process:
            chainer = AuditChainer(services.session_factory, interval=settings.audit.chain_interval_seconds)
            chainer.start()
        drainer = watcher = None
        if settings.notices.drains_in_process(settings.database.url):
            # The clock alerts and notice campaigns only queue notices; they run wherever the outbox is drained.
            watcher = VulnerabilityJobs(
                services.session_factory, clock=services.clock, env=services.vulnerabilities,
                interval=settings.vulnerabilities.alert_interval_seconds,
            )  # fmt: skip
            watcher.start()
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
            if watcher is not None:
                watcher.stop()
            # Hits queued by screenings whose after-response flush had not run yet.
            services.content.hit_log.flush(services.session_factory)
            # Last: the entries of everything above and of the last requests are chained before the process ends.
            if chainer is not None:
                chainer.stop()

    return lifespan
