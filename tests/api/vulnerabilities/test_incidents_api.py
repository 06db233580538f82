"""The security-incident API over HTTP (VUL-07): record, regrade, follow up, handle, submit, close; the problems
for what the Measures do not allow; bounded bodies; the security role only."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.apps import make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities.models import Incident

pytestmark = pytest.mark.db


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def security(ctx: Ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_staff_token(ctx, Role.SECURITY)}"}


def _incident(app: App, **extra: object) -> dict[str, object]:
    return {
        "app_id": str(app.id), "title": "支付接口遭撞库攻击", "description": "短时间内大量异常登录，部分账户被盗用。",
        "category": "network_attack", "grade": "general", **extra,
    }  # fmt: skip


def test_the_team_records_upgrades_reports_handles_and_closes_an_incident(
    client: TestClient, app: App, security: dict[str, str], clock: FixedClock
) -> None:
    detected = clock.now() - dt.timedelta(hours=2)
    created = client.post(
        "/v1/security-incidents", json=_incident(app, detected_at=detected.isoformat()), headers=security
    )
    assert created.status_code == 201, created.text
    body = created.json()
    iid = body["id"]
    assert (body["grade"], body["state"], body["operator_class"], body["clocks"]) == ("general", "open", "other", [])

    graded = client.patch(f"/v1/security-incidents/{iid}", json={"grade": "relatively_major"}, headers=security)
    [report] = graded.json()["clocks"]
    assert report["kind"] == "incident_report"
    assert dt.datetime.fromisoformat(report["due_at"]) == detected + dt.timedelta(hours=4)
    assert report["seconds_left"] == 2 * 3600
    assert graded.json()["next_clock"] == "incident_report"

    follow = {"channel": "省网信办", "reference": "FU-7", "text": "已封禁攻击来源并强制受影响用户改密。"}
    assert client.post(f"/v1/security-incidents/{iid}/follow-ups", json=follow, headers=security).status_code == 201
    sub = {"channel": "省网信办", "reference": "GD-2026-7"}
    met = client.post(f"/v1/security-incidents/{iid}/clocks/incident_report/submission", json=sub, headers=security)
    assert (met.status_code, met.json()["status"]) == (200, "met")
    handled = client.post(f"/v1/security-incidents/{iid}/handled", json={}, headers=security).json()
    assert [c["kind"] for c in handled["clocks"] if c["status"] == "open"] == ["incident_summary"]

    refused = client.post(f"/v1/security-incidents/{iid}/close", json={}, headers=security)
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["code"], problem["pending"]) == ("vulnerabilities.incident.reports_pending", ["incident_summary"])
    assert "summary report" in problem["detail"]
    assert refused.headers["content-type"] == "application/problem+json"

    summary = f"/v1/security-incidents/{iid}/clocks/incident_summary/submission"
    assert client.post(summary, json=sub, headers=security).status_code == 200
    closed = client.post(f"/v1/security-incidents/{iid}/close", json={"note": "完结"}, headers=security).json()
    assert closed["state"] == "closed"
    kinds = [t["kind"] for t in client.get(f"/v1/security-incidents/{iid}", headers=security).json()["timeline"]]
    assert kinds == ["created", "graded", "follow_up", "submission", "handled", "submission", "closed"]
    again = client.patch(f"/v1/security-incidents/{iid}", json={"title": "改个标题"}, headers=security)
    assert (again.status_code, again.json()["code"]) == (409, "vulnerabilities.incident.closed")


def test_the_list_filters_and_pages(client: TestClient, app: App, security: dict[str, str]) -> None:
    for grade in ("general", "major", "major"):
        assert client.post("/v1/security-incidents", json=_incident(app, grade=grade), headers=security).is_success
    page = client.get("/v1/security-incidents", params={"grade": "major", "limit": 1}, headers=security).json()
    assert len(page["items"]) == 1
    assert page["items"][0]["next_clock"] == "incident_report"
    rest = client.get(
        "/v1/security-incidents", params={"grade": "major", "after": page["next_cursor"]}, headers=security
    ).json()
    assert (len(rest["items"]), rest["next_cursor"]) == (1, None)
    running = client.get("/v1/security-incidents", params={"clock": "open"}, headers=security).json()["items"]
    assert {i["grade"] for i in running} == {"major"}
    assert client.get("/v1/security-incidents", params={"grade": "huge"}, headers=security).status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"grade": "catastrophic"}, "grade"),
        ({"category": "aliens"}, "category"),
        ({"affected_users": -1}, "affected_users"),
        ({"operator_class": "cii"}, "operator_class"),  # the class comes from the settings, not the caller
    ],
)
def test_a_bad_or_unbounded_field_is_a_422_and_writes_nothing(
    client: TestClient, connection: Connection, app: App, security: dict[str, str], change: dict[str, object],
    field: str,
) -> None:  # fmt: skip
    response = client.post("/v1/security-incidents", json=_incident(app, **change), headers=security)
    assert response.status_code == 422
    assert field in str(response.json()["errors"])
    assert connection.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_future_detection_an_unknown_incident_and_a_foreign_clock_are_problems(
    client: TestClient, app: App, security: dict[str, str], clock: FixedClock
) -> None:
    future = (clock.now() + dt.timedelta(hours=1)).isoformat()
    response = client.post("/v1/security-incidents", json=_incident(app, detected_at=future), headers=security)
    assert (response.status_code, response.json()["code"]) == (422, "vulnerabilities.incident.time_invalid")
    missing = client.get("/v1/security-incidents/00000000-0000-7000-8000-000000000000", headers=security)
    assert (missing.status_code, missing.json()["code"]) == (404, "vulnerabilities.incident.not_found")
    iid = client.post("/v1/security-incidents", json=_incident(app), headers=security).json()["id"]
    miit = client.post(
        f"/v1/security-incidents/{iid}/clocks/miit_report/submission", json={"channel": "MIIT"}, headers=security
    )
    assert (miit.status_code, miit.json()["code"]) == (404, "vulnerabilities.clock.not_found")


def test_only_the_security_role_reaches_incidents(client: TestClient, ctx: Ctx, app: App) -> None:
    reviewer = {"Authorization": f"Bearer {make_staff_token(ctx, Role.REVIEWER)}"}
    response = client.get("/v1/security-incidents", headers=reviewer)
    assert (response.status_code, response.json()["code"]) == (403, "auth.role_required")
