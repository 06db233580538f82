"""App releases, fix releases and forced upgrades over HTTP (VUL-04): the per-start version check follows the
vulnerability's state, stays within its app, costs one read, and users' reported versions give the exposure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

pytestmark = pytest.mark.db

REPORT = {"title": "支付页可被劫持", "description": "旧版 WebView 允许任意页面调用支付桥接接口。"}


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def key(ctx: Ctx, app: App) -> dict[str, str]:
    return _auth(make_api_key(ctx, app))


@pytest.fixture
def security(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.SECURITY))


def _status(client: TestClient, key: dict[str, str], version: str, platform: str = "android") -> dict[str, object]:
    response = client.get("/v1/app-versions/status", params={"platform": platform, "version": version}, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _vulnerability(client: TestClient, app: App, security: dict[str, str]) -> str:
    created = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT})
    assert created.status_code == 201, created.text
    [row] = client.get("/v1/vulnerabilities", params={"app_id": str(app.id)}, headers=security).json()["items"]
    vid = str(row["id"])
    facts = {"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
             "affected_versions": [{"platform": "android", "range": "<5.2.4, >=5.0.0"}]}  # fmt: skip
    triaged = client.patch(f"/v1/vulnerabilities/{vid}", json=facts, headers=security)
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["affected_versions"] == [{"platform": "android", "range": ">=5.0.0 <5.2.4"}]
    for state in ("triaged", "confirmed"):
        assert client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": state}, headers=security).is_success
    return vid


def _release(client: TestClient, app: App, key: dict[str, str], version: str, platform: str = "android") -> None:
    response = client.post(f"/v1/apps/{app.id}/versions", json={"platform": platform, "version": version}, headers=key)
    assert response.status_code == 201, response.text


def test_a_required_fix_forces_the_upgrade_once_fixed_and_not_before(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    for version in ("5.2.3", "5.2.4"):
        _release(client, app, key, version)
    vid = _vulnerability(client, app, security)
    link = client.put(f"/v1/vulnerabilities/{vid}/upgrades", json={"platform": "android", "fixed_in": "5.2.4",
                                                                   "required": True}, headers=security)  # fmt: skip
    assert link.status_code == 200, link.text
    assert _status(client, key, "5.2.3")["status"] == "ok"  # confirmed, not fixed: nothing to upgrade to yet

    client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": "fixed"}, headers=security)
    old = _status(client, key, "5.2.3")
    assert old["status"] == "upgrade_required"
    assert old["minimum_version"] == "5.2.4"
    assert old["latest_version"] == "5.2.4"
    reason = old["reason"]
    assert isinstance(reason, dict)
    assert reason["code"] == "vulnerability_fixed"
    assert "5.2.4" in reason["message_zh"]
    assert [v["vulnerability_id"] for v in reason["vulnerabilities"]] == [vid]
    assert _status(client, key, "5.2.4")["status"] == "ok"
    assert _status(client, key, "5.10")["status"] == "ok"  # 5.10 > 5.2.4 as versions, not as text
    assert _status(client, key, "5.2.3", platform="ios")["status"] == "ok"  # another platform, no policy

    client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": "fixing"}, headers=security)  # fix pulled
    assert _status(client, key, "5.2.3")["status"] == "ok"
    events = connection.scalars(select(AuditEntry.event).where(AuditEntry.app_id == app.id)).all()
    assert "vulnerabilities.upgrade.set" in events
    assert events.count("vulnerabilities.app_version.registered") == 2


def test_a_recommended_fix_and_a_manual_minimum(
    client: TestClient, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    for version in ("4.0", "5.2.4"):
        _release(client, app, key, version)
    vid = _vulnerability(client, app, security)
    client.put(f"/v1/vulnerabilities/{vid}/upgrades", json={"platform": "android", "fixed_in": "5.2.4"},
               headers=security)  # fmt: skip
    client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": "fixed"}, headers=security)
    assert _status(client, key, "5.1")["status"] == "upgrade_recommended"
    manual = client.put(f"/v1/apps/{app.id}/version-policies/android",
                        json={"minimum_version": "4.5", "reason": "4.x 停止维护"}, headers=security)  # fmt: skip
    assert manual.status_code == 200, manual.text
    assert manual.json()["minimum_required"] == "4.5"
    assert manual.json()["minimum_recommended"] == "5.2.4"
    below = _status(client, key, "4.0")
    assert below["status"] == "upgrade_required"
    assert below["reason"]["code"] == "vulnerability_fixed"  # type: ignore[index]
    assert _status(client, key, "5.0")["status"] == "upgrade_recommended"
    lifted = client.put(f"/v1/apps/{app.id}/version-policies/android",
                        json={"minimum_version": None, "reason": "恢复"}, headers=security)  # fmt: skip
    assert lifted.json()["minimum_required"] is None
    assert _status(client, key, "4.0")["status"] == "upgrade_recommended"


def test_bad_versions_and_fixes_are_clear_problems_that_change_nothing(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    _release(client, app, key, "5.2.3")
    again = client.post(f"/v1/apps/{app.id}/versions", json={"platform": "android", "version": "5.2.3"}, headers=key)
    assert (again.status_code, again.json()["code"]) == (409, "vulnerabilities.app_version.exists")
    bad = client.post(f"/v1/apps/{app.id}/versions", json={"platform": "android", "version": "5.2-x"}, headers=key)
    assert (bad.status_code, bad.json()["code"]) == (422, "vulnerabilities.version.invalid")
    status = client.get("/v1/app-versions/status", params={"platform": "android", "version": "latest"}, headers=key)
    assert (status.status_code, status.json()["code"]) == (422, "vulnerabilities.version.invalid")
    vid = _vulnerability(client, app, security)
    bad_range = client.patch(f"/v1/vulnerabilities/{vid}", headers=security,
                             json={"affected_versions": [{"platform": "android", "range": "~=5"}]})  # fmt: skip
    assert (bad_range.status_code, bad_range.json()["code"]) == (422, "vulnerabilities.version_range.invalid")
    assert client.get(f"/v1/vulnerabilities/{vid}", headers=security).json()["affected_versions"][0]["range"] == (
        ">=5.0.0 <5.2.4"
    )
    unknown = client.put(f"/v1/vulnerabilities/{vid}/upgrades", json={"platform": "android", "fixed_in": "9.9"},
                         headers=security)  # fmt: skip
    assert (unknown.status_code, unknown.json()["code"]) == (404, "vulnerabilities.app_version.not_found")
    inside = client.put(f"/v1/vulnerabilities/{vid}/upgrades", json={"platform": "android", "fixed_in": "5.2.3"},
                        headers=security)  # fmt: skip
    assert (inside.status_code, inside.json()["code"]) == (409, "vulnerabilities.upgrade.not_applicable")
    assert client.get(f"/v1/vulnerabilities/{vid}/upgrades", headers=security).json() == []
    assert connection.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == "vulnerabilities.app_version.registered")) == 1  # fmt: skip


def test_an_app_sees_and_changes_only_its_own_versions(
    client: TestClient, ctx: Ctx, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    for version in ("5.2.3", "5.2.4"):
        _release(client, app, key, version)
    vid = _vulnerability(client, app, security)
    client.put(f"/v1/vulnerabilities/{vid}/upgrades", json={"platform": "android", "fixed_in": "5.2.4",
                                                            "required": True}, headers=security)  # fmt: skip
    client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": "fixed"}, headers=security)
    other_key = _auth(make_api_key(ctx, make_app(ctx)))
    assert _status(client, other_key, "5.2.3")["status"] == "ok"
    assert client.get(f"/v1/apps/{app.id}/versions", headers=other_key).status_code == 404
    foreign = client.post(f"/v1/apps/{app.id}/versions", json={"platform": "android", "version": "9"},
                          headers=other_key)  # fmt: skip
    assert foreign.status_code == 404
    assert client.get(f"/v1/apps/{app.id}/versions", headers=key).json()["items"][0]["version"] == "5.2.4"
    # Staff keys are not app backends: the check needs the app's own key.
    assert client.get("/v1/app-versions/status", params={"platform": "android", "version": "1"},
                      headers=security).status_code == 403  # fmt: skip


def test_users_versions_give_the_exposure_and_are_audited_only_when_they_change(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    vid = _vulnerability(client, app, security)
    users = []
    for i, version in enumerate(("5.0.0", "5.2.3", "5.2.4", "4.9")):
        user = client.post("/v1/users", json={"external_ref": f"u{i}", "nickname": f"用户{i}"}, headers=key).json()
        users.append(user["id"])
        reported = client.put(f"/v1/users/{user['id']}/app-version", json={"platform": "android", "version": version},
                              headers=key)  # fmt: skip
        assert reported.status_code == 200, reported.text
    client.put(f"/v1/users/{users[0]}/app-version", json={"platform": "android", "version": "5.0.0"}, headers=key)
    exposure = client.get(f"/v1/vulnerabilities/{vid}/exposure", headers=security).json()
    assert exposure["rows"] == [{"platform": "android", "range": ">=5.0.0 <5.2.4", "users": 2}]
    assert exposure["users_reporting"] == 4
    audited = connection.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == "vulnerabilities.user_version.reported"))  # fmt: skip
    assert audited == 4  # the repeated report of the same version wrote no second entry


@contextmanager
def _statements(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_the_check_reads_the_policies_once_then_answers_from_memory(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], security: dict[str, str]
) -> None:
    _release(client, app, key, "5.2.4")
    with _statements(connection) as seen:
        _status(client, key, "5.0")  # reads the app's policies (and warms the key cache)
    assert len([s for s in seen if "app_version_policies" in s]) == 1
    assert not [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                and "audit" not in s]  # fmt: skip
    with _statements(connection) as seen:
        _status(client, key, "5.0")
    assert seen == []
    _release(client, app, key, "5.3.0")  # a change in this process is seen at once
    assert _status(client, key, "5.0")["latest_version"] == "5.3.0"
