"""The per-request checks an app backend makes on its own request path are held to a number of queries (issue 12):
a clean screening touches no database, a screening that hits only appends its hits (after the answer), a
consent check and a user's permissions read a fixed handful of rows and write nothing. A failure here is a fast
path that grew a query; bench/fast_paths.py measures what each costs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from starlette.routing import Match
from starlette.types import Receive, Scope, Send
from tests.factories.agreements import publish
from tests.factories.apps import make_api_key, make_app, make_staff_token
from tests.factories.queries import statements, writes

from appcomply import agreements
from appcomply.apps.models import App
from appcomply.bootstrap import ROUTERS
from appcomply.content.schemas import ScreeningRead
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.app import hot_routes
from appcomply.web.deps import get_services
from appcomply.web.hot import HotRoute, plan

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


@pytest.mark.parametrize(("activity", "most"), [("posting", 1), ("personalised_ads", 1)])
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
    assert len(seen) <= 3, seen


# --- routing: the hot paths are found first, and shadow nothing --------------------------------------------------


def _sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", template)


def _first_match(routes: list[APIRoute], method: str, path: str) -> APIRoute | None:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}
    return next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)


def test_the_hot_paths_are_the_per_request_checks() -> None:
    assert {(m, r.path) for r in hot_routes(ROUTERS) for m in r.methods} == {
        ("POST", "/v1/screenings"),
        ("POST", "/v1/consent-checks"),
        ("GET", "/v1/users/{user_id}/permissions"),
        ("GET", "/v1/app-versions/status"),
        ("POST", "/v1/vulnerability-reports"),  # public, but anyone may call it as often as the limit lets them
    }


@pytest.mark.parametrize("route", hot_routes(ROUTERS), ids=lambda r: r.path)
def test_a_hot_path_routed_first_shadows_no_route_declared_before_it(route: APIRoute) -> None:
    # Routed first, a hot path would take a request that a route declared before it should answer: the request
    # must reach the same route in the declared order as in the app.
    declared = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    for method in route.methods:
        assert _first_match(declared, method, _sample_path(route.path)) is route


def test_a_hot_path_is_served_by_the_route_at_its_declared_place(client: TestClient, key: dict[str, str]) -> None:
    # The same endpoint, its place in the document unchanged: one operation, answered by the hot router.
    document = client.get("/openapi.json").json()
    assert list(document["paths"]["/v1/screenings"]) == ["post"]
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    response = client.post("/v1/screenings", json={"text": "一起去公园吧", "kind": "comment"}, headers=key)
    assert ScreeningRead.model_validate_json(response.content).verdict == "pass"


# --- the fast handler: well-formed requests skip FastAPI's generic handler, all others get it whole -------------


@pytest.mark.parametrize("route", hot_routes(ROUTERS), ids=lambda r: r.path)
def test_every_hot_path_has_a_fast_plan(route: APIRoute) -> None:
    # A parameter the fast handler does not know sends every request to the standard handler: slower, silently.
    assert plan(route) is not None


@pytest.fixture
def standard_calls(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths that the standard handler of a hot route answered."""
    calls: list[str] = []
    for route in client.app.router.routes:  # type: ignore[attr-defined]
        if isinstance(route, HotRoute):
            original = route.route.handle

            async def counting(scope: Scope, receive: Receive, send: Send, original: Any = original) -> None:
                calls.append(scope["path"])
                await original(scope, receive, send)

            monkeypatch.setattr(route.route, "handle", counting)
    return calls


def test_a_well_formed_request_is_answered_by_the_fast_handler(
    client: TestClient, key: dict[str, str], user_id: str, standard_calls: list[str]
) -> None:
    assert client.post("/v1/consent-checks", json={"user_id": user_id, "activity": "posting"}, headers=key).json()[
        "allowed"
    ]
    assert client.get(f"/v1/users/{user_id}/permissions", headers=key).status_code == 200
    assert _screen(client, key, "现在出售弹簧刀，私聊") == "block"
    assert standard_calls == []


def test_a_body_that_does_not_validate_gets_fastapis_own_problem(
    client: TestClient, key: dict[str, str], standard_calls: list[str]
) -> None:
    # The fast handler read the body; the standard one must get it again, or it would report the body missing.
    response = client.post("/v1/screenings", json={"text": 12, "kind": "comment"}, headers=key)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "text"]]
    assert standard_calls == ["/v1/screenings"]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 422), ("application/json; charset=utf-8", 200), ("application/merge-patch+json", 200)],
)
def test_a_body_not_plainly_json_goes_to_the_standard_handler(
    client: TestClient, key: dict[str, str], standard_calls: list[str], content_type: str, status: int
) -> None:
    body = '{"text": "一起去公园吧", "kind": "comment"}'.encode()
    headers = {**key, "content-type": content_type}
    response = client.post("/v1/screenings", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert standard_calls == ([] if content_type.startswith("application/json") else ["/v1/screenings"])


def test_an_unauthenticated_request_is_refused_before_its_body_is_judged(
    client: TestClient, standard_calls: list[str]
) -> None:
    assert client.post("/v1/screenings", json={"text": "一起去公园吧", "kind": "comment"}).status_code == 401
    assert client.post("/v1/screenings", json={"text": 12}).status_code == 401  # the standard handler: auth first
    assert standard_calls == ["/v1/screenings"]


def test_invalid_path_and_query_values_get_the_standard_problem(
    client: TestClient, key: dict[str, str], standard_calls: list[str]
) -> None:
    response = client.get("/v1/users/not-a-uuid/permissions", headers=key)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["path", "user_id"]]
    response = client.get("/v1/app-versions/status?platform=Android!", headers=key)
    assert response.status_code == 422
    assert sorted(tuple(e["loc"]) for e in response.json()["errors"]) == [("query", "platform"), ("query", "version")]
    assert len(standard_calls) == 2


def _report(app: App) -> dict[str, str]:
    return {"app": app.slug, "title": "登录接口可被穷举", "description": "登录接口没有频率限制，可被穷举。"}


def test_a_report_with_its_idempotency_key_is_answered_by_the_fast_handler(
    client: TestClient, app: App, standard_calls: list[str]
) -> None:
    headers = {"Idempotency-Key": "report-0001"}
    first = client.post("/v1/vulnerability-reports", json=_report(app), headers=headers)
    again = client.post("/v1/vulnerability-reports", json=_report(app), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)  # the key reached the endpoint: a replay
    assert again.json()["tracking_token"] == first.json()["tracking_token"]
    assert standard_calls == []


@pytest.mark.parametrize(
    "headers", [{"Idempotency-Key": "short"}, [("Idempotency-Key", "report-0001"), ("Idempotency-Key", "report-0002")]]
)
def test_a_header_not_surely_valid_goes_to_the_standard_handler(
    client: TestClient, app: App, standard_calls: list[str], headers: Any
) -> None:
    response = client.post("/v1/vulnerability-reports", json=_report(app), headers=headers)
    if isinstance(headers, dict):  # too short: FastAPI's own problem, located in the header
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [["header", "Idempotency-Key"]]
    else:  # given twice: whatever FastAPI makes of it, it decides
        assert response.status_code == 201, response.text
    assert standard_calls == ["/v1/vulnerability-reports"]


def test_dependency_overrides_send_every_request_to_the_standard_handler(
    client: TestClient, key: dict[str, str], standard_calls: list[str]
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_services] = get_services
    try:
        assert _screen(client, key, "一起去公园吧") == "pass"
    finally:
        app.dependency_overrides.clear()
    assert standard_calls == ["/v1/screenings"]
