"""The platform's authenticator: app API keys, staff personal tokens and console sessions, from this module's tables.

An app backend calls with its API key on every post, comment and login, so a key it has shown is trusted from a
per-process cache for `security.api_key_cache_seconds`: no query at all on a hit, one joined query on a miss.
A revocation drops the key from this process's cache at once and from the others' when their entry expires.
A request that only reads gets a read-only transaction, so a due last-use write goes in a short one of its own.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from appcomply.apps import rules
from appcomply.apps.rules import last_use_due
from appcomply.apps.service._keys import find_api_key, register_key_cache, touch_api_key
from appcomply.apps.service._staff import authenticate_session, find_staff_token, touch_staff_token
from appcomply.db.session import is_read_only, transaction
from appcomply.kernel.actor import Actor
from appcomply.kernel.context import Ctx

_MAX_ENTRIES = 10_000  # more live keys than any deployment has; past it the cache starts again rather than grow


@dataclass(slots=True)
class _Entry:
    actor: Actor
    key_id: uuid.UUID
    fresh_until: float  # on the monotonic clock
    last_used_at: dt.datetime | None


class CredentialAuthenticator:
    """Satisfies `web.security.Authenticator` structurally; the composition root hands it to the web layer."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        cache_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = session_factory
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._keys: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards only the dict's multi-step updates; reads are atomic
        register_key_cache(self)

    def api_key(self, ctx: Ctx, secret: str) -> Actor:
        digest = rules.secret_digest(secret)
        entry = self._keys.get(digest)
        if entry is None or entry.fresh_until <= self._monotonic():
            entry = self._load(ctx, digest)
        now = ctx.clock.now()
        if last_use_due(entry.last_used_at, now):
            entry.last_used_at = now
            self._write(ctx, lambda c: touch_api_key(c, entry.key_id, now))
        return entry.actor

    def cached_api_key(self, secret: str, now: dt.datetime) -> Actor | None:
        """The actor for a key checked within the TTL whose last use needs no write; None otherwise. No I/O."""
        entry = self._keys.get(rules.secret_digest(secret))
        if entry is None or entry.fresh_until <= self._monotonic() or last_use_due(entry.last_used_at, now):
            return None
        return entry.actor

    def forget(self, key_hash: str) -> None:
        """Drop a key from the cache (it was revoked)."""
        with self._lock:
            self._keys.pop(key_hash, None)

    def staff_token(self, ctx: Ctx, secret: str) -> Actor:
        actor, token = find_staff_token(ctx, secret)
        now = ctx.clock.now()
        if last_use_due(token.last_used_at, now):
            token_id = token.id
            self._write(ctx, lambda c: touch_staff_token(c, token_id, now))
        return actor

    def console_session(self, ctx: Ctx, cookie: str) -> tuple[Actor, str] | None:
        found = authenticate_session(ctx, cookie)
        return None if found is None else (found[0], found[1].csrf_token)

    def _load(self, ctx: Ctx, digest: str) -> _Entry:
        try:
            grant = find_api_key(ctx, digest)
        except Exception:
            self.forget(digest)
            raise
        assert grant.actor.id is not None  # noqa: S101 - an app actor always carries its key's id
        entry = _Entry(grant.actor, grant.actor.id, self._monotonic() + self._cache_seconds, grant.last_used_at)
        if self._cache_seconds > 0:
            with self._lock:
                if len(self._keys) >= _MAX_ENTRIES:
                    self._keys.clear()
                self._keys[digest] = entry
        return entry

    def _write(self, ctx: Ctx, change: Callable[[Ctx], None]) -> None:
        """Run a small write in the request's transaction, or in one of its own when the request's only reads."""
        if not is_read_only(ctx.session):
            change(ctx)
            return
        with transaction(self._factory) as session:
            change(Ctx(session=session, clock=ctx.clock, actor=ctx.actor, request_id=ctx.request_id))
