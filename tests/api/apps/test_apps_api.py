"""HTTP behaviour of /v1/apps: creation, problems for bad input with nothing written, scoping of app keys."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories.apps import VALID_USCC, make_api_key, make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "slug": "shequ",
        "name": "社区",
        "entity_name": "社区科技有限公司",
        "entity_uscc": VALID_USCC,
        "app_types": [4, 3],
        "service_kinds": ["forum", "text"],
        "features": [{"name": "评论", "service_kind": "text", "public_opinion": True}],
        "licences": [{"kind": "icp_filing", "number": "京ICP备12345678号-1"}],
    }
    body.update(overrides)
    return body


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(App)) or 0,
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def test_admin_creates_an_app_and_reads_it_back(client: TestClient, ctx: Ctx) -> None:
    token = make_staff_token(ctx, Role.ADMIN)
    created = client.post("/v1/apps", json=_body(), headers=_auth(token))
    assert created.status_code == 201, created.text
    app = created.json()
    assert app["slug"] == "shequ"
    assert [t["code"] for t in app["app_types"]] == [3, 4]
    assert app["app_types"][0]["name_zh"] == "即时通信类"
    assert app["features"][0]["public_opinion"] is True
    assert app["licences"][0]["number"] == "京ICP备12345678号-1"
    read = client.get(f"/v1/apps/{app['id']}", headers=_auth(token))
    assert read.json() == app


def test_creation_writes_audit_entries_in_the_same_transaction(client: TestClient, ctx: Ctx, session: Session) -> None:
    token = make_staff_token(ctx, Role.ADMIN)
    before = _counts(session)
    client.post("/v1/apps", json=_body(), headers=_auth(token))
    events = session.scalars(select(AuditEntry.event).order_by(AuditEntry.id.desc()).limit(3)).all()
    assert _counts(session) == (before[0] + 1, before[1] + 3)
    assert set(events) == {"apps.app.created", "apps.feature.added", "apps.licence.added"}


def test_bad_input_gets_its_own_code_and_writes_nothing(client: TestClient, ctx: Ctx, session: Session) -> None:
    token = make_staff_token(ctx, Role.ADMIN)
    make_app(ctx, slug="taken")
    before = _counts(session)
    cases = {
        "apps.uscc.invalid": _body(entity_uscc="91110108MA01DFM006"),
        "apps.app_type.unknown": _body(app_types=[4, 40]),
        "apps.slug.taken": _body(slug="taken"),
        "apps.slug.invalid": _body(slug="Not A Slug"),
        "request.validation": _body(app_types="four"),
    }
    for code, body in cases.items():
        response = client.post("/v1/apps", json=body, headers=_auth(token))
        assert response.headers["content-type"] == "application/problem+json", code
        assert response.json()["code"] == code
        assert response.json()["request_id"] == response.headers["x-request-id"]
    malformed = client.post(
        "/v1/apps", content=b"{not json", headers={**_auth(token), "content-type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "request.malformed_json")
    assert _counts(session) == before


def test_an_app_key_reads_only_its_own_app(client: TestClient, ctx: Ctx) -> None:
    mine, other = make_app(ctx), make_app(ctx)
    key = make_api_key(ctx, mine)
    assert client.get(f"/v1/apps/{mine.id}", headers=_auth(key)).status_code == 200
    foreign = client.get(f"/v1/apps/{other.id}", headers=_auth(key))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "apps.app.not_found")
    listed = client.get("/v1/apps", headers=_auth(key)).json()["items"]
    assert [a["id"] for a in listed] == [str(mine.id)]
