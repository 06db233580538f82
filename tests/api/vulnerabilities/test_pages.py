"""The public security page (form, tracking, disclosed advisories, zh/en) and /.well-known/security.txt."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sectxt import Parser
from sqlalchemy import Connection, func, select
from tests.factories.apps import make_app

from appcomply.apps.models import App
from appcomply.bootstrap import Services, create_app
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.models import Attachment, Receipt, Vulnerability
from appcomply.vulnerabilities.rules import Channel, State
from appcomply.vulnerabilities.schemas import ReportCreate, TriageUpdate

pytestmark = pytest.mark.db

FORM = {
    "title": "登录页可暴力破解验证码",
    "description": "验证码接口没有次数限制，四位数字可在几分钟内穷举。",
    "component": "登录",
    "component_version": "5.2.1",
    "contact": "13800138000",
}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


def test_the_page_is_chinese_first_and_english_on_request(client: TestClient, app: App) -> None:
    zh = client.get(f"/p/{app.slug}/security")
    assert zh.status_code == 200
    assert '<html lang="zh-CN">' in zh.text
    assert "安全漏洞报告" in zh.text
    assert "第九条" in zh.text
    en = client.get(f"/p/{app.slug}/security", params={"lang": "en"})
    assert '<html lang="en">' in en.text
    assert "Report a security vulnerability" in en.text
    assert client.get("/p/no-such-app/security").status_code == 404


def test_a_report_from_the_form_shows_its_tracking_code_once_and_can_be_followed(
    client: TestClient, connection: Connection, app: App
) -> None:
    page = client.get(f"/p/{app.slug}/security").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    files = [("attachments", ("截图.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png"))]
    sent = client.post(f"/p/{app.slug}/security", data={**FORM, "idempotency_key": key.group(1)}, files=files)
    assert sent.status_code == 201, sent.text
    token = re.search(r'id="tracking-token">(vrt_[A-Za-z0-9_-]+)<', sent.text)
    assert token
    assert sent.headers["cache-control"] == "no-store"
    again = client.post(f"/p/{app.slug}/security", data={**FORM, "idempotency_key": key.group(1)}, files=files)
    assert token.group(1) in again.text  # a double click is one report
    assert connection.scalar(select(func.count()).select_from(Vulnerability)) == 1
    [receipt] = connection.execute(select(Receipt.channel, Receipt.attachments)).all()
    assert tuple(receipt) == ("web_form", 1)
    assert connection.scalar(select(func.count()).select_from(Attachment)) == 1
    tracked = client.post(f"/p/{app.slug}/security/track", data={"token": token.group(1)})
    assert tracked.status_code == 200
    assert re.search(r'id="report-status">received<', tracked.text)
    assert "13800138000" not in tracked.text
    wrong = client.post(f"/p/{app.slug}/security/track", data={"token": "vrt_nope"})
    assert wrong.status_code == 404
    assert "没有与此跟踪码对应的报告" in wrong.text


def test_a_bad_form_is_shown_again_with_the_errors_and_what_was_typed(
    client: TestClient, connection: Connection, app: App
) -> None:
    response = client.post(f"/p/{app.slug}/security", data={**FORM, "description": "太短"})
    assert response.status_code == 422
    assert "description" in response.text
    assert FORM["title"] in response.text
    assert connection.scalar(select(func.count()).select_from(Vulnerability)) == 0


def test_only_disclosed_advisories_appear_on_the_page(
    client: TestClient, ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    env = services.vulnerabilities
    hidden = ReportCreate(app=app.slug, title="尚未修复的漏洞", description="这是一个还没有修复的漏洞。")
    shown = ReportCreate(app=app.slug, title="已修复并公开的漏洞", description="这是一个已经修复的漏洞。")
    service.submit_report(ctx, env, report=hidden, channel=Channel.STAFF, source_ip=None)
    shown_id = service.submit_report(ctx, env, report=shown, channel=Channel.STAFF, source_ip=None).vulnerability_id
    vuln = service.get_vulnerability(ctx, shown_id)
    for state in (State.TRIAGED, State.CONFIRMED, State.FIXED):
        service.transition(ctx, vuln.id, to=state)
    service.update_triage(ctx, vuln.id, TriageUpdate(fixed_version="5.2.4", fix_released_at=clock.now(),
                                                     advisory_summary="请升级到 5.2.4。"))  # fmt: skip
    service.transition(ctx, vuln.id, to=State.DISCLOSED)
    ctx.session.flush()
    page = client.get(f"/p/{app.slug}/security").text
    assert "已修复并公开的漏洞" in page
    assert "5.2.4" in page
    assert "请升级到 5.2.4。" in page
    assert "尚未修复的漏洞" not in page


def _with(services: Services, **limits: object) -> Services:
    return dataclasses.replace(
        services,
        vulnerabilities=dataclasses.replace(services.vulnerabilities, limits=VulnerabilitiesSettings(**limits)),
    )


def test_security_txt_is_served_for_the_apps_host_and_passes_the_validator(services: Services, app: App) -> None:
    configured = _with(services, hosts={"sec.example.cn": app.slug}, security_txt_contacts=["mailto:sec@example.cn"],
                       security_txt_encryption="https://sec.example.cn/pgp.txt")  # fmt: skip
    with TestClient(create_app(services=configured), base_url="https://sec.example.cn") as client:
        response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    parsed = Parser(response.content, urls="https://sec.example.cn/.well-known/security.txt")
    assert parsed.is_valid(), parsed.errors
    assert f"Contact: https://sec.example.cn/p/{app.slug}/security" in response.text
    assert "Contact: mailto:sec@example.cn" in response.text
    expires = dt.datetime.fromisoformat(re.search(r"Expires: (\S+)", response.text).group(1))  # type: ignore[union-attr]
    assert expires == (services.clock.now() + dt.timedelta(days=180)).replace(microsecond=0)


def test_security_txt_falls_back_to_the_default_app_and_is_404_when_none_is_set(services: Services, app: App) -> None:
    with TestClient(create_app(services=_with(services, default_app=app.slug)), base_url="https://x.cn") as client:
        assert client.get("/.well-known/security.txt").status_code == 200
    with TestClient(create_app(services=services), base_url="https://x.cn") as client:
        response = client.get("/.well-known/security.txt")
    assert (response.status_code, response.json()["code"]) == (404, "vulnerabilities.security_txt.unavailable")
