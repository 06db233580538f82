"""Fixtures of the identity service tests: an app, an actor for its API key, a user, the identity environment."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def app_ctx(ctx: Ctx, app: App) -> Ctx:
    """The app's backend calling with its API key."""
    return dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:test", app_id=app.id))


@pytest.fixture
def env(services: Services) -> IdentityEnv:
    return services.identity


@pytest.fixture
def limits(env: IdentityEnv) -> Callable[..., IdentityEnv]:
    """The environment with some identity limits changed."""

    def change(**values: Any) -> IdentityEnv:
        return dataclasses.replace(env, limits=env.limits.model_copy(update=values))

    return change


@pytest.fixture
def new_user(app_ctx: Ctx) -> Callable[[], accounts.EndUser]:
    def make() -> accounts.EndUser:
        ref = f"u-{uuid.uuid4().hex[:8]}"
        return accounts.register_user(app_ctx, accounts.UserCreate(external_ref=ref, nickname="快乐的鱼"))

    return make


@pytest.fixture
def user(new_user: Callable[[], accounts.EndUser]) -> accounts.EndUser:
    return new_user()


@pytest.fixture
def audit_mark(session: Session) -> int:
    """The audit head before the test's own actions (the fixtures above also write entries)."""
    return int(session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0)
