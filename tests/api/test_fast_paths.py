"""The per-request checks an app backend makes on its own request path are held to a number of queries (issue 12):
a clean screening touches no database, a screening that hits only appends its hits (after the answer), a
consent check and a user's permissions read a fixed handful of rows and write nothing. A failure here is a fast
path that grew a query; bench/fast_paths.py measures what each costs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from tests.factories.agreements import publish
from tests.factories.apps import make_api_key, make_app, make_staff_token
from tests.factories.queries import statements, writes

from appcomply import agreements
from appcomply.apps.models import App
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

ADS = {
    "key": "personalised_ads", "feature": "个性化推荐", "purpose": "根据设备信息推荐广告", "pi_items": ["device_id"],
    "basis": "consent", "retention": "撤回同意后删除", "choice": "ads",
}  # fmt: skip
POSTING = {
    "key": "posting", "feature": "发帖与评论", "purpose": "注册账号并发布内容", "pi_items": ["mobile_number"],
    "basis": "contract", "basic_type": 4, "retention": "账号注销后删除",
}  # fmt: skip


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, app_types=[4])


@pytest.fixture
def key(ctx: Ctx, app: App) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_api_key(ctx, app)}"}


@pytest.fixture
def user_id(ctx: Ctx, client: TestClient, app: App, key: dict[str, str]) -> str:
    publish(ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY)
    staff = {"Authorization": f"Bearer {make_staff_token(ctx, Role.COMPLIANCE)}"}
    for body in (POSTING, ADS):
        assert client.post(f"/v1/apps/{app.id}/processing-activities", json=body, headers=staff).status_code == 201
    response = client.post("/v1/users", json={"external_ref": "u-1", "nickname": "用户"}, headers=key)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _screen(client: TestClient, key: dict[str, str], text: str) -> str:
    response = client.post("/v1/screenings", json={"text": text, "kind": "comment"}, headers=key)
    assert response.status_code == 200, response.text
    return str(response.json()["verdict"])


def test_a_clean_screening_touches_no_database(client: TestClient, connection: Connection, key: dict[str, str]) -> None:
    assert _screen(client, key, "今天天气不错") == "pass"  # the key and the lexicon's version are now known
    with statements(connection) as seen:
        assert _screen(client, key, "一起去公园吧") == "pass"
    assert seen == []


def test_a_screening_that_hits_only_appends_its_hits(
    client: TestClient, connection: Connection, key: dict[str, str]
) -> None:
    assert _screen(client, key, "今天天气不错") == "pass"
    with statements(connection) as seen:
        assert _screen(client, key, "现在出售弹簧刀，私聊") == "block"
    assert len(seen) == 1
    assert seen[0].startswith("INSERT INTO content_screening_hits")


@pytest.mark.parametrize(("activity", "most"), [("posting", 2), ("personalised_ads", 4)])
def test_a_consent_check_reads_a_handful_of_rows_and_writes_nothing(
    client: TestClient, connection: Connection, key: dict[str, str], user_id: str, activity: str, most: int
) -> None:
    body = {"user_id": user_id, "activity": activity}
    assert client.post("/v1/consent-checks", json=body, headers=key).status_code == 200
    with statements(connection) as seen:
        assert client.post("/v1/consent-checks", json=body, headers=key).status_code == 200
    assert writes(seen) == []
    assert len(seen) <= most, seen


def test_permissions_read_a_handful_of_rows_and_write_nothing(
    client: TestClient, connection: Connection, key: dict[str, str], user_id: str
) -> None:
    assert client.get(f"/v1/users/{user_id}/permissions", headers=key).status_code == 200
    with statements(connection) as seen:
        assert client.get(f"/v1/users/{user_id}/permissions", headers=key).status_code == 200
    assert writes(seen) == []
    assert len(seen) <= 10, seen
