"""Fixtures of the agreements service tests: an app, its API-key context, and a registered user."""

from __future__ import annotations

import pytest

from appcomply import accounts
from appcomply.apps.models import App
from appcomply.kernel.context import Ctx
from tests.factories.agreements import as_app
from tests.factories.apps import make_app


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def app_ctx(ctx: Ctx, app: App) -> Ctx:
    return as_app(ctx, app.id)


@pytest.fixture
def user(app_ctx: Ctx) -> accounts.EndUser:
    return accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="小明"))
