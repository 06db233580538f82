"""Fixtures of the notices integration tests: an app with a registered user, and an app-key Ctx for it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from appcomply import accounts
from appcomply.apps.models import App
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app


@dataclass
class Tenant:
    app: App
    user: accounts.EndUser
    as_app: Ctx


@pytest.fixture
def tenant(ctx: Ctx) -> Tenant:
    app = make_app(ctx)
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="backend", app_id=app.id))
    user = accounts.register_user(as_app, accounts.UserCreate(external_ref="u-1", nickname="读者"))
    return Tenant(app=app, user=user, as_app=as_app)
