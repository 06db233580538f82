"""Composition root: builds the process's services (engine, session factory, clock) from settings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.content.service import ContentEnv, content_env
from appcomply.db.session import make_engine, make_session_factory
from appcomply.identity import IdentityEnv, identity_env
from appcomply.identity.providers import build_identity_providers
from appcomply.kernel.clock import Clock, SystemClock
from appcomply.notices import NoticesEnv
from appcomply.notices.providers import build_notice_senders
from appcomply.settings import Settings

# Every module with tables; migrations and `alembic check` see the metadata only after these are imported.
MODEL_MODULES = (
    "appcomply.audit.models",
    "appcomply.apps.models",
    "appcomply.accounts.models",
    "appcomply.identity.models",
    "appcomply.notices.models",
    "appcomply.agreements.models",
    "appcomply.content.models",
    "appcomply.consent.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    identity: IdentityEnv
    notices: NoticesEnv
    content: ContentEnv


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    db = settings.database
    engine = make_engine(db.url, echo=db.echo, pool_size=db.pool_size)
    clock = clock or SystemClock()
    identity = identity_env(settings, build_identity_providers(settings, clock=clock))
    return Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock,
        identity=identity,
        notices=notices_env(settings, identity),
        content=content_env(),
    )


def notices_env(settings: Settings, identity: IdentityEnv) -> NoticesEnv:
    """Notices go out through identity's SMS gateway and sealed under the same vault keys."""
    senders = build_notice_senders(settings, sms=identity.providers.sms)
    return NoticesEnv(senders=senders, keyring=identity.keyring, limits=settings.notices)
