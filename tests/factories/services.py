"""The app's services over a test connection: what conftest's `services` fixture gives every test, for fixtures
that need them at a wider scope (a module's shared world)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.agreements import AgreementsEnv
from appcomply.apps import CredentialAuthenticator
from appcomply.bootstrap import Services
from appcomply.content.engine import EngineRegistry, Lexicon
from appcomply.content.service import ContentEnv
from appcomply.identity import identity_env
from appcomply.identity.providers import build_identity_providers
from appcomply.kernel.clock import FixedClock
from appcomply.notices import NoticesEnv
from appcomply.notices.ports import NoticeSenders
from appcomply.notices.providers import LocalEmailOutbox
from appcomply.settings import Settings
from appcomply.vulnerabilities import VulnerabilitiesEnv
from tests.factories.db import read_only_factory


def build_services(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    default_lexicon: Lexicon,
) -> Services:
    """Fresh per call: its caches (API keys, lexicon states, compiled lexicons) start empty."""
    providers = build_identity_providers(settings, clock=clock)
    identity = identity_env(settings, providers)
    senders = NoticeSenders(sms=providers.sms, email=LocalEmailOutbox())
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_only_factory(session_factory),
        clock=clock,
        identity=identity,
        notices=NoticesEnv(senders=senders, keyring=identity.keyring, limits=settings.notices),
        content=ContentEnv(default=default_lexicon, registry=EngineRegistry()),
        agreements=AgreementsEnv(index_key=identity.index_key),
        vulnerabilities=VulnerabilitiesEnv(
            keyring=identity.keyring,
            index_key=identity.index_key,
            limits=settings.vulnerabilities,
            public_url=settings.web.public_url,
        ),
        authenticator=CredentialAuthenticator(session_factory, cache_seconds=settings.security.api_key_cache_seconds),
    )
