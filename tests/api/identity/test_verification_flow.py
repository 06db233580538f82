"""The Art 6 flow over HTTP: a new user is denied publishing, verifies a phone by OTP, and is then allowed."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories.apps import make_api_key, make_app

from appcomply.identity.models import SmsMessage
from appcomply.kernel.context import Ctx


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _register(client: TestClient, key: str, ref: str = "u-1") -> str:
    response = client.post("/v1/users", json={"external_ref": ref, "nickname": "快乐的鱼"}, headers=_auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _permission(client: TestClient, key: str, user_id: str, action: str) -> dict[str, object]:
    body = client.get(f"/v1/users/{user_id}/permissions", headers=_auth(key)).json()
    return next(p for p in body["permissions"] if p["action"] == action)


def _sent_code(session: Session, verification_id: str) -> str:
    body = session.scalars(
        select(SmsMessage.dev_body).where(SmsMessage.verification_id == uuid.UUID(verification_id))
    ).one()
    assert body is not None
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def test_a_new_user_verifies_a_phone_and_may_then_publish(client: TestClient, ctx: Ctx, session: Session) -> None:
    key = make_api_key(ctx, make_app(ctx))
    user_id = _register(client, key)
    denied = _permission(client, key, user_id, "publish")
    assert (denied["allowed"], denied["reason"]) == (False, "identity.unverified")
    assert _permission(client, key, user_id, "browse")["allowed"] is True

    started = client.post(
        f"/v1/users/{user_id}/verifications", json={"method": "phone", "phone": "+86 138 0013 8000"}, headers=_auth(key)
    )
    assert started.status_code == 201, started.text
    verification = started.json()
    assert (verification["status"], verification["masked"]) == ("pending", {"phone": "138****8000"})
    code = _sent_code(session, verification["id"])

    confirmed = client.post(f"/v1/verifications/{verification['id']}/confirm", json={"code": code}, headers=_auth(key))
    assert confirmed.json()["status"] == "verified"
    assert _permission(client, key, user_id, "publish")["allowed"] is True
    live = _permission(client, key, user_id, "live_stream")
    assert (live["allowed"], live["reason"]) == (False, "identity.id_card_required")


def test_five_wrong_codes_lock_the_verification(client: TestClient, ctx: Ctx, session: Session) -> None:
    key = make_api_key(ctx, make_app(ctx))
    user_id = _register(client, key)
    verification = client.post(
        f"/v1/users/{user_id}/verifications", json={"method": "phone", "phone": "13800138000"}, headers=_auth(key)
    ).json()
    code = _sent_code(session, verification["id"])
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        client.post(f"/v1/verifications/{verification['id']}/confirm", json={"code": wrong}, headers=_auth(key)).json()[
            "status"
        ]
        for _ in range(5)
    ]
    assert statuses == ["pending", "pending", "pending", "pending", "locked"]
    after = client.post(f"/v1/verifications/{verification['id']}/confirm", json={"code": code}, headers=_auth(key))
    assert (after.status_code, after.json()["code"]) == (409, "identity.verification.not_pending")
    assert _permission(client, key, user_id, "publish")["allowed"] is False


def test_an_invalid_id_number_gets_its_specific_code_and_nothing_is_written(client: TestClient, ctx: Ctx) -> None:
    key = make_api_key(ctx, make_app(ctx))
    user_id = _register(client, key)
    response = client.post(
        f"/v1/users/{user_id}/verifications",
        json={"method": "id_card", "name": "张三", "id_number": "11010519491231002Y"},
        headers=_auth(key),
    )
    assert response.status_code == 422
    assert response.json()["code"].startswith("identity.id_number.")
    assert "11010519491231002" not in response.text


def test_an_id_card_check_verifies_at_once_and_records_the_age(client: TestClient, ctx: Ctx) -> None:
    key = make_api_key(ctx, make_app(ctx))
    user_id = _register(client, key)
    response = client.post(
        f"/v1/users/{user_id}/verifications",
        json={"method": "id_card", "name": "张三", "id_number": "11010519491231002X"},
        headers=_auth(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["masked"]["id_number"], body["masked"]["name"]) == (
        "verified",
        "110***********002X",
        "张*",
    )
    assert _permission(client, key, user_id, "live_stream")["allowed"] is True
