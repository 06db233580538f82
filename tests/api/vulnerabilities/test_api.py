"""The vulnerabilities API over HTTP: public intake and tracking (problems, 429, idempotency), the security team's
workflow, attachment downloads that never render, and who may call what."""

from __future__ import annotations

import base64
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities.models import Receipt, Vulnerability

pytestmark = pytest.mark.db

REPORT = {
    "title": "越权查看他人订单",
    "description": "修改 /api/orders/{id} 的 id 即可读取其他用户的订单与收货地址。",
    "component": "orders API",
    "component_version": "5.2.1",
    "contact": "researcher@example.org",
}


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def security(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.SECURITY))


def _post(client: TestClient, app: App, **extra: object) -> dict[str, object]:
    response = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_anyone_can_report_and_follow_the_report_by_its_token(client: TestClient, app: App) -> None:
    receipt = _post(client, app)
    assert receipt["status"] == "received"
    status = client.get(str(receipt["status_url"]))
    assert status.status_code == 200
    body = status.json()
    assert set(body) == {"title", "status", "received_at", "updated_at", "messages"}
    assert body["status"] == "received"
    assert len(body["messages"]) == 1
    assert "researcher" not in status.text
    assert "orders API" not in status.text


def test_a_retry_with_the_same_idempotency_key_answers_200_with_the_same_token(
    client: TestClient, connection: Connection, app: App
) -> None:
    headers = {"Idempotency-Key": "5f0c1d2e-retry"}
    first = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT}, headers=headers)
    again = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_token"] == again.json()["tracking_token"]
    changed = client.post(
        "/v1/vulnerability-reports", json={"app": app.slug, **REPORT, "title": "别的问题"}, headers=headers
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "vulnerabilities.report.idempotency_key_reused")
    assert connection.scalar(select(func.count()).select_from(Vulnerability)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "x"}, "title"),
        ({"description": "short"}, "description"),
        ({"title": "a\x00b" * 3}, "title"),
        ({"app": "Not A Slug"}, "app"),
        ({"unexpected": 1}, "unexpected"),
        ({"component_version": "v" * 65}, "component_version"),
    ],
)
def test_every_bad_field_is_a_422_problem_naming_it(
    client: TestClient, connection: Connection, app: App, change: dict[str, object], field: str
) -> None:
    response = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT, **change})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in str(e["loc"]) for e in response.json()["errors"])
    assert connection.scalar(select(func.count()).select_from(Receipt)) == 0


def test_an_unknown_app_and_an_unknown_token_are_404(client: TestClient, app: App) -> None:
    response = client.post("/v1/vulnerability-reports", json={**REPORT, "app": "nobody-here"})
    assert (response.status_code, response.json()["code"]) == (404, "vulnerabilities.app.not_found")
    response = client.get("/v1/vulnerability-reports/vrt_" + "A" * 43)
    assert (response.status_code, response.json()["code"]) == (404, "vulnerabilities.report.not_found")


def test_a_flood_from_one_address_gets_429_with_retry_after_and_keeps_what_it_stored(
    client: TestClient, connection: Connection, app: App
) -> None:
    for n in range(10):
        _post(client, app, title=f"第 {n} 个报告")
    response = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT})
    assert response.status_code == 429
    assert response.json()["code"] == "vulnerabilities.report.rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert connection.scalar(select(func.count()).select_from(Vulnerability)) == 10


def test_an_executable_attachment_is_refused(client: TestClient, app: App) -> None:
    exe = {"filename": "poc.png", "content_base64": base64.b64encode(b"MZ\x90\x00" + b"\0" * 200).decode()}
    response = client.post("/v1/vulnerability-reports", json={"app": app.slug, **REPORT, "attachments": [exe]})
    assert (response.status_code, response.json()["code"]) == (422, "vulnerabilities.attachment.rejected")


