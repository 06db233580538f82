"""The security team's console pages: the queue with its filters and clocks, a vulnerability's detail with the
transition, triage, submission and message forms (CSRF-protected), Chinese and English, role-gated."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from tests.factories.apps import log_in_console, make_app

from appcomply.bootstrap import Services
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import Channel
from appcomply.vulnerabilities.schemas import AffectedVersion, AppVersionCreate, ReportCreate, TriageUpdate

pytestmark = pytest.mark.db


@pytest.fixture
def vuln_id(ctx: Ctx, services: Services, clock: FixedClock) -> str:
    app = make_app(ctx, name="演示社区")
    report = ReportCreate(app=app.slug, title="私信接口越权读取", description="修改会话 id 可读取他人私信。",
                          contact="13800138000")  # fmt: skip
    done = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.API, source_ip=None)
    ctx.session.flush()
    clock.advance(dt.timedelta(hours=10))
    return str(done.vulnerability_id)


def test_the_queue_shows_each_report_with_its_clock_and_filters_by_state(
    client: TestClient, ctx: Ctx, vuln_id: str
) -> None:
    log_in_console(client, ctx, Role.SECURITY)
    page = client.get("/console/vulnerabilities")
    assert page.status_code == 200
    assert "私信接口越权读取" in page.text
    assert "演示社区" in page.text
    assert "剩余 38 小时" in page.text  # 48 h from intake, 10 h gone
    assert "私信接口越权读取" not in client.get("/console/vulnerabilities", params={"state": "fixed"}).text
    client.get("/console/lang/en")
    english = client.get("/console/vulnerabilities").text
    assert "Report to MIIT due" in english
    assert "38 h left" in english


def test_the_team_triages_moves_and_records_the_submission_from_the_detail_page(
    client: TestClient, ctx: Ctx, vuln_id: str
) -> None:
    csrf = log_in_console(client, ctx, Role.SECURITY)
    detail = client.get(f"/console/vulnerabilities/{vuln_id}")
    assert detail.status_code == 200
    assert "138****8000" in detail.text
    assert "13800138000" not in detail.text
    triage = {
        "csrf_token": csrf,
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
        "national_security": "true",
    }
    assert (
        client.post(f"/console/vulnerabilities/{vuln_id}/triage", data=triage, follow_redirects=False).status_code
        == 303
    )
    moved = client.post(f"/console/vulnerabilities/{vuln_id}/transitions", data={"csrf_token": csrf, "to": "triaged"})
    assert moved.status_code == 200
    assert 'id="state">已研判<' in moved.text
    assert "medium (6.5)" in moved.text
    assert "剩余 14 小时" in moved.text
    sub = {"csrf_token": csrf, "channel": "工信部平台", "reference": "CSTIS-9"}
    done = client.post(f"/console/vulnerabilities/{vuln_id}/clocks/miit_report/submission", data=sub)
    assert 'id="clock-miit_report">已按时报送<' in done.text
    assert "CSTIS-9" in done.text
    msg = client.post(f"/console/vulnerabilities/{vuln_id}/messages",
                      data={"csrf_token": csrf, "text": "已复现，修复中", "public": "true"})  # fmt: skip
    assert "已复现，修复中" in msg.text


def test_a_bad_form_or_a_missing_csrf_token_changes_nothing(client: TestClient, ctx: Ctx, vuln_id: str) -> None:
    csrf = log_in_console(client, ctx, Role.SECURITY)
    no_csrf = client.post(f"/console/vulnerabilities/{vuln_id}/transitions", data={"to": "triaged"})
    assert no_csrf.status_code == 403
    bad = client.post(f"/console/vulnerabilities/{vuln_id}/triage", data={"csrf_token": csrf, "cvss_vector": "nope"})
    assert bad.status_code == 422
    wrong = client.post(f"/console/vulnerabilities/{vuln_id}/transitions", data={"csrf_token": csrf, "to": "disclosed"})
    assert wrong.status_code == 409
    assert 'id="state">已接收<' in client.get(f"/console/vulnerabilities/{vuln_id}").text


def test_staff_without_the_security_role_cannot_open_the_queue(client: TestClient, ctx: Ctx, vuln_id: str) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    assert client.get("/console/vulnerabilities").status_code == 403
    assert client.get(f"/console/vulnerabilities/{vuln_id}").status_code == 403
    assert "/console/vulnerabilities" not in client.get("/console/").text


def test_the_fix_release_is_named_on_the_detail_page_with_the_users_still_exposed(
    client: TestClient, ctx: Ctx, services: Services, vuln_id: str
) -> None:
    vuln = service.get_vulnerability(ctx, uuid.UUID(vuln_id))
    service.register_version(ctx, vuln.app_id, AppVersionCreate(platform="android", version="5.2.4"))
    service.update_triage(ctx, vuln.id, TriageUpdate(
        affected_versions=[AffectedVersion(platform="android", range=">=5.0 <5.2.4")]))  # fmt: skip
    ctx.session.flush()
    csrf = log_in_console(client, ctx, Role.SECURITY)
    form = {"csrf_token": csrf, "platform": "android", "fixed_in": "5.2.4", "required": "true"}
    page = client.post(f"/console/vulnerabilities/{vuln_id}/upgrades", data=form)
    assert page.status_code == 200
    assert "必须升级（强制升级）" in page.text
    assert re.search(r"android <code>&gt;=5.0 &lt;5.2.4</code>: 0", page.text)
    inside = client.post(f"/console/vulnerabilities/{vuln_id}/upgrades",
                         data={**form, "fixed_in": "5.1"}, follow_redirects=False)  # fmt: skip
    assert inside.status_code in (404, 409, 422)
    assert [u.fixed_in for u in service.list_upgrades(ctx, vuln.id)] == ["5.2.4"]
    client.get("/console/lang/en")
    assert "Required (forced upgrade)" in client.get(f"/console/vulnerabilities/{vuln_id}").text
