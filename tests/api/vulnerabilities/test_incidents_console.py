"""The security team's incident pages: the list with its filters and deadlines, an incident's detail with the grade,
follow-up, submission, handled and close forms (CSRF-protected), Chinese and English, role-gated, in the nav."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from tests.factories.apps import log_in_console, make_app

from appcomply.bootstrap import Services
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import IncidentCategory, IncidentGrade
from appcomply.vulnerabilities.schemas import IncidentCreate

pytestmark = pytest.mark.db


@pytest.fixture
def incident_id(ctx: Ctx, services: Services, clock: FixedClock) -> str:
    app = make_app(ctx, name="演示社区")
    body = IncidentCreate(
        app_id=app.id, title="短信验证码接口被刷", description="攻击者批量调用验证码接口，短信费用激增。",
        category=IncidentCategory.NETWORK_ATTACK, grade=IncidentGrade.GENERAL,
    )  # fmt: skip
    incident = service.create_incident(ctx, services.vulnerabilities, body)
    ctx.session.flush()
    clock.advance(dt.timedelta(hours=1))
    return str(incident.id)


def _post(client: TestClient, path: str, data: dict[str, str]) -> int:
    return client.post(path, data=data, follow_redirects=False).status_code


def test_the_list_shows_incidents_filters_by_grade_and_the_nav_links_it(
    client: TestClient, ctx: Ctx, incident_id: str
) -> None:
    log_in_console(client, ctx, Role.SECURITY)
    page = client.get("/console/incidents")
    assert page.status_code == 200
    assert "短信验证码接口被刷" in page.text
    assert "演示社区" in page.text
    assert 'href="/console/incidents" aria-current="page"' in page.text
    assert "安全事件" in page.text
    assert "短信验证码接口被刷" not in client.get("/console/incidents", params={"grade": "major"}).text
    fragment = client.get("/console/incidents", params={"grade": "general"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "短信验证码接口被刷" in fragment.text


def test_upgrading_from_the_page_starts_the_clock_from_detection_and_the_forms_run_to_close(
    client: TestClient, ctx: Ctx, incident_id: str
) -> None:
    csrf = log_in_console(client, ctx, Role.SECURITY)
    base = f"/console/incidents/{incident_id}"
    detail = client.get(base)
    assert detail.status_code == 200
    assert "一般" in detail.text
    assert _post(client, f"{base}/grade", {"csrf_token": csrf, "grade": "relatively_major"}) == 303
    graded = client.get(base).text
    assert "剩余 3 小时 0 分钟" in graded  # 4 h from detection, 1 h already gone when it was upgraded
    assert 'id="clock-incident_report"' in graded
    follow = {"csrf_token": csrf, "channel": "12387", "reference": "FU-1", "text": "已限制单号码发送频率。"}
    assert _post(client, f"{base}/follow-ups", follow) == 303
    sub = {"csrf_token": csrf, "channel": "省网信办", "reference": "GD-1"}
    assert _post(client, f"{base}/clocks/incident_report/submission", sub) == 303
    assert _post(client, f"{base}/handled", {"csrf_token": csrf, "note": ""}) == 303
    refused = client.post(f"{base}/close", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "vulnerabilities.incident.reports_pending" in refused.text
    assert _post(client, f"{base}/clocks/incident_summary/submission", sub) == 303
    assert _post(client, f"{base}/close", {"csrf_token": csrf}) == 303
    closed = client.get(base).text
    assert "已关闭" in closed
    assert "已限制单号码发送频率。" in closed
    client.get("/console/lang/en")
    english = client.get(base).text
    assert "Summary report (30 days after handling)" in english
    assert "Relatively major" in english


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, ctx: Ctx, incident_id: str) -> None:
    log_in_console(client, ctx, Role.SECURITY)
    assert _post(client, f"/console/incidents/{incident_id}/grade", {"grade": "major"}) == 403


def test_staff_without_the_security_role_neither_see_the_link_nor_the_pages(
    client: TestClient, ctx: Ctx, incident_id: str
) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    assert 'href="/console/incidents"' not in client.get("/console/").text
    assert client.get(f"/console/incidents/{incident_id}").status_code == 403
