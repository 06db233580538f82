"""User notice campaigns over HTTP and in the console: start (only once fixed), follow per channel, cancel."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.factories.apps import log_in_console, make_app, make_staff_token
from tests.factories.vulnerabilities import campaign_body, fixed_vulnerability, make_users

from appcomply import audit
from appcomply.apps.models import App
from appcomply.bootstrap import Services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import Role, system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import State

pytestmark = pytest.mark.db


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def security(ctx: Ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_staff_token(ctx, Role.SECURITY)}"}


def _run(services: Services, factory: sessionmaker[Session], clock: FixedClock) -> None:
    while True:
        with unit_of_work(factory, clock=clock, actor=system_actor("t"), request_id=uuid.uuid4().hex) as ctx:
            if service.run_campaign_step(ctx, services.vulnerabilities, chunk=2) is None:
                return


def test_the_security_team_starts_follows_and_lists_a_campaign(
    client: TestClient, ctx: Ctx, services: Services, app: App, security: dict[str, str], clock: FixedClock
) -> None:
    make_users(ctx, app, 3)
    vuln = fixed_vulnerability(ctx, services.vulnerabilities, app)
    ctx.session.flush()
    body = campaign_body(channels=["inbox", "email"]).model_dump(mode="json")
    started = client.post(f"/v1/vulnerabilities/{vuln.id}/notice-campaigns", json=body, headers=security)
    assert started.status_code == 202, started.text
    assert (started.json()["state"], started.json()["users_total"], started.json()["users_done"]) == ("queued", 3, 0)

    _run(services, services.session_factory, clock)
    campaign = client.get(f"/v1/notice-campaigns/{started.json()['id']}", headers=security).json()
    assert (campaign["state"], campaign["users_done"]) == ("done", 3)
    assert campaign["counts"] == [
        {"channel": "inbox", "queued": 3, "skipped_no_address": 0, "pending": 3, "sent": 0, "failed": 0},
        {"channel": "email", "queued": 0, "skipped_no_address": 3, "pending": 0, "sent": 0, "failed": 0},
    ]
    listed = client.get(f"/v1/vulnerabilities/{vuln.id}/notice-campaigns", headers=security).json()
    assert [c["id"] for c in listed] == [campaign["id"]]
    refused = client.post(f"/v1/notice-campaigns/{campaign['id']}/cancel", headers=security)
    assert (refused.status_code, refused.json()["code"]) == (409, "vulnerabilities.campaign.closed")


def test_a_campaign_before_the_fix_is_a_409_and_a_bad_body_a_422(
    client: TestClient, ctx: Ctx, services: Services, app: App, security: dict[str, str]
) -> None:
    vuln = fixed_vulnerability(ctx, services.vulnerabilities, app, state=State.CONFIRMED)
    ctx.session.flush()
    url = f"/v1/vulnerabilities/{vuln.id}/notice-campaigns"
    body = campaign_body().model_dump(mode="json")
    early = client.post(url, json=body, headers=security)
    assert (early.status_code, early.json()["code"]) == (409, "vulnerabilities.campaign.not_fixed")
    for bad in ({"channels": []}, {"channels": ["inbox", "inbox"]}, {"channels": ["fax"]}, {"subject_zh": "长" * 91}):
        assert client.post(url, json={**body, **bad}, headers=security).status_code == 422, bad
    assert client.get(f"/v1/notice-campaigns/{uuid.uuid4()}", headers=security).status_code == 404


def test_cancelling_a_running_campaign_stops_it(
    client: TestClient, ctx: Ctx, services: Services, app: App, security: dict[str, str]
) -> None:
    vuln = fixed_vulnerability(ctx, services.vulnerabilities, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    cancelled = client.post(f"/v1/notice-campaigns/{campaign.id}/cancel", headers=security)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"


def test_the_detail_page_starts_a_campaign_and_shows_its_progress_per_channel(
    client: TestClient, ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    make_users(ctx, app, 3)
    vuln = fixed_vulnerability(ctx, services.vulnerabilities, app)
    ctx.session.flush()
    csrf = log_in_console(client, ctx, Role.SECURITY)
    page = client.get(f"/console/vulnerabilities/{vuln.id}")
    assert "用户通知" in page.text
    assert 'id="campaign-form"' in page.text
    form = {"csrf_token": csrf, "channels": ["inbox", "sms"], "audience": "all", "subject_zh": "安全更新",
            "body_zh": "支付漏洞已修复，请升级到 5.2.4。"}  # fmt: skip
    posted = client.post(f"/console/vulnerabilities/{vuln.id}/notice-campaigns", data=form, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    _run(services, services.session_factory, clock)
    page = client.get(f"/console/vulnerabilities/{vuln.id}")
    [view] = service.list_campaigns(ctx, vuln.id)
    row = page.text[page.text.index(f'id="campaign-{view.campaign.id}"') :]
    assert "3 / 3 位用户" in row
    assert "已排队 3" in row  # inbox
    assert "3 位无联系方式" in row  # nobody verified a phone
    assert "已完成" in row
    client.get("/console/lang/en")
    assert "3 of 3 users" in client.get(f"/console/vulnerabilities/{vuln.id}").text


def test_the_console_cancels_a_campaign_only_under_its_own_vulnerability(
    client: TestClient, ctx: Ctx, services: Services, app: App
) -> None:
    vuln, other = (fixed_vulnerability(ctx, services.vulnerabilities, app) for _ in range(2))
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    csrf = log_in_console(client, ctx, Role.SECURITY)
    before = len(audit.list_entries(ctx, app_id=None, limit=1000))

    def cancel_under(vulnerability_id: uuid.UUID) -> int:
        url = f"/console/vulnerabilities/{vulnerability_id}/notice-campaigns/{campaign.id}/cancel"
        status = client.post(url, data={"csrf_token": csrf}, follow_redirects=False).status_code
        ctx.session.expire_all()
        return status

    assert cancel_under(other.id) == 404
    assert service.get_campaign(ctx, campaign.id).campaign.state == "queued"
    assert len(audit.list_entries(ctx, app_id=None, limit=1000)) == before  # nothing recorded either
    assert cancel_under(vuln.id) == 303
    assert service.get_campaign(ctx, campaign.id).campaign.state == "cancelled"


def test_the_form_is_not_offered_before_the_fix(client: TestClient, ctx: Ctx, services: Services, app: App) -> None:
    vuln = fixed_vulnerability(ctx, services.vulnerabilities, app, state=State.CONFIRMED)
    ctx.session.flush()
    log_in_console(client, ctx, Role.SECURITY)
    page = client.get(f"/console/vulnerabilities/{vuln.id}").text
    assert 'id="campaign-form"' not in page
    assert "漏洞修复后才能通知用户。" in page
