"""The per-app cache the per-request checks read their app's policies from: a change this process makes is seen by
its next read (flushed, committed or still pending in the session), another app's entry survives it, and an entry
expires by itself so that other processes' changes are seen within its lifetime."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection

from appcomply import apps
from appcomply.db.cache import AppCache
from appcomply.identity.models import IdentityPolicy
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app
from tests.factories.queries import statements

pytestmark = pytest.mark.db


class _Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _requirements(ctx: Ctx, app_id: uuid.UUID) -> dict[str, str]:
    row = ctx.session.get(IdentityPolicy, app_id)
    return dict(row.requirements) if row else {}


def _policy(ctx: Ctx, app_id: uuid.UUID, clock: FixedClock, requirements: dict[str, str]) -> IdentityPolicy:
    row = IdentityPolicy(app_id=app_id, requirements=requirements, updated_at=clock.now())
    ctx.session.add(row)
    return row


def test_a_flushed_change_drops_its_app_only(ctx: Ctx, clock: FixedClock) -> None:
    cache: AppCache[dict[str, str]] = AppCache(IdentityPolicy, monotonic=_Monotonic())
    first, second = make_app(ctx).id, make_app(ctx).id
    loads: list[uuid.UUID] = []

    def read(app_id: uuid.UUID) -> dict[str, str]:
        def load() -> dict[str, str]:
            loads.append(app_id)
            return _requirements(ctx, app_id)

        return cache.get(ctx.session, app_id, load)

    assert read(first) == {}
    assert read(second) == {}
    assert read(first) == {}
    assert loads == [first, second]  # remembered
    _policy(ctx, first, clock, {"publish": "none"})
    ctx.session.flush()
    assert read(first) == {"publish": "none"}
    assert read(second) == {}
    assert loads == [first, second, first]


def test_an_unflushed_change_is_read_through_and_not_remembered(ctx: Ctx, clock: FixedClock) -> None:
    cache: AppCache[dict[str, str]] = AppCache(IdentityPolicy, monotonic=_Monotonic())
    app_id = make_app(ctx).id
    row = _policy(ctx, app_id, clock, {"publish": "none"})
    ctx.session.flush()
    assert cache.get(ctx.session, app_id, lambda: _requirements(ctx, app_id)) == {"publish": "none"}
    row.requirements = {"publish": "phone"}  # pending in the session: no flush yet
    assert cache.get(ctx.session, app_id, lambda: _requirements(ctx, app_id)) == {"publish": "phone"}


def test_an_entry_expires_and_a_zero_lifetime_remembers_nothing(ctx: Ctx) -> None:
    monotonic = _Monotonic()
    cache: AppCache[int] = AppCache(IdentityPolicy, seconds=1.0, monotonic=monotonic)
    off: AppCache[int] = AppCache(IdentityPolicy, seconds=0, monotonic=monotonic)
    app_id = uuid.uuid4()
    counter = iter(range(100))
    assert cache.get(ctx.session, app_id, lambda: next(counter)) == 0
    monotonic.now += 0.9
    assert cache.get(ctx.session, app_id, lambda: next(counter)) == 0
    monotonic.now += 0.2
    assert cache.get(ctx.session, app_id, lambda: next(counter)) == 1
    assert off.get(ctx.session, app_id, lambda: next(counter)) == 2
    assert off.get(ctx.session, app_id, lambda: next(counter)) == 3


def test_peek_answers_only_a_fresh_entry_and_a_flush_empties_it(ctx: Ctx, clock: FixedClock) -> None:
    monotonic = _Monotonic()
    cache: AppCache[dict[str, str]] = AppCache(IdentityPolicy, seconds=1, monotonic=monotonic)
    app_id = make_app(ctx).id
    assert cache.peek(app_id) is None  # never read: the caller must read the database
    assert cache.get(ctx.session, app_id, lambda: _requirements(ctx, app_id)) == {}
    assert cache.peek(app_id) == {}
    monotonic.now += 1.5
    assert cache.peek(app_id) is None  # expired: another process may have changed it
    cache.get(ctx.session, app_id, lambda: _requirements(ctx, app_id))
    _policy(ctx, app_id, clock, {"publish": "none"})
    ctx.session.flush()
    assert cache.peek(app_id) is None  # this process changed it


def test_an_app_created_after_its_slug_was_looked_up_in_vain_is_found_at_once(ctx: Ctx, connection: Connection) -> None:
    # The slug cache is keyed by slug, not app id: a new app must drop the remembered "no such app" for its slug.
    assert apps.app_id_by_slug(ctx, "late-app") is None
    app = make_app(ctx, slug="late-app")
    assert apps.app_id_by_slug(ctx, "late-app") == app.id
    with statements(connection) as seen:
        assert apps.app_id_by_slug(ctx, "late-app") == app.id
    assert seen == []  # remembered
