"""API keys: an app backend's credential. Shown once, stored as a digest, revocable, last use recorded."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from appcomply import audit
from appcomply.apps import rules
from appcomply.apps.errors import ApiKeyAlreadyRevoked, ApiKeyNotFound, InvalidToken
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import ApiKey, App
from appcomply.apps.service._apps import get_app
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx

# Writing last_used_at on every request would turn each read into a write; a minute's precision is plenty.
_LAST_USED_PRECISION = dt.timedelta(minutes=1)


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
    audit.record(
        ctx,
        AppsEvent.API_KEY_REVOKED,
        subject=audit.Subject("api_key", str(key.id)),
        app_id=app_id,
        data={"prefix": key.prefix},
    )
    return key


def authenticate_api_key(ctx: Ctx, secret: str) -> Actor:
    """The app actor for a live key, or InvalidToken. Records last use (not audited: it is not a decision)."""
    key = ctx.session.scalars(select(ApiKey).where(ApiKey.key_hash == rules.secret_digest(secret))).first()
    if key is None or key.revoked_at is not None:
        raise InvalidToken("the API key is unknown or revoked")
    now = ctx.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_PRECISION:
        key.last_used_at = now
    # The key's app exists: deleting an app cascades to its keys.
    app = ctx.session.get_one(App, key.app_id)
    return Actor(kind=ActorKind.APP, label=f"app:{app.slug}:{key.prefix}", id=key.id, app_id=key.app_id)
