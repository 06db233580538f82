"""The consent API over HTTP: the processing map and its findings, the ledger with its refusals (each its own
code, nothing written), checks for every reason, permissions, guardians, and the public lists."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.agreements import publish
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply import agreements
from appcomply.agreements.models import Version
from appcomply.apps import FeatureCreate, ServiceKind
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.consent.models import ConsentEvent, ConsentState, ProcessingActivity
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

PRIVACY = agreements.DocumentKind.PRIVACY_POLICY
# A forum (type 4, 网络社区类): the mobile number is its only necessary PI.
POSTING = {
    "key": "posting", "feature": "发帖与评论", "purpose": "注册账号并发布内容", "pi_items": ["mobile_number"],
    "basis": "contract", "basic_type": 4, "retention": "账号注销后删除",
}  # fmt: skip
ADS = {
    "key": "personalised_ads", "feature": "个性化推荐", "purpose": "根据设备信息推荐广告", "pi_items": ["device_id"],
    "basis": "consent", "retention": "撤回同意后删除", "choice": "ads",
    "recipients": [{"name": "某广告 SDK", "kind": "sdk", "pi_items": ["device_id"], "purpose": "广告投放",
                    "disclosed": True, "cross_border": False}],
}  # fmt: skip


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, app_types=[4])


@pytest.fixture
def key(ctx: Ctx, app: App) -> str:
    return make_api_key(ctx, app)


@pytest.fixture
def staff(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.COMPLIANCE))


@pytest.fixture
def policy(ctx: Ctx, app: App) -> Version:
    return publish(ctx, app.id, PRIVACY)


@pytest.fixture
def mapped(client: TestClient, app: App, staff: dict[str, str]) -> None:
    for body in (POSTING, ADS):
        response = client.post(f"/v1/apps/{app.id}/processing-activities", json=body, headers=staff)
        assert response.status_code == 201, response.text


def _user(client: TestClient, key: str, ref: str = "u-1") -> str:
    response = client.post("/v1/users", json={"external_ref": ref, "nickname": f"用户{ref}"}, headers=_auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _consent(policy: Version, **overrides: object) -> dict[str, object]:
    return {"activity": "personalised_ads", "action": "granted", "policy_version_id": str(policy.id),
            "channel": "app", "client_time": "2026-11-29T17:00:00+08:00", **overrides}  # fmt: skip


def _counts(connection: Connection) -> tuple[int, int, int]:
    return (
        connection.scalar(select(func.count()).select_from(ConsentEvent)) or 0,
        connection.scalar(select(func.count()).select_from(ConsentState)) or 0,
        connection.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def _check(client: TestClient, key: str, user_id: str, activity: str = "personalised_ads") -> dict[str, object]:
    response = client.post("/v1/consent-checks", json={"user_id": user_id, "activity": activity}, headers=_auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_map_reads_back_with_what_the_law_derives(
    client: TestClient, app: App, staff: dict[str, str], mapped: None
) -> None:
    body = client.get(f"/v1/apps/{app.id}/processing-activities", headers=staff).json()
    by_key = {a["key"]: a for a in body}
    assert by_key["posting"]["basic"] is True
    assert by_key["posting"]["necessary_items"] == ["mobile_number"]
    assert by_key["posting"]["effective_basis"] == "contract"
    assert by_key["personalised_ads"]["basic"] is False
    assert by_key["personalised_ads"]["effective_basis"] == "consent"
    assert by_key["personalised_ads"]["required_separate"] == ["sharing"]


def test_a_basic_function_with_unnecessary_pi_is_a_finding_with_its_fix(
    client: TestClient, app: App, staff: dict[str, str]
) -> None:
    forced = {**POSTING, "pi_items": ["mobile_number", "contacts"]}
    assert client.post(f"/v1/apps/{app.id}/processing-activities", json=forced, headers=staff).status_code == 201
    findings = client.get(f"/v1/apps/{app.id}/consent-findings", headers=staff).json()
    found = [f for f in findings if f["code"] == "basic_uses_unnecessary_pi"]
    assert len(found) == 1
    assert found[0]["activity_key"] == "posting"
    assert found[0]["pi_items"] == ["contacts"]
    assert "Art 12" in found[0]["article"]
    assert found[0]["fix_en"]

    fixed = {**POSTING, "pi_items": ["mobile_number"]}
    fixed.pop("key")
    assert client.put(f"/v1/apps/{app.id}/processing-activities/posting", json=fixed, headers=staff).status_code == 200
    codes = {f["code"] for f in client.get(f"/v1/apps/{app.id}/consent-findings", headers=staff).json()}
    assert "basic_uses_unnecessary_pi" not in codes


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**POSTING, "pi_items": ["mobile_number", "no_such_item"]}, 422, "consent.pi_item.unknown"),
        ({**POSTING, "basic_type": 5}, 422, "consent.basic_type.not_app_type"),
        ({**POSTING, "key": "Bad Key"}, 422, "consent.activity.invalid_key"),
    ],
)
def test_a_bad_activity_is_refused_with_its_code(
    client: TestClient, connection: Connection, app: App, staff: dict[str, str], body: dict[str, object], status: int,
    code: str,
) -> None:  # fmt: skip
    response = client.post(f"/v1/apps/{app.id}/processing-activities", json=body, headers=staff)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert connection.scalar(select(func.count()).select_from(ProcessingActivity)) == 0


def test_a_duplicate_key_is_a_conflict(client: TestClient, app: App, staff: dict[str, str], mapped: None) -> None:
    response = client.post(f"/v1/apps/{app.id}/processing-activities", json=POSTING, headers=staff)
    assert (response.status_code, response.json()["code"]) == (409, "consent.activity.exists")


def test_grant_check_withdraw_check(client: TestClient, key: str, policy: Version, mapped: None) -> None:
    user_id = _user(client, key)
    assert _check(client, key, user_id)["reason"] == "consent.not_granted"
    response = client.post(f"/v1/users/{user_id}/consents", json=_consent(policy), headers=_auth(key))
    assert response.status_code == 201, response.text
    assert response.json()["policy_version_number"] == policy.number
    # Sharing with the SDK needs its own separate consent (PIPL Art 23).
    check = _check(client, key, user_id)
    assert (check["allowed"], check["reason"], check["missing"]) == (False, "consent.separate_required", ["sharing"])
    sharing = _consent(policy, separate="sharing")
    assert client.post(f"/v1/users/{user_id}/consents", json=sharing, headers=_auth(key)).status_code == 201
    assert _check(client, key, user_id) == {
        "user_id": user_id, "activity": "personalised_ads", "allowed": True, "basis": "consent", "reason": None,
        "missing": [],
    }  # fmt: skip
    withdraw = _consent(policy, action="withdrawn")
    assert client.post(f"/v1/users/{user_id}/consents", json=withdraw, headers=_auth(key)).status_code == 201
    assert _check(client, key, user_id)["reason"] == "consent.withdrawn"

    ledger = client.get(f"/v1/users/{user_id}/consents", headers=_auth(key)).json()
    assert [e["action"] for e in ledger["history"]] == ["withdrawn", "granted", "granted"]
    assert {s["subject"]: s["action"] for s in ledger["current"]} == {
        "personalised_ads": "withdrawn", "personalised_ads#sharing": "granted",
    }  # fmt: skip


def test_refusing_a_standing_grant_is_recorded_as_withdrawal(
    client: TestClient, key: str, policy: Version, mapped: None
) -> None:
    user_id = _user(client, key)
    client.post(f"/v1/users/{user_id}/consents", json=_consent(policy), headers=_auth(key))
    response = client.post(f"/v1/users/{user_id}/consents", json=_consent(policy, action="refused"), headers=_auth(key))
    assert response.json()["action"] == "withdrawn"


def test_basic_function_survives_refusal_and_needs_only_the_policy(
    client: TestClient, ctx: Ctx, app: App, key: str, mapped: None
) -> None:
    user_id = _user(client, key)
    assert _check(client, key, user_id, "posting")["reason"] == "consent.policy_missing"
    policy = publish(ctx, app.id, PRIVACY)
    client.post(f"/v1/users/{user_id}/consents", json=_consent(policy, action="refused"), headers=_auth(key))
    assert _check(client, key, user_id, "posting") == {
        "user_id": user_id, "activity": "posting", "allowed": True, "basis": "contract", "reason": None, "missing": [],
    }  # fmt: skip
    permissions = client.get(f"/v1/users/{user_id}/permissions", headers=_auth(key)).json()
    processing = {p["activity"]: (p["allowed"], p["reason"]) for p in permissions["processing"]}
    assert processing == {"posting": (True, None), "personalised_ads": (False, "consent.refused")}
    assert {p["action"] for p in permissions["permissions"]} >= {"browse", "publish"}


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"activity": "no_such_activity"}, 404, "consent.activity.not_found"),
        ({"action": "withdrawn"}, 409, "consent.not_granted_cannot_withdraw"),
        ({"policy_version_id": None}, 422, "consent.policy_version_required"),
        ({"channel": None}, 422, "consent.channel_required"),
        ({"separate": "cross_border"}, 422, "consent.separate.not_applicable"),
        ({"policy_version_id": str(uuid.UUID(int=7))}, 404, "agreements.version.not_found"),
    ],
)
def test_a_bad_consent_is_refused_with_its_code_and_writes_nothing(
    client: TestClient, connection: Connection, key: str, policy: Version, mapped: None, overrides: dict[str, object],
    status: int, code: str,
) -> None:  # fmt: skip
    user_id = _user(client, key)
    before = _counts(connection)
    response = client.post(f"/v1/users/{user_id}/consents", json=_consent(policy, **overrides), headers=_auth(key))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert _counts(connection) == before


def test_a_draft_policy_version_is_refused(client: TestClient, ctx: Ctx, app: App, key: str, mapped: None) -> None:
    draft = agreements.create_draft(
        ctx, app.id, kind=PRIVACY, slug="", language=agreements.Language.ZH_CN,
        data=agreements.DraftForm(body="1. 草稿\n"),
    )  # fmt: skip
    ctx.session.flush()
    user_id = _user(client, key)
    response = client.post(
        f"/v1/users/{user_id}/consents", json=_consent(draft, policy_version_id=str(draft.id)), headers=_auth(key)
    )
    assert response.json()["code"] == "agreements.version.not_published"


def test_a_user_of_another_app_does_not_exist(
    client: TestClient, ctx: Ctx, key: str, policy: Version, mapped: None
) -> None:
    other = make_app(ctx, app_types=[4])
    stranger = _user(client, make_api_key(ctx, other), ref="stranger")
    response = client.post(f"/v1/users/{stranger}/consents", json=_consent(policy), headers=_auth(key))
    assert response.status_code == 404
    check = client.post("/v1/consent-checks", json={"user_id": stranger, "activity": "posting"}, headers=_auth(key))
    assert check.status_code == 404


def test_a_declared_child_needs_a_verified_adult_guardian(
    client: TestClient, key: str, policy: Version, mapped: None
) -> None:
    child = _user(client, key)
    assert client.put(f"/v1/users/{child}/age", json={"age": 12}, headers=_auth(key)).status_code == 204
    client.post(f"/v1/users/{child}/consents", json=_consent(policy), headers=_auth(key))
    assert _check(client, key, child)["reason"] == "consent.guardian_required"
    # A basic function on necessary PI does not wait for the guardian.
    assert _check(client, key, child, "posting")["allowed"] is True

    unverified = _user(client, key, ref="parent")
    guardian = {"guardian_user_id": unverified, "policy_version_id": str(policy.id), "channel": "app",
                "client_time": "2026-11-29T17:00:00+08:00"}  # fmt: skip
    response = client.post(f"/v1/users/{child}/guardian-consents", json=guardian, headers=_auth(key))
    assert (response.status_code, response.json()["code"]) == (422, "consent.guardian.invalid")


def test_public_lists_come_from_the_map(client: TestClient, app: App, policy: Version, mapped: None) -> None:
    collected = client.get(f"/p/{app.slug}/privacy/collected")
    assert collected.status_code == 200
    assert "个人信息收集清单" in collected.text
    assert "注册用户移动电话号码" in collected.text
    assert "基本功能必要" in collected.text
    assert "可选（需您同意）" in collected.text
    shared = client.get(f"/p/{app.slug}/privacy/shared?lang=en")
    assert "Personal information shared with third parties" in shared.text
    assert "某广告 SDK" in shared.text


def test_the_map_is_staff_only_and_scoped(client: TestClient, app: App, key: str, ctx: Ctx) -> None:
    assert client.get(f"/v1/apps/{app.id}/processing-activities", headers=_auth(key)).status_code == 403
    reviewer = _auth(make_staff_token(ctx, Role.REVIEWER))
    assert client.get(f"/v1/apps/{app.id}/processing-activities", headers=reviewer).status_code == 200
    assert client.post(f"/v1/apps/{app.id}/processing-activities", json=POSTING, headers=reviewer).status_code == 403


def test_an_activity_names_one_of_the_apps_declared_features(
    client: TestClient, connection: Connection, ctx: Ctx, staff: dict[str, str]
) -> None:
    app = make_app(ctx, app_types=[4], features=[FeatureCreate(name="发帖", service_kind=ServiceKind.FORUM)])
    url = f"/v1/apps/{app.id}/processing-activities"
    response = client.post(url, json={**POSTING, "feature": "不存在的功能"}, headers=staff)
    assert (response.status_code, response.json()["code"]) == (422, "consent.feature.unknown")
    assert response.json()["features"] == ["发帖"]
    assert connection.scalar(select(func.count()).select_from(ProcessingActivity)) == 0
    assert client.post(url, json={**POSTING, "feature": "发帖"}, headers=staff).status_code == 201


def test_a_change_to_the_map_is_seen_by_the_next_check_at_once(
    client: TestClient, app: App, key: str, staff: dict[str, str], policy: Version, mapped: None
) -> None:
    # The process keeps each app's map in memory for the checks; a change made here must not wait for it to expire.
    user_id = _user(client, key)
    assert _check(client, key, user_id)["reason"] == "consent.not_granted"  # the map is now in memory
    assert client.delete(f"/v1/apps/{app.id}/processing-activities/personalised_ads", headers=staff).status_code == 204
    response = client.post(
        "/v1/consent-checks", json={"user_id": user_id, "activity": "personalised_ads"}, headers=_auth(key)
    )
    assert response.status_code == 404
    assert client.post(f"/v1/apps/{app.id}/processing-activities", json=ADS, headers=staff).status_code == 201
    assert _check(client, key, user_id)["reason"] == "consent.not_granted"
