"""End users over HTTP: registration with the nickname policy, per-app protected terms, organisation exception."""

from __future__ import annotations

import dataclasses
import uuid

from fastapi.testclient import TestClient
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply import accounts
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.context import Ctx


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_impersonating_nickname_is_refused_with_its_terms_and_nothing_is_written(
    client: TestClient, ctx: Ctx
) -> None:
    app = make_app(ctx)
    key = make_api_key(ctx, app)
    refused = client.post("/v1/users", json={"external_ref": "u1", "nickname": "中 国 日 报"}, headers=_auth(key))
    assert refused.status_code == 422
    assert refused.json()["code"] == "accounts.nickname.impersonation"
    assert set(refused.json()["terms"]) >= {"日报"}
    assert accounts.list_users(ctx, app.id) == []


def test_staff_cannot_register_users_only_the_apps_backend_can(client: TestClient, ctx: Ctx) -> None:
    token = make_staff_token(ctx, Role.ADMIN)
    response = client.post("/v1/users", json={"external_ref": "u1", "nickname": "小明"}, headers=_auth(token))
    assert (response.status_code, response.json()["code"]) == (403, "auth.staff_not_allowed")


def test_an_apps_own_protected_term_applies_to_its_users_only(client: TestClient, ctx: Ctx) -> None:
    mine, other = make_app(ctx), make_app(ctx)
    compliance = make_staff_token(ctx, Role.COMPLIANCE)
    added = client.post(f"/v1/apps/{mine.id}/nickname-terms", json={"term": "示例官方"}, headers=_auth(compliance))
    assert added.status_code == 201, added.text
    duplicate = client.post(f"/v1/apps/{mine.id}/nickname-terms", json={"term": "示例官方"}, headers=_auth(compliance))
    assert duplicate.json()["code"] == "accounts.nickname_term.duplicate"
    body = {"external_ref": "u1", "nickname": "示例 官方 客服"}
    assert client.post("/v1/users", json=body, headers=_auth(make_api_key(ctx, mine))).status_code == 422
    assert client.post("/v1/users", json=body, headers=_auth(make_api_key(ctx, other))).status_code == 201
    removed = client.delete(f"/v1/apps/{mine.id}/nickname-terms/{added.json()['id']}", headers=_auth(compliance))
    assert removed.status_code == 204
    assert client.post("/v1/users", json=body, headers=_auth(make_api_key(ctx, mine))).status_code == 201


def test_an_organisation_verified_for_the_name_may_take_it_as_nickname(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    key = make_api_key(ctx, app)
    user_id = client.post("/v1/users", json={"external_ref": "u1", "nickname": "小编"}, headers=_auth(key)).json()["id"]
    refused = client.patch(f"/v1/users/{user_id}", json={"nickname": "人民日报"}, headers=_auth(key))
    assert refused.json()["code"] == "accounts.nickname.impersonation"
    app_ctx = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="app", app_id=app.id))
    accounts.record_verified_organisation(app_ctx, accounts.get_user(app_ctx, uuid.UUID(user_id)), "人民日报社")
    ctx.session.flush()
    allowed = client.patch(f"/v1/users/{user_id}", json={"nickname": "人民日报"}, headers=_auth(key))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["nickname"] == "人民日报"