def test_the_security_team_triages_confirms_and_records_the_miit_submission(
    client: TestClient, connection: Connection, app: App, security: dict[str, str]
) -> None:
    _post(client, app)
    [item] = client.get("/v1/vulnerabilities", params={"app_id": str(app.id)}, headers=security).json()["items"]
    vid = item["id"]
    assert item["report_clock"] == "open"
    triage = {"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "harm": "泄露收货地址"}
    body = client.patch(f"/v1/vulnerabilities/{vid}", json=triage, headers=security).json()
    assert (body["severity"], body["cvss_score"], body["contact_masked"]) == ("medium", 6.5, "r***@example.org")
    for state in ("triaged", "confirmed"):
        response = client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": state}, headers=security)
        assert response.status_code == 200, response.text
    wrong = client.post(f"/v1/vulnerabilities/{vid}/transitions", json={"to": "disclosed"}, headers=security)
    assert (wrong.status_code, wrong.json()["code"]) == (409, "vulnerabilities.disclosure.blocked")
    # The evidence fits its columns (channel 80, reference 120): longer is a 422 before the database sees it.
    too_long = {"channel": "平" * 81, "reference": "CSTIS-0001"}
    refused = client.post(f"/v1/vulnerabilities/{vid}/clocks/miit_report/submission", json=too_long, headers=security)
    assert (refused.status_code, refused.json()["code"]) == (422, "request.validation")
    sub = {"channel": "工信部网络安全威胁和漏洞信息共享平台" + "平" * 62, "reference": "C" * 120}
    clock = client.post(f"/v1/vulnerabilities/{vid}/clocks/miit_report/submission", json=sub, headers=security)
    assert (clock.status_code, clock.json()["status"]) == (200, "met"), clock.text
    detail = client.get(f"/v1/vulnerabilities/{vid}", headers=security).json()
    assert [t["kind"] for t in detail["timeline"]] == ["received", "triage", "transition", "transition", "submission"]
    events = connection.scalars(select(AuditEntry.event).where(AuditEntry.subject_id == vid)).all()
    assert events.count("vulnerabilities.vulnerability.transitioned") == 2


def test_sharing_abroad_before_disclosure_is_403_citing_vr_9(
    client: TestClient, app: App, security: dict[str, str]
) -> None:
    _post(client, app)
    [item] = client.get("/v1/vulnerabilities", headers=security).json()["items"]
    share = {"recipient": "Example Labs", "country": "US", "purpose": "joint analysis"}
    response = client.post(f"/v1/vulnerabilities/{item['id']}/shares", json=share, headers=security)
    assert (response.status_code, response.json()["code"]) == (403, "vulnerabilities.sharing.foreign_refused")
    assert "VR 9(7)" in response.json()["detail"]


def test_attachments_download_as_octet_stream_never_inline(
    client: TestClient, app: App, security: dict[str, str]
) -> None:
    html = {"filename": 'x"; inline.html', "content_base64": base64.b64encode(b"<script>alert(1)</script>").decode()}
    _post(client, app, attachments=[html])
    [item] = client.get("/v1/vulnerabilities", headers=security).json()["items"]
    [att] = client.get(f"/v1/vulnerabilities/{item['id']}", headers=security).json()["attachments"]
    assert att["media_type"] == "text/plain"
    response = client.get(f"/v1/vulnerabilities/{item['id']}/attachments/{att['id']}", headers=security)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith('attachment; filename="x_; inline.html"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.content == b"<script>alert(1)</script>"
    missing = client.get(f"/v1/vulnerabilities/{item['id']}/attachments/{uuid.uuid4()}", headers=security)
    assert missing.status_code == 404


def test_only_the_security_role_reaches_the_workflow(client: TestClient, ctx: Ctx, app: App) -> None:
    _post(client, app)
    reviewer = _auth(make_staff_token(ctx, Role.REVIEWER))
    key = _auth(make_api_key(ctx, app))
    assert client.get("/v1/vulnerabilities").status_code == 401
    assert client.get("/v1/vulnerabilities", headers=reviewer).json()["code"] == "auth.role_required"
    assert client.get("/v1/vulnerabilities", headers=key).json()["code"] == "auth.app_key_not_allowed"
    admin = _auth(make_staff_token(ctx, Role.ADMIN))
    assert client.get("/v1/vulnerabilities", headers=admin).status_code == 200
