"""The authenticator's API-key cache: no query on a hit, revocation at once in this process and within the TTL in
others, last use still recorded, and no write in a read-only transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, update
from sqlalchemy.orm import Session, sessionmaker

from appcomply.apps import CredentialAuthenticator, service
from appcomply.apps.errors import InvalidToken
from appcomply.apps.models import ApiKey
from appcomply.db.session import transaction
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app, make_staff_token
from tests.factories.db import read_only_factory
from tests.factories.queries import statements, writes

pytestmark = pytest.mark.db


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def auth(session_factory: sessionmaker[Session], ticks: Ticks) -> CredentialAuthenticator:
    return CredentialAuthenticator(session_factory, cache_seconds=5, monotonic=ticks)


def _key(ctx: Ctx) -> tuple[ApiKey, str]:
    return service.create_api_key(ctx, make_app(ctx, slug="cached").id, name="backend")


def test_a_cached_key_costs_no_query(ctx: Ctx, connection: Connection, auth: CredentialAuthenticator) -> None:
    key, secret = _key(ctx)
    first = auth.api_key(ctx, secret)
    with statements(connection) as seen:
        again = auth.api_key(ctx, secret)
    assert again == first
    assert again.app_id == key.app_id
    assert seen == []


def test_a_miss_is_one_query(ctx: Ctx, connection: Connection, auth: CredentialAuthenticator) -> None:
    _, secret = _key(ctx)
    ctx.session.flush()
    with statements(connection) as seen:
        auth.api_key(ctx, secret)
    reads = [s for s in seen if not s.upper().startswith("UPDATE")]
    assert len(reads) == 1
    assert "JOIN apps" in reads[0]


def test_a_revocation_in_this_process_is_seen_at_once(ctx: Ctx, auth: CredentialAuthenticator) -> None:
    key, secret = _key(ctx)
    auth.api_key(ctx, secret)
    service.revoke_api_key(ctx, key.app_id, key.id)
    with pytest.raises(InvalidToken):
        auth.api_key(ctx, secret)


def test_a_revocation_elsewhere_is_seen_when_the_entry_expires(
    ctx: Ctx, auth: CredentialAuthenticator, ticks: Ticks
) -> None:
    key, secret = _key(ctx)
    auth.api_key(ctx, secret)
    # Another process revokes the key: this process's cache hears nothing of it.
    ctx.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(revoked_at=ctx.clock.now()))
    ticks.now += 4.9
    assert auth.api_key(ctx, secret).id == key.id  # still within the TTL
    ticks.now += 0.2
    with pytest.raises(InvalidToken):
        auth.api_key(ctx, secret)
    with pytest.raises(InvalidToken):  # a refused key is not cached either
        auth.api_key(ctx, secret)


def test_no_cache_checks_every_request(
    ctx: Ctx, connection: Connection, session_factory: sessionmaker[Session]
) -> None:
    auth = CredentialAuthenticator(session_factory, cache_seconds=0)
    _, secret = _key(ctx)
    auth.api_key(ctx, secret)
    with statements(connection) as seen:
        auth.api_key(ctx, secret)
    assert len(seen) == 1


def test_last_use_is_still_written_once_a_minute(
    ctx: Ctx, session: Session, clock: FixedClock, auth: CredentialAuthenticator
) -> None:
    key, secret = _key(ctx)
    auth.api_key(ctx, secret)
    clock.advance(dt.timedelta(seconds=59))
    auth.api_key(ctx, secret)
    session.refresh(key)
    assert key.last_used_at == clock.now() - dt.timedelta(seconds=59)
    clock.advance(dt.timedelta(seconds=1))
    auth.api_key(ctx, secret)
    session.refresh(key)
    assert key.last_used_at == clock.now()


def test_a_read_only_request_writes_last_use_in_a_transaction_of_its_own(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock,
    auth: CredentialAuthenticator,
) -> None:  # fmt: skip
    key, secret = _key(ctx)
    ctx.session.flush()
    with transaction(read_only_factory(session_factory)) as reading:
        reader = Ctx(session=reading, clock=clock, actor=ctx.actor, request_id="read")
        assert auth.api_key(reader, secret).id == key.id
        assert not reading.new
        assert not reading.dirty
    session.refresh(key)
    assert key.last_used_at == clock.now()


def test_a_staff_token_in_a_read_only_request_records_its_use(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, connection: Connection,
    auth: CredentialAuthenticator,
) -> None:  # fmt: skip
    secret = make_staff_token(ctx)
    ctx.session.flush()
    with transaction(read_only_factory(session_factory)) as reading, statements(connection) as seen:
        auth.staff_token(Ctx(session=reading, clock=clock, actor=ctx.actor, request_id="read"), secret)
    assert len(writes(seen)) == 1
