"""The authority report package over HTTP: package.json and package.pdf as downloads (content type, attachment
disposition, the JSON's hash and the missing fields as headers), the font problem, who may export, and the console's
download links in Chinese and English."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Connection, func, select
from tests.factories.apps import STAFF_PASSWORD, make_app, make_staff, make_staff_token

from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services, create_app
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import Channel
from appcomply.vulnerabilities.schemas import ReportCreate, TriageUpdate

pytestmark = pytest.mark.db


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def vuln_id(ctx: Ctx, services: Services) -> str:
    app = make_app(ctx, name="演示社区")
    report = ReportCreate(app=app.slug, title="私信接口越权读取", description="修改会话 id 可读取他人私信。",
                          component="私信接口")  # fmt: skip
    done = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.API, source_ip=None)
    service.update_triage(ctx, done.vulnerability_id, TriageUpdate(harm="泄露私信内容"))
    ctx.session.flush()
    return str(done.vulnerability_id)


@pytest.fixture
def security(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.SECURITY))


def _exports(connection: Connection) -> int:
    stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "vulnerabilities.package.built")
    return int(connection.scalar(stmt) or 0)


def test_the_pdf_downloads_as_an_attachment_tied_to_the_json_by_its_hash(
    client: TestClient, connection: Connection, vuln_id: str, security: dict[str, str]
) -> None:
    pdf = client.get(f"/v1/vulnerabilities/{vuln_id}/package.pdf", headers=security)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="{vuln_id}.pdf"')
    assert "sandbox" in pdf.headers["content-security-policy"]
    assert pdf.headers["report-missing-fields"] == "version,technical_characteristics,scope,fix"
    document = client.get(f"/v1/vulnerabilities/{vuln_id}/package.json", headers=security)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    assert document.headers["content-disposition"].startswith(f'attachment; filename="{vuln_id}.json"')
    # The clock stands still in tests: both requests build the same JSON, whose hash the PDF prints.
    digest = hashlib.sha256(document.content).hexdigest()
    assert pdf.headers["report-sha256"] == document.headers["report-sha256"] == digest
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"JSON SHA-256 {digest}" in text
    assert "私信接口" in text
    assert "待补充 (missing)：版本、技术特点、影响范围、修复措施" in text
    body = json.loads(document.content)
    assert body["missing"] == ["version", "technical_characteristics", "scope", "fix"]
    assert body["miit_report"]["harm"] == "泄露私信内容"
    assert _exports(connection) == 2


def test_without_a_chinese_font_the_pdf_is_a_503_problem_and_nothing_is_recorded(
    services: Services, connection: Connection, vuln_id: str, security: dict[str, str]
) -> None:
    no_font = dataclasses.replace(
        services,
        vulnerabilities=dataclasses.replace(
            services.vulnerabilities, limits=VulnerabilitiesSettings(report_font="/nonexistent/cjk.ttc")
        ),
    )
    with TestClient(create_app(services=no_font)) as client:
        response = client.get(f"/v1/vulnerabilities/{vuln_id}/package.pdf", headers=security)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "vulnerabilities.report.font_unavailable"
        assert "fonts-wqy-zenhei" in response.json()["detail"]
        assert _exports(connection) == 0
        # The JSON needs no font.
        assert client.get(f"/v1/vulnerabilities/{vuln_id}/package.json", headers=security).status_code == 200


def test_only_the_security_role_exports_and_an_unknown_id_is_404(
    client: TestClient, ctx: Ctx, connection: Connection, vuln_id: str, security: dict[str, str]
) -> None:
    reviewer = _auth(make_staff_token(ctx, Role.REVIEWER))
    for suffix in ("json", "pdf"):
        path = f"/v1/vulnerabilities/{vuln_id}/package.{suffix}"
        assert client.get(path).status_code == 401
        refused = client.get(path, headers=reviewer)
        assert (refused.status_code, refused.json()["code"]) == (403, "auth.role_required")
        missing = client.get(f"/v1/vulnerabilities/{uuid.uuid4()}/package.{suffix}", headers=security)
        assert (missing.status_code, missing.json()["code"]) == (404, "vulnerabilities.vulnerability.not_found")
    assert _exports(connection) == 0


# --- console ------------------------------------------------------------------------------------------------------


@pytest.fixture
def console(client: TestClient, ctx: Ctx) -> Iterator[TestClient]:
    staff = make_staff(ctx, Role.SECURITY)
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert csrf
    data = {"username": staff.username, "password": STAFF_PASSWORD, "csrf_token": csrf.group(1)}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303
    return client


def test_the_detail_page_links_the_package_and_names_what_is_missing_in_chinese_and_english(
    console: TestClient, connection: Connection, vuln_id: str
) -> None:
    page = console.get(f"/console/vulnerabilities/{vuln_id}")
    assert page.status_code == 200
    assert f'href="/console/vulnerabilities/{vuln_id}/package.pdf"' in page.text
    assert f'href="/console/vulnerabilities/{vuln_id}/package.json"' in page.text
    assert "主管部门报送材料" in page.text
    assert "待补充: 版本, 技术特点, 影响范围, 修复措施" in page.text
    assert _exports(connection) == 0  # showing the page exports nothing
    console.get("/console/lang/en")
    english = console.get(f"/console/vulnerabilities/{vuln_id}").text
    assert "Authority report package (VR 7)" in english
    assert "Still missing: Version, Technical characteristics, Scope of impact, Fix or mitigation" in english


def test_the_console_downloads_the_pdf_and_the_json(console: TestClient, connection: Connection, vuln_id: str) -> None:
    pdf = console.get(f"/console/vulnerabilities/{vuln_id}/package.pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF-")
    document = console.get(f"/console/vulnerabilities/{vuln_id}/package.json")
    assert (document.status_code, document.headers["content-type"]) == (200, "application/json")
    assert json.loads(document.content)["vulnerability_id"] == vuln_id
    assert _exports(connection) == 2


def test_the_triage_form_records_the_model_and_the_technical_characteristics(
    console: TestClient, ctx: Ctx, vuln_id: str
) -> None:
    token = re.search(r'name="csrf_token" value="([^"]*)"', console.get(f"/console/vulnerabilities/{vuln_id}").text)
    assert token
    form = {"csrf_token": token.group(1), "component": "私信服务", "technical_characteristics": "会话 id 未校验归属"}
    done = console.post(f"/console/vulnerabilities/{vuln_id}/triage", data=form, follow_redirects=False)
    assert done.status_code == 303
    vuln = service.get_vulnerability(ctx, uuid.UUID(vuln_id))
    ctx.session.refresh(vuln)
    assert (vuln.component, vuln.technical_characteristics) == ("私信服务", "会话 id 未校验归属")
