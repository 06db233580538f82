"""The authority report package (VR 7(2)) on a real database: a triaged vulnerability's record in the JSON and the
PDF, the export audited with the JSON's hash, the missing fields, the font error (nothing written), app scoping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import ReportFontUnavailable, VulnerabilityNotFound, service
from appcomply.vulnerabilities.models import Receipt, Vulnerability
from appcomply.vulnerabilities.rules import Channel, ClockKind, State
from appcomply.vulnerabilities.schemas import AffectedVersion, ReportCreate, SubmissionCreate, TriageUpdate
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from tests.factories.apps import make_app

pytestmark = pytest.mark.db

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, name="演示商城", entity_name="演示商城科技有限公司")


@pytest.fixture
def env(services: Services) -> VulnerabilitiesEnv:
    return services.vulnerabilities


def _report(ctx: Ctx, env: VulnerabilitiesEnv, app: App, title: str = "越权查看他人订单") -> Vulnerability:
    report = ReportCreate(
        app=app.slug, title=title, description="修改订单 id 即可读取他人的订单与收货地址。", component="订单接口",
        component_version="5.2.1", contact="researcher@example.org",
    )  # fmt: skip
    done = service.submit_report(ctx, env, report=report, channel=Channel.API, source_ip="198.51.100.23")
    return service.get_vulnerability(ctx, done.vulnerability_id)


def _triaged(ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock) -> Vulnerability:
    vuln = _report(ctx, env, app)
    clock.advance(dt.timedelta(hours=2))
    service.transition(ctx, vuln.id, to=State.TRIAGED, note="已复现")
    service.add_message(ctx, vuln.id, message="内部：先别告诉客服", public=False)
    facts = TriageUpdate(
        cvss_vector=VECTOR, technical_characteristics="订单接口未校验订单归属", harm="泄露收货地址与电话",
        scope="Android 5.0.0 至 5.2.3 的全部用户", fix_plan="服务端校验订单归属", fixed_version="5.2.4",
        affected_versions=[AffectedVersion(platform="android", range=">=5.0.0 <5.2.4")],
    )  # fmt: skip
    service.update_triage(ctx, vuln.id, facts)
    service.transition(ctx, vuln.id, to=State.CONFIRMED)
    service.record_submission(
        ctx, vuln.id, ClockKind.MIIT_REPORT, SubmissionCreate(channel="MIIT 平台", reference="CSTIS-0042")
    )
    clock.advance(dt.timedelta(hours=1))
    return vuln


def _built_events(session: Session) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.event == "vulnerabilities.package.built").order_by(AuditEntry.id)
    return list(session.scalars(stmt))


def test_a_triaged_vulnerability_builds_its_package_and_the_export_is_audited_with_the_json_hash(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    vuln = _triaged(ctx, env, app, clock)
    built = service.build_package(ctx, env, vuln.id)
    assert built.missing == ()
    doc = json.loads(built.json)
    assert doc["generated_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert doc["miit_report"]["product_name"] == "演示商城"
    assert doc["miit_report"]["model"] == "订单接口"
    assert doc["miit_report"]["version"] == "android >=5.0.0 <5.2.4"
    assert doc["provider"] == {"name": "演示商城科技有限公司", "uscc": app.entity_uscc}
    [receipt] = session.scalars(select(Receipt).where(Receipt.vulnerability_id == vuln.id))
    assert doc["intake"] == {
        "received_at": vuln.received_at.isoformat().replace("+00:00", "Z"), "channel": "api",
        "source_masked": "198.51.100.0/24", "summary_hash": receipt.summary_hash,
    }  # fmt: skip
    assert doc["cvss"] == {"vector": VECTOR, "version": "3.1", "score": 6.5, "severity": "medium"}
    assert doc["triage"]["state"] == "confirmed"
    [clock_doc] = doc["clocks"]
    assert (clock_doc["status"], clock_doc["reference"]) == ("met", "CSTIS-0042")
    # The authority sees intake and the workflow; the team's notes and the triage edits stay inside.
    assert [(t["kind"], t["to"], t["note"]) for t in doc["timeline"]] == [
        ("received", "received", None),
        ("transition", "triaged", "已复现"),
        ("transition", "confirmed", None),
    ]
    assert "先别告诉客服" not in built.json.decode()
    assert "researcher" not in built.json.decode()

    assert built.pdf is not None
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(built.pdf)).pages)
    assert f"JSON SHA-256 {hashlib.sha256(built.json).hexdigest()}" in text
    assert "订单接口未校验订单归属" in text
    [entry] = _built_events(session)
    assert (entry.subject_kind, entry.subject_id, entry.app_id) == ("vulnerability", str(vuln.id), app.id)
    assert entry.data == {"sha256": built.sha256, "schema_version": "appcomply.vulnerability-report/1",
                          "formats": ["json", "pdf"], "missing": []}  # fmt: skip


def test_a_fresh_report_still_builds_and_names_what_is_missing(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App
) -> None:
    vuln = _report(ctx, env, app)
    assert service.package_gaps(ctx, vuln.id) == ("technical_characteristics", "harm", "scope", "fix")
    assert _built_events(session) == []  # looking at the gaps exports nothing
    built = service.build_package(ctx, env, vuln.id)
    assert built.missing == ("technical_characteristics", "harm", "scope", "fix")
    # The reported component version stands in for the affected versions until triage records them.
    assert json.loads(built.json)["miit_report"]["version"] == "5.2.1"
    [entry] = _built_events(session)
    assert entry.data["missing"] == ["technical_characteristics", "harm", "scope", "fix"]


def test_without_a_chinese_font_nothing_is_built_nor_audited_but_the_json_alone_still_is(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App
) -> None:
    vuln = _report(ctx, env, app)
    no_font = dataclasses.replace(env, limits=VulnerabilitiesSettings(report_font="/nonexistent/font.ttc"))
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ReportFontUnavailable) as caught:
        service.build_package(ctx, no_font, vuln.id)
    assert "fonts-wqy-zenhei" in caught.value.detail
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    built = service.build_package(ctx, no_font, vuln.id, pdf=False)
    assert built.pdf is None
    assert json.loads(built.json)["vulnerability_id"] == str(vuln.id)
    [entry] = _built_events(session)
    assert entry.data["formats"] == ["json"]


def test_an_apps_key_builds_only_its_own_apps_package(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    other = make_app(ctx, name="别家应用")
    theirs = _report(ctx, env, other, title="别家的漏洞")
    mine = _report(ctx, env, app)
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key", app_id=app.id))
    with pytest.raises(VulnerabilityNotFound):
        service.build_package(as_app, env, theirs.id, pdf=False)
    text = service.build_package(as_app, env, mine.id, pdf=False).json.decode()
    assert "别家" not in text


def test_after_the_receipt_log_is_purged_the_intake_comes_from_the_vulnerability_itself(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App
) -> None:
    vuln = _report(ctx, env, app)
    session.execute(delete(Receipt).where(Receipt.vulnerability_id == vuln.id))
    intake = json.loads(service.build_package(ctx, env, vuln.id, pdf=False).json)["intake"]
    assert intake == {
        "received_at": vuln.received_at.isoformat().replace("+00:00", "Z"), "channel": "api", "source_masked": None,
        "summary_hash": vuln.summary_hash,
    }  # fmt: skip
