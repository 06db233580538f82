"""Advisories as CSAF 2.0: the provider directory under /.well-known/csaf/ (only what is disclosed, only the host's
app), the link from the security page, security.txt's CSAF field, and the security team's draft preview."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sectxt import Parser
from tests.factories.apps import make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.bootstrap import Services, create_app
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.formats import validate_csaf, validate_provider_metadata
from appcomply.vulnerabilities.models import Vulnerability
from appcomply.vulnerabilities.rules import Channel, State
from appcomply.vulnerabilities.schemas import AffectedVersion, ReportCreate, TriageUpdate

pytestmark = pytest.mark.db

HOST = "sec.example.cn"


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def other(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def hosted(services: Services, app: App, other: App) -> TestClient:
    limits = VulnerabilitiesSettings(hosts={HOST: app.slug, "other.example.cn": other.slug})
    configured = dataclasses.replace(
        services, vulnerabilities=dataclasses.replace(services.vulnerabilities, limits=limits)
    )
    with TestClient(create_app(services=configured), base_url=f"https://{HOST}") as client:
        yield client


def _report(ctx: Ctx, services: Services, app: App, title: str) -> Vulnerability:
    report = ReportCreate(app=app.slug, title=title, description=f"{title}：详细描述与复现。")
    done = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.STAFF, source_ip=None)
    return service.get_vulnerability(ctx, done.vulnerability_id)


def _disclose(ctx: Ctx, services: Services, app: App, clock: FixedClock, title: str) -> Vulnerability:
    vuln = _report(ctx, services, app, title)
    for state in (State.TRIAGED, State.CONFIRMED, State.FIXED):
        service.transition(ctx, vuln.id, to=state)
    facts = TriageUpdate(
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        affected_versions=[AffectedVersion(platform="android", range=">=5.0.0 <5.2.4")],
        fixed_version="5.2.4", fix_released_at=clock.now(), advisory_summary="请升级到 5.2.4。",
    )  # fmt: skip
    service.update_triage(ctx, vuln.id, facts)
    service.transition(ctx, vuln.id, to=State.DISCLOSED)
    ctx.session.flush()
    return vuln


def test_a_disclosed_advisory_is_listed_and_served_as_a_valid_final_document(
    hosted: TestClient, ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    vuln = _disclose(ctx, services, app, clock, "评论区存储型 XSS")
    hidden = _report(ctx, services, app, "尚未修复的漏洞")
    ctx.session.flush()
    year = clock.now().year
    path = f"{year}/{app.slug}-sa-{vuln.id}.json"

    index = hosted.get("/.well-known/csaf/white/index.txt")
    assert (index.status_code, index.text) == (200, f"{path}\n")
    changes = hosted.get("/.well-known/csaf/white/changes.csv")
    assert changes.headers["content-type"].startswith("text/csv")
    assert changes.text.startswith(f'"{path}","{year}-')

    document = hosted.get(f"/.well-known/csaf/white/{path}")
    assert document.status_code == 200
    body = document.json()
    validate_csaf(body)
    assert body["document"]["tracking"]["id"] == f"{app.slug}-sa-{vuln.id}"
    assert body["document"]["tracking"]["status"] == "final"
    assert body["document"]["publisher"]["namespace"] == f"https://{HOST}"
    [v] = body["vulnerabilities"]
    assert v["scores"][0]["cvss_v3"]["baseScore"] == 6.1
    assert v["remediations"][0]["details"].startswith("升级到 5.2.4")
    assert "尚未修复的漏洞" not in json.dumps(body, ensure_ascii=False)

    # The undisclosed report has a well-formed address too, and it is a 404 like any unknown one (VR 9).
    for unknown in (f"{year}/{app.slug}-sa-{hidden.id}.json", f"{year}/{app.slug}-sa-{uuid.uuid4()}.json",
                    f"{year - 1}/{app.slug}-sa-{vuln.id}.json", f"{year}/nothing.json"):  # fmt: skip
        missing = hosted.get(f"/.well-known/csaf/white/{unknown}")
        assert (missing.status_code, missing.json()["code"]) == (404, "vulnerabilities.advisory.not_found"), unknown


def test_another_apps_host_serves_none_of_this_apps_advisories(
    hosted: TestClient, ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    vuln = _disclose(ctx, services, app, clock, "评论区存储型 XSS")
    path = f"{clock.now().year}/{app.slug}-sa-{vuln.id}.json"
    assert hosted.get(f"/.well-known/csaf/white/{path}").status_code == 200
    elsewhere = {"Host": "other.example.cn"}
    assert hosted.get(f"/.well-known/csaf/white/{path}", headers=elsewhere).status_code == 404
    assert hosted.get("/.well-known/csaf/white/index.txt", headers=elsewhere).text == ""


def test_provider_metadata_validates_and_security_txt_points_to_it(hosted: TestClient, app: App) -> None:
    metadata = hosted.get("/.well-known/csaf/provider-metadata.json")
    assert metadata.status_code == 200
    body = metadata.json()
    validate_provider_metadata(body)
    assert body["canonical_url"] == f"https://{HOST}/.well-known/csaf/provider-metadata.json"
    assert body["distributions"] == [{"directory_url": f"https://{HOST}/.well-known/csaf/white/"}]
    assert body["publisher"]["name"] == app.entity_name
    text = hosted.get("/.well-known/security.txt")
    assert f"CSAF: https://{HOST}/.well-known/csaf/provider-metadata.json" in text.text
    parsed = Parser(text.content, urls=f"https://{HOST}/.well-known/security.txt")
    assert parsed.is_valid(), parsed.errors
    bad_host = hosted.get("/.well-known/csaf/provider-metadata.json", headers={"Host": "bad host!"})
    assert (bad_host.status_code, bad_host.json()["code"]) == (422, "vulnerabilities.host.invalid")


def test_the_security_page_links_each_advisory_to_its_document(
    client: TestClient, ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    vuln = _disclose(ctx, services, app, clock, "评论区存储型 XSS")
    page = client.get(f"/p/{app.slug}/security").text
    link = re.search(r'href="(/p/[^"]+/security/advisories/[^"]+\.json)"', page)
    assert link, page
    assert link.group(1) == f"/p/{app.slug}/security/advisories/{clock.now().year}/{app.slug}-sa-{vuln.id}.json"
    document = client.get(link.group(1))
    assert document.status_code == 200
    assert document.json()["document"]["tracking"]["status"] == "final"
    assert "机器可读的公告" in page
    other_app = make_app(ctx)
    wrong = client.get(link.group(1).replace(f"/p/{app.slug}/", f"/p/{other_app.slug}/"))
    assert wrong.status_code == 404


def test_the_security_team_previews_a_draft_before_disclosure(
    client: TestClient, ctx: Ctx, services: Services, app: App
) -> None:
    vuln = _report(ctx, services, app, "越权查看他人订单")
    ctx.session.flush()
    security = {"Authorization": f"Bearer {make_staff_token(ctx, Role.SECURITY)}"}
    preview = client.get(f"/v1/vulnerabilities/{vuln.id}/csaf", headers=security)
    assert preview.status_code == 200, preview.text
    validate_csaf(preview.json())
    assert preview.json()["document"]["tracking"]["status"] == "draft"
    assert preview.json()["document"]["tracking"]["version"] == "0"
    download = client.get(f"/console/vulnerabilities/{vuln.id}/csaf.json", headers=security)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-type"] == "application/octet-stream"
    assert json.loads(download.content)["document"]["title"] == "越权查看他人订单"
    viewer = {"Authorization": f"Bearer {make_staff_token(ctx, Role.REVIEWER)}"}
    assert client.get(f"/v1/vulnerabilities/{vuln.id}/csaf", headers=viewer).status_code == 403
