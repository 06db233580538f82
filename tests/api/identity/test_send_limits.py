"""A send limit over HTTP: 429 with Retry-After, a problem carrying the recorded refusal, and the refusal committed."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories.apps import make_api_key, make_app

from appcomply.audit.models import AuditEntry
from appcomply.identity.models import Verification
from appcomply.kernel.context import Ctx


def test_a_second_code_too_soon_is_a_429_problem_and_the_refusal_is_committed(
    client: TestClient, ctx: Ctx, session: Session
) -> None:
    headers = {"Authorization": f"Bearer {make_api_key(ctx, make_app(ctx))}"}
    user = client.post("/v1/users", json={"external_ref": "u-1", "nickname": "鱼"}, headers=headers).json()
    start = {"method": "phone", "phone": "13800138000"}
    assert client.post(f"/v1/users/{user['id']}/verifications", json=start, headers=headers).status_code == 201

    refused = client.post(f"/v1/users/{user['id']}/verifications", json=start, headers=headers)

    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "61"
    body = refused.json()
    assert (body["code"], body["retry_after"]) == ("identity.sms.rate_limited_number", 61)
    assert (body["verification"]["status"], body["verification"]["masked"]) == ("refused", {"phone": "138****8000"})
    assert "13800138000" not in refused.text
    row = session.get(Verification, uuid.UUID(body["verification"]["id"]))
    assert row is not None
    assert row.status == "refused"
    events = session.scalars(select(AuditEntry.event).where(AuditEntry.subject_id == str(row.id))).all()
    assert events == ["identity.verification.refused"]
