"""Factories for the apps module: app bodies built with factory_boy, persisted through the real use cases."""

from __future__ import annotations

import re
import uuid
from typing import Any

import factory
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from appcomply import apps
from appcomply.apps import CredentialAuthenticator, service
from appcomply.apps.models import App, Staff
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

VALID_USCC = "91110108MA01DFM005"  # checksum-valid, registered to no one
STAFF_PASSWORD = "correct horse battery staple"


class AppCreateFactory(factory.Factory):
    class Meta:
        model = apps.AppCreate

    slug = factory.Sequence(lambda n: f"app-{n}-{uuid.uuid4().hex[:6]}")
    name = factory.Sequence(lambda n: f"测试应用 {n}")
    entity_name = "测试科技有限公司"
    entity_uscc = VALID_USCC
    app_types = factory.LazyFunction(lambda: [4])
    service_kinds = factory.LazyFunction(lambda: [apps.ServiceKind.FORUM])


def make_app(ctx: Ctx, **overrides: Any) -> App:
    return service.create_app(ctx, AppCreateFactory.build(**overrides))


def make_staff(ctx: Ctx, *roles: Role, username: str | None = None) -> Staff:
    return service.create_staff(
        ctx,
        username=username or f"staff-{uuid.uuid4().hex[:8]}",
        display_name="Test Staff",
        password=STAFF_PASSWORD,
        roles=list(roles) or [Role.ADMIN],
    )


def make_staff_token(ctx: Ctx, *roles: Role) -> str:
    """A personal token for a new staff member holding exactly `roles`."""
    staff = make_staff(ctx, *roles)
    _, secret = service.create_staff_token(ctx, staff.id, name="test", roles=list(roles), expires_in=None)
    return secret


def make_api_key(ctx: Ctx, app: App) -> str:
    _, secret = service.create_api_key(ctx, app.id, name="test")
    return secret


def log_in_console(client: TestClient, ctx: Ctx, *roles: Role) -> str:
    """Log a new staff member with `roles` into the console through the login form; returns the session's CSRF
    token."""
    staff = make_staff(ctx, *roles)
    nonce = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/console/login").text)
    assert nonce
    form = {"username": staff.username, "password": STAFF_PASSWORD, "csrf_token": nonce.group(1)}
    assert client.post("/console/login", data=form, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/console/").text)
    assert token
    return token.group(1)


def authenticator(ctx: Ctx) -> CredentialAuthenticator:
    """The platform's authenticator with its cache off: every call reads the credential, as a first use does."""
    return CredentialAuthenticator(sessionmaker(bind=ctx.session.get_bind()), cache_seconds=0)
