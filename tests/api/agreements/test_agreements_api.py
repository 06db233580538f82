"""The agreements API over HTTP: documents with licences, acceptances and their refusals, pending, gating."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.agreements import publish, publish_required
from tests.factories.apps import make_api_key, make_app

from appcomply import agreements
from appcomply.agreements.models import Acceptance
from appcomply.apps import LicenceCreate, LicenceKind
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.identity import rules as identity_rules
from appcomply.identity import service as identity_service
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx

AGREEMENT = agreements.DocumentKind.USER_AGREEMENT
DAY = dt.timedelta(days=1)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, licences=[LicenceCreate(kind=LicenceKind.ICP_FILING, number="京ICP备12345678号-1")])


@pytest.fixture
def key(ctx: Ctx, app: App) -> str:
    return make_api_key(ctx, app)


@pytest.fixture
def user_id(client: TestClient, key: str) -> str:
    response = client.post("/v1/users", json={"external_ref": "u-1", "nickname": "小明"}, headers=_auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _body(version_id: object, **overrides: object) -> dict[str, object]:
    return {
        "version_id": str(version_id),
        "accepted": True,
        "channel": "app",
        "client_time": "2026-11-29T17:00:00+08:00",
        "ip": "203.0.113.7",
        "user_agent": "DemoApp/1.0",
        **overrides,
    }


def _counts(connection: Connection) -> tuple[int, int]:
    return (
        connection.scalar(select(func.count()).select_from(Acceptance)) or 0,
        connection.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def test_documents_list_the_version_in_force_the_archive_and_the_filing_numbers(
    client: TestClient, ctx: Ctx, app: App, key: str, clock: FixedClock
) -> None:
    first = publish(ctx, app.id, AGREEMENT, "第一条 甲。\n")
    publish(ctx, app.id, AGREEMENT, "第一条 乙。\n第二条 丙。\n", effective_at=clock.now() + DAY)
    clock.advance(DAY)
    body = client.get("/v1/documents", headers=_auth(key)).json()
    assert body["licences"] == [{"kind": "icp_filing", "number": "京ICP备12345678号-1", "scope": ""}]
    (document,) = body["documents"]
    assert document["public_url"] == f"/p/{app.slug}/agreement"
    assert document["in_force"]["number"] == 2
    assert [c["address"] for c in document["in_force"]["clauses"]] == ["user_agreement/2/1", "user_agreement/2/2"]
    assert [v["id"] for v in document["archive"]] == [str(first.id)]
    assert document["archive"][0]["state"] == "superseded"


def test_drafts_are_not_shown_to_the_app(client: TestClient, ctx: Ctx, app: App, key: str) -> None:
    agreements.create_draft(
        ctx, app.id, kind=AGREEMENT, slug="", language=agreements.Language.ZH_CN,
        data=agreements.DraftForm(body="第一条 草稿。\n"),
    )  # fmt: skip
    assert client.get("/v1/documents", headers=_auth(key)).json()["documents"] == []


def test_a_user_accepts_what_is_pending_and_is_then_allowed(
    client: TestClient, ctx: Ctx, app: App, key: str, user_id: str
) -> None:
    publish_required(ctx, app.id)
    pending = client.get(f"/v1/users/{user_id}/acceptances/pending", headers=_auth(key)).json()["pending"]
    assert [item["kind"] for item in pending] == ["user_agreement", "privacy_policy"]
    for item in pending:
        response = client.post(f"/v1/users/{user_id}/acceptances", json=_body(item["version_id"]), headers=_auth(key))
        assert response.status_code == 201, response.text
        assert response.json()["text_sha256"] == item["text_sha256"]
        assert response.json()["ip_masked"] == "203.0.113.*"
    assert client.get(f"/v1/users/{user_id}/acceptances/pending", headers=_auth(key)).json()["pending"] == []


def test_browse_only_while_a_required_acceptance_is_missing(
    client: TestClient, ctx: Ctx, app: App, key: str, user_id: str
) -> None:
    identity_service.set_policy(ctx, app.id, {identity_rules.Action.COMMENT: identity_rules.Requirement.NONE})
    publish_required(ctx, app.id)
    found = {
        p["action"]: (p["allowed"], p["reason"])
        for p in client.get(f"/v1/users/{user_id}/permissions", headers=_auth(key)).json()["permissions"]
    }
    assert found["browse"] == (True, None)
    assert found["comment"] == (False, "agreements.pending")
    assert found["publish"] == (False, "identity.unverified")


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("draft", 422, "agreements.version.not_published"),
        ("superseded", 422, "agreements.version.superseded"),
        ("no_channel", 422, "agreements.acceptance.channel_required"),
        ("not_affirmative", 422, "agreements.acceptance.not_affirmative"),
        ("other_apps_user", 404, "accounts.user.not_found"),
        ("unknown_version", 404, "agreements.version.not_found"),
    ],
)
def test_bad_acceptances_are_problems_with_their_own_code_and_write_nothing(
    client: TestClient,
    ctx: Ctx,
    app: App,
    key: str,
    user_id: str,
    clock: FixedClock,
    connection: Connection,
    case: str,
    status: int,
    code: str,
) -> None:
    version = publish(ctx, app.id, AGREEMENT)
    target, headers, body = user_id, _auth(key), _body(version.id)
    if case == "draft":
        draft = agreements.create_draft(
            ctx, app.id, kind=agreements.DocumentKind.PRIVACY_POLICY, slug="", language=agreements.Language.ZH_CN,
            data=agreements.DraftForm(body="1. 草稿\n"),
        )  # fmt: skip
        body = _body(draft.id)
    elif case == "superseded":
        publish(ctx, app.id, AGREEMENT, "第一条 新。\n", effective_at=clock.now() + DAY)
        clock.advance(DAY)
    elif case == "no_channel":
        body.pop("channel")
    elif case == "not_affirmative":
        body["accepted"] = False
    elif case == "other_apps_user":
        headers = _auth(make_api_key(ctx, make_app(ctx)))
    elif case == "unknown_version":
        body["version_id"] = "01900000-0000-7000-8000-000000000000"
    ctx.session.flush()
    before = _counts(connection)
    response = client.post(f"/v1/users/{target}/acceptances", json=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _counts(connection) == before
