"""Composition root: builds the process's services (engine, session factory, clock) from settings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.db.session import make_engine, make_session_factory
from appcomply.identity import IdentityEnv, identity_env
from appcomply.identity.providers import build_identity_providers
from appcomply.kernel.clock import Clock, SystemClock
from appcomply.settings import Settings

# Every module with tables; migrations and `alembic check` see the metadata only after these are imported.
MODEL_MODULES = (
    "appcomply.audit.models",
    "appcomply.apps.models",
    "appcomply.accounts.models",
    "appcomply.identity.models",
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


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    db = settings.database
    engine = make_engine(db.url, echo=db.echo, pool_size=db.pool_size)
    clock = clock or SystemClock()
    return Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock,
        identity=identity_env(settings, build_identity_providers(settings, clock=clock)),
    )
