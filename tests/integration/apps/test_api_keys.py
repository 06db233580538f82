"""API keys on a real database: shown once and stored as a digest, scoped to one app, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from appcomply.apps import service
from appcomply.apps.errors import ApiKeyAlreadyRevoked, ApiKeyNotFound, AppNotFound, InvalidToken
from appcomply.apps.models import ApiKey
from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from tests.factories.apps import authenticator, make_app


def _mark(session: Session) -> int:
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def _entries_after(session: Session, mark: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.id > mark).order_by(AuditEntry.id)))


def test_a_new_key_is_returned_once_and_only_its_sha256_digest_is_stored(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    key, secret = service.create_api_key(ctx, app.id, name="prod backend")
    assert secret.startswith("ak_")
    assert len(secret) == 3 + 43
    # Read the stored row itself, not the ORM object we still hold.
    table = cast(Table, ApiKey.__table__)
    row = session.connection().execute(select(table).where(table.c.id == key.id)).one()._asdict()
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert row["prefix"] == secret[:10]
    assert all(secret not in str(value) for value in row.values())
    assert (row["name"], row["created_by"], row["revoked_at"], row["last_used_at"]) == (
        "prod backend",
        "cli",
        None,
        None,
    )


def test_creating_a_key_is_audited_without_the_secret(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    mark = _mark(session)
    key, secret = service.create_api_key(ctx, app.id, name="ci")
    [entry] = _entries_after(session, mark)
    assert (entry.event, entry.subject_kind, entry.subject_id) == ("apps.api_key.created", "api_key", str(key.id))
    assert entry.app_id == app.id
    assert entry.data == {"name": "ci", "prefix": secret[:10]}


def test_two_keys_of_one_app_are_different_secrets(ctx: Ctx) -> None:
    app = make_app(ctx)
    first, second = service.create_api_key(ctx, app.id, name="a"), service.create_api_key(ctx, app.id, name="b")
    assert first[1] != second[1]
    assert first[0].key_hash != second[0].key_hash
    assert service.list_api_keys(ctx, app.id) == [first[0], second[0]]


def test_a_live_key_authenticates_as_its_app(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    app = make_app(ctx, slug="keyed")
    key, secret = service.create_api_key(ctx, app.id, name="backend")
    mark = _mark(session)
    actor = authenticator(ctx).api_key(ctx, secret)
    assert actor == Actor(kind=ActorKind.APP, label=f"app:keyed:{key.prefix}", id=key.id, app_id=app.id)
    assert actor.roles == frozenset()
    assert _last_used(session, key) == clock.now()
    assert _entries_after(session, mark) == []  # a use is not a decision: no audit entry


def test_last_use_is_written_at_most_once_a_minute(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    key, secret = service.create_api_key(ctx, make_app(ctx).id, name="backend")
    first_use = clock.now()
    authenticator(ctx).api_key(ctx, secret)
    clock.advance(dt.timedelta(seconds=59))
    authenticator(ctx).api_key(ctx, secret)
    assert _last_used(session, key) == first_use
    clock.advance(dt.timedelta(seconds=1))
    authenticator(ctx).api_key(ctx, secret)
    assert _last_used(session, key) == first_use + dt.timedelta(minutes=1)


def _last_used(session: Session, key: ApiKey) -> dt.datetime | None:
    session.refresh(key)  # the use is written by an UPDATE statement, not through the loaded object
    return key.last_used_at


@pytest.mark.parametrize("secret", ["", "ak_nosuchkey", "not-a-key-at-all"])
def test_an_unknown_key_is_refused(ctx: Ctx, secret: str) -> None:
    service.create_api_key(ctx, make_app(ctx).id, name="backend")
    with pytest.raises(InvalidToken) as raised:
        authenticator(ctx).api_key(ctx, secret)
    assert raised.value.code == "auth.invalid_token"


def test_a_near_miss_of_a_real_key_is_refused(ctx: Ctx) -> None:
    _, secret = service.create_api_key(ctx, make_app(ctx).id, name="backend")
    for forged in (secret[:-1], secret + "x", secret.upper(), " " + secret):
        with pytest.raises(InvalidToken):
            authenticator(ctx).api_key(ctx, forged)


def test_a_revoked_key_is_refused(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    app = make_app(ctx)
    key, secret = service.create_api_key(ctx, app.id, name="backend")
    authenticator(ctx).api_key(ctx, secret)
    clock.advance(dt.timedelta(hours=1))
    mark = _mark(session)
    revoked = service.revoke_api_key(ctx, app.id, key.id)
    assert revoked.revoked_at == clock.now()
    [entry] = _entries_after(session, mark)
    assert (entry.event, entry.subject_id, entry.data) == ("apps.api_key.revoked", str(key.id), {"prefix": key.prefix})
    with pytest.raises(InvalidToken):
        authenticator(ctx).api_key(ctx, secret)


def test_revoking_a_key_twice_is_a_conflict(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    key, _ = service.create_api_key(ctx, app.id, name="backend")
    service.revoke_api_key(ctx, app.id, key.id)
    first_revocation = key.revoked_at
    mark = _mark(session)
    with pytest.raises(ApiKeyAlreadyRevoked) as raised:
        service.revoke_api_key(ctx, app.id, key.id)
    assert raised.value.fields == {"key_id": str(key.id)}
    assert key.revoked_at == first_revocation
    assert _mark(session) == mark


def test_a_key_cannot_be_revoked_through_another_app(ctx: Ctx) -> None:
    app, other = make_app(ctx), make_app(ctx)
    key, secret = service.create_api_key(ctx, other.id, name="backend")
    for key_id in (key.id, new_id()):
        with pytest.raises(ApiKeyNotFound) as raised:
            service.revoke_api_key(ctx, app.id, key_id)
        assert raised.value.fields == {"key_id": str(key_id)}
    assert authenticator(ctx).api_key(ctx, secret).app_id == other.id


def test_keys_are_listed_per_app(ctx: Ctx) -> None:
    app, other = make_app(ctx), make_app(ctx)
    mine, _ = service.create_api_key(ctx, app.id, name="mine")
    service.create_api_key(ctx, other.id, name="theirs")
    assert service.list_api_keys(ctx, app.id) == [mine]


def test_keys_of_an_unknown_app_or_of_another_app_for_an_app_key_are_not_found(ctx: Ctx) -> None:
    app, other = make_app(ctx), make_app(ctx)
    with pytest.raises(AppNotFound):
        service.create_api_key(ctx, new_id(), name="x")
    as_app = Ctx(
        session=ctx.session,
        clock=ctx.clock,
        actor=authenticator(ctx).api_key(ctx, service.create_api_key(ctx, app.id, name="k")[1]),
        request_id="app",
    )
    for call in (
        lambda: service.create_api_key(as_app, other.id, name="minted"),
        lambda: service.list_api_keys(as_app, other.id),
        lambda: service.revoke_api_key(as_app, other.id, new_id()),
    ):
        with pytest.raises(AppNotFound):
            call()
    assert service.list_api_keys(ctx, other.id) == []
