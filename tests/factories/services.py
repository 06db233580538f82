"""The app's services over a test connection: what conftest's `services` fixture gives every test, for fixtures
that need them at a wider scope (a module's shared world)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.bootstrap import Services, assemble_services
from appcomply.content.engine import EngineRegistry, Lexicon
from appcomply.content.service import ContentEnv
from appcomply.kernel.clock import FixedClock
from appcomply.settings import Settings
from tests.factories.db import read_only_factory


def services_over(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    default_lexicon: Lexicon,
) -> Services:
    """The app's services over a test connection's session factory (bootstrap.build_services opens an engine of
    its own). Fresh per call: its caches (API keys, lexicon states, compiled lexicons) start empty. The default
    lexicon is loaded once per test session by the caller, not per call."""
    return assemble_services(
        settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_only_factory(session_factory),
        clock=clock,
        content=ContentEnv(default=default_lexicon, registry=EngineRegistry()),
    )
