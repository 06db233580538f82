"""API keys: an app backend's credential. Shown once, stored as a digest, revocable, last use recorded."""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, update

from appcomply import audit
from appcomply.apps import rules
from appcomply.apps.errors import ApiKeyAlreadyRevoked, ApiKeyNotFound, InvalidToken
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import ApiKey, App
from appcomply.apps.service._apps import get_app
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx


def create_api_key(ctx: Ctx, app_id: uuid.UUID, *, name: str) -> tuple[ApiKey, str]:
    """Issue a key for the app; returns the row and the secret, which is never stored. Emits apps.api_key.created."""
    get_app(ctx, app_id)
    secret = rules.new_secret(rules.API_KEY_PREFIX)
    key = ApiKey(
        app_id=app_id,
        name=name,
        prefix=secret[:10],
        key_hash=rules.secret_digest(secret),
        created_at=ctx.clock.now(),
        created_by=ctx.actor.label,
    )
    ctx.session.add(key)
    ctx.session.flush()
    audit.record(
        ctx,
        AppsEvent.API_KEY_CREATED,
        subject=audit.Subject("api_key", str(key.id)),
        app_id=app_id,
        data={"name": name, "prefix": key.prefix},
    )
    return key, secret


def list_api_keys(ctx: Ctx, app_id: uuid.UUID) -> list[ApiKey]:
    get_app(ctx, app_id)
    return list(ctx.session.scalars(select(ApiKey).where(ApiKey.app_id == app_id).order_by(ApiKey.created_at)))


def revoke_api_key(ctx: Ctx, app_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key at once; later requests with it get 401. Emits apps.api_key.revoked."""
    get_app(ctx, app_id)
    key = ctx.session.get(ApiKey, key_id)
    if key is None or key.app_id != app_id:
        raise ApiKeyNotFound("no such API key in this app", key_id=str(key_id))
    if key.revoked_at is not None:
        raise ApiKeyAlreadyRevoked("the API key is already revoked", key_id=str(key_id))
    key.revoked_at = ctx.clock.now()
    for cache in list(_CACHES):
        cache.forget(key.key_hash)
    audit.record(
        ctx,
        AppsEvent.API_KEY_REVOKED,
        subject=audit.Subject("api_key", str(key.id)),
        app_id=app_id,
        data={"prefix": key.prefix},
    )
    return key


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a live API key grants: the app actor, and when the key was last recorded in use."""

    actor: Actor
    last_used_at: dt.datetime | None


class KeyRevocations(Protocol):
    def forget(self, key_hash: str) -> None: ...


# Caches of this process that hold grants (the authenticator's): a revocation drops the key from each at once, so
# it never outlives the revoking request in this process; other processes see it when their cache entry expires.
_CACHES: weakref.WeakSet[KeyRevocations] = weakref.WeakSet()


def register_key_cache(cache: KeyRevocations) -> None:
    _CACHES.add(cache)


def find_api_key(ctx: Ctx, key_hash: str) -> KeyGrant:
    """The grant of a live key by its digest, in one query (the key joined to its app), or InvalidToken."""
    row = ctx.session.execute(
        select(ApiKey.id, ApiKey.prefix, ApiKey.app_id, ApiKey.revoked_at, ApiKey.last_used_at, App.slug)
        .join(App, App.id == ApiKey.app_id)  # the key's app exists: deleting an app cascades to its keys
        .where(ApiKey.key_hash == key_hash)
    ).first()
    if row is None or row.revoked_at is not None:
        raise InvalidToken("the API key is unknown or revoked")
    actor = Actor(kind=ActorKind.APP, label=f"app:{row.slug}:{row.prefix}", id=row.id, app_id=row.app_id)
    return KeyGrant(actor, row.last_used_at)


def touch_api_key(ctx: Ctx, key_id: uuid.UUID, now: dt.datetime) -> None:
    """Record a use of the key (not audited: it is not a decision)."""
    ctx.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
