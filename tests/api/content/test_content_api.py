"""The content API over HTTP: screening with the packaged default lexicon, the 413 limit, the app's own terms
(version bumps, scopes, layering), allow-list phrases, all-or-nothing imports, hits per term, the console page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.content.models import LexiconTerm, ScreeningHit
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def key(ctx: Ctx, app: App) -> dict[str, str]:
    return _auth(make_api_key(ctx, app))


@pytest.fixture
def staff(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.COMPLIANCE))


def _screen(client: TestClient, key: dict[str, str], text: str, kind: str = "comment") -> dict[str, object]:
    response = client.post("/v1/screenings", json={"text": text, "kind": kind}, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_default_lexicon_blocks_with_original_offsets_through_noise(
    client: TestClient, key: dict[str, str]
) -> None:
    text = "现在出售弹*簧*刀，私聊"
    body = _screen(client, key, text)
    assert body["verdict"] == "block"
    [hit] = body["hits"]  # type: ignore[misc]
    assert (hit["term"], hit["evasions"]) == ("出售弹簧刀", ["noise"])
    assert text[hit["start"] : hit["end"]] == "出售弹*簧*刀"
    assert body["lexicon_version"] == 0


def test_clean_text_passes_and_contact_details_go_to_review(client: TestClient, key: dict[str, str]) -> None:
    assert _screen(client, key, "今天天气不错，一起去公园吧")["verdict"] == "pass"
    body = _screen(client, key, "有意者联系 138 0013 8000")
    assert body["verdict"] == "review"
    assert [h["detector"] for h in body["hits"]] == ["phone"]  # type: ignore[union-attr]


def test_a_text_over_10000_characters_is_413_and_logs_nothing(
    client: TestClient, connection: Connection, key: dict[str, str]
) -> None:
    response = client.post("/v1/screenings", json={"text": "冰毒" * 5001, "kind": "post"}, headers=key)
    assert (response.status_code, response.json()["code"]) == (413, "content.text_too_long")
    assert response.headers["content-type"] == "application/problem+json"
    assert connection.scalar(select(func.count()).select_from(ScreeningHit)) == 0


def test_a_new_term_is_screened_at_the_next_version_and_its_hits_are_counted(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    assert _screen(client, key, "来买蓝莓果酱")["verdict"] == "pass"
    response = client.post(
        f"/v1/apps/{app.id}/lexicon/terms", json={"text": "蓝莓果酱", "category": "fraud", "level": "review"},
        headers=staff,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    term_id = response.json()["id"]
    body = _screen(client, key, "来买蓝 莓 果 酱")
    assert (body["verdict"], body["lexicon_version"]) == ("review", 1)
    hits = client.get(f"/v1/apps/{app.id}/lexicon/terms/{term_id}/hits", headers=staff).json()
    assert (hits["total"], hits["by_kind"]) == (1, {"comment": 1})
    # The hit log never holds the screened text.
    assert connection.scalar(select(func.count()).select_from(ScreeningHit).where(ScreeningHit.term == "蓝莓果酱")) == 1
    events = connection.scalars(select(AuditEntry.event).order_by(AuditEntry.id.desc()).limit(1)).all()
    assert events == ["content.term.added"]


def test_scopes_limit_a_term_to_some_content_kinds(
    client: TestClient, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    body = {"text": "官方客服", "category": "fraud", "level": "block", "scopes": ["nickname"]}
    assert client.post(f"/v1/apps/{app.id}/lexicon/terms", json=body, headers=staff).status_code == 201
    assert _screen(client, key, "我是官方客服", kind="nickname")["verdict"] == "block"
    assert _screen(client, key, "我是官方客服", kind="comment")["verdict"] == "pass"


def test_an_allow_phrase_wins_over_the_term_inside_it(
    client: TestClient, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    assert client.post(f"/v1/apps/{app.id}/lexicon/terms", json={"text": "果酱", "category": "custom"},
                       headers=staff).status_code == 201  # fmt: skip
    assert _screen(client, key, "草莓果酱蛋糕")["verdict"] == "block"
    allow = client.post(f"/v1/apps/{app.id}/lexicon/allow", json={"text": "草莓果酱"}, headers=staff)
    assert allow.status_code == 201
    assert _screen(client, key, "草莓果酱蛋糕")["verdict"] == "pass"
    assert _screen(client, key, "蓝莓果酱")["verdict"] == "block"
    assert client.delete(f"/v1/apps/{app.id}/lexicon/allow/{allow.json()['id']}", headers=staff).status_code == 204
    assert _screen(client, key, "草莓果酱蛋糕")["verdict"] == "block"


def test_the_default_lexicon_can_be_switched_off(
    client: TestClient, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    response = client.patch(f"/v1/apps/{app.id}/lexicon", json={"include_default": False}, headers=staff)
    assert response.status_code == 200
    assert response.json()["include_default"] is False
    assert response.json()["default_terms"] > 500
    assert _screen(client, key, "出售弹簧刀")["hits"] == []


def test_an_import_with_a_bad_line_writes_nothing(
    client: TestClient, connection: Connection, app: App, staff: dict[str, str]
) -> None:
    before = connection.scalar(select(func.count()).select_from(AuditEntry))
    text = "香蕉牛奶,custom,block\n苹果派,no_such_category,block\n"
    response = client.post(f"/v1/apps/{app.id}/lexicon/imports", json={"text": text}, headers=staff)
    assert (response.status_code, response.json()["code"]) == (422, "content.import.rejected")
    assert [line["line"] for line in response.json()["lines"]] == [2]
    assert connection.scalar(select(func.count()).select_from(LexiconTerm)) == 0
    assert connection.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_an_import_adds_and_updates(client: TestClient, app: App, staff: dict[str, str]) -> None:
    url = f"/v1/apps/{app.id}/lexicon/imports"
    first = client.post(url, json={"text": "# 水果\n香蕉牛奶\n苹果派,fraud,review\n"}, headers=staff).json()
    assert (first["added"], first["updated"], first["unchanged"]) == (2, 0, 0)
    second = client.post(url, json={"text": "香蕉牛奶\n苹果派,fraud,block\n"}, headers=staff).json()
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 1, 1)
    listed = client.get(f"/v1/apps/{app.id}/lexicon/terms?level=block", headers=staff).json()
    assert sorted(t["text"] for t in listed["items"]) == ["苹果派", "香蕉牛奶"]


def test_a_duplicate_term_is_a_conflict(client: TestClient, app: App, staff: dict[str, str]) -> None:
    url = f"/v1/apps/{app.id}/lexicon/terms"
    assert client.post(url, json={"text": "重复词", "category": "custom"}, headers=staff).status_code == 201
    response = client.post(url, json={"text": "重复词", "category": "custom"}, headers=staff)
    assert (response.status_code, response.json()["code"]) == (409, "content.term.exists")


def test_the_console_marks_hits_in_a_tested_text(client: TestClient, ctx: Ctx, app: App, staff: dict[str, str]) -> None:
    page = client.get(f"/console/apps/{app.slug}/lexicon", headers=staff)
    assert page.status_code == 200
    result = client.post(
        f"/console/apps/{app.slug}/lexicon/test", data={"text": "<b>出售弹簧刀</b>", "kind": "post"}, headers=staff
    )
    assert result.status_code == 200
    assert "&lt;b&gt;<mark>出售弹簧刀</mark>&lt;/b&gt;" in result.text


def test_a_phone_number_may_be_denied_but_the_audit_log_holds_it_masked(
    client: TestClient, connection: Connection, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    body = {"text": "13800138000", "category": "fraud", "level": "block"}
    assert client.post(f"/v1/apps/{app.id}/lexicon/terms", json=body, headers=staff).status_code == 201
    assert (
        client.post(f"/v1/apps/{app.id}/lexicon/allow", json={"text": "客服 4008001234"}, headers=staff).status_code
        == 201
    )
    data = connection.scalars(select(AuditEntry.data).where(AuditEntry.event.like("content.%"))).all()
    assert [d["text"] for d in data] == ["138****8000", "客服 400***1234"]
    assert _screen(client, key, "骗子电话 138-0013-8000")["verdict"] == "block"


def test_apps_without_their_own_lexicon_share_one_compiled_default(
    client: TestClient, ctx: Ctx, services: Services, app: App, key: dict[str, str], staff: dict[str, str]
) -> None:
    other = _auth(make_api_key(ctx, make_app(ctx)))
    _screen(client, key, "出售弹簧刀")
    _screen(client, other, "出售弹簧刀")
    registry = services.content.registry
    assert registry.get("default", services.content.default.version, lambda: pytest.fail("compiled twice"))
    # The first change gives the app a lexicon of its own, compiled separately; the other app keeps the default.
    client.post(f"/v1/apps/{app.id}/lexicon/terms", json={"text": "蓝莓果酱", "category": "custom"}, headers=staff)
    assert _screen(client, key, "蓝莓果酱")["verdict"] == "block"
    assert _screen(client, other, "蓝莓果酱")["verdict"] == "pass"
