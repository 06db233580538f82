"""The vulnerability use cases on a real database: intake (receipt log, sealed contact, token, idempotency, rate
limit, attachments), triage (CVSS, the 24-hour clock), transitions, clock evidence and alerts, sharing, retention."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import vault
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import (
    AttachmentRejected,
    AttachmentTooLarge,
    ClockClosed,
    CvssVectorInvalid,
    DisclosureBlocked,
    DuplicateTargetInvalid,
    ForeignSharingRefused,
    IdempotencyKeyReused,
    IntakeAppNotFound,
    IntakeRateLimited,
    ReportTokenNotFound,
    RetentionTooShort,
    service,
)
from appcomply.vulnerabilities.models import Attachment, Clock, Receipt, Vulnerability
from appcomply.vulnerabilities.rules import Channel, ClockKind, ClockStatus, State
from appcomply.vulnerabilities.schemas import (
    AttachmentUpload,
    ReportCreate,
    ShareCreate,
    SubmissionCreate,
    TransitionCreate,
    TriageUpdate,
)
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from tests.factories.apps import make_app

pytestmark = pytest.mark.db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def env(services: Services) -> VulnerabilitiesEnv:
    return services.vulnerabilities


def _report(app: App, **overrides: object) -> ReportCreate:
    fields: dict[str, object] = {
        "app": app.slug,
        "title": "评论接口存储型 XSS",
        "description": "评论内容未转义，<script> 在其他用户的页面执行，可窃取会话。",
        "component": "comments API",
        "component_version": "5.2.1",
        "steps": "1. 发表评论 <script>alert(1)</script> 2. 打开帖子",
        "contact": "alice@example.com",
    }
    fields.update(overrides)
    return ReportCreate.model_validate(fields)


def _submit(ctx: Ctx, env: VulnerabilitiesEnv, app: App, *, ip: str = "203.0.113.7", key: str | None = None,
            **overrides: object) -> service.Submitted:  # fmt: skip
    return service.submit_report(
        ctx, env, report=_report(app, **overrides), channel=Channel.API, source_ip=ip, idempotency_key=key
    )


def _filed(ctx: Ctx, env: VulnerabilitiesEnv, app: App, **overrides: object) -> Vulnerability:
    done = service.submit_report(ctx, env, report=_report(app, **overrides), channel=Channel.API,
                                 source_ip="203.0.113.7")  # fmt: skip
    return service.get_vulnerability(ctx, done.vulnerability_id)


def _events(session: Session, event: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.event == event)))


def test_intake_logs_the_receipt_opens_the_48_hour_clock_and_seals_the_contact(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    done = _submit(ctx, env, app)
    vuln = service.get_vulnerability(ctx, done.vulnerability_id)
    assert (vuln.state, vuln.received_at) == (State.RECEIVED, clock.now())
    assert done.tracking_token.startswith("vrt_")
    assert vuln.token_hash != done.tracking_token
    assert vuln.contact_masked == "a***@example.com"
    assert vuln.contact_sealed
    assert "alice" not in vuln.contact_sealed
    opened = vault.open_sealed(env.keyring, vuln.contact_sealed, kind=vault.PiKind.CONTACT, context=str(app.id))
    assert opened == "alice@example.com"
    [receipt] = session.scalars(select(Receipt).where(Receipt.vulnerability_id == vuln.id))
    assert (receipt.channel, receipt.source_masked, receipt.summary_hash) == (
        "api",
        "203.0.113.0/24",
        vuln.summary_hash,
    )
    assert receipt.source_index
    assert "203.0.113" not in receipt.source_index
    [clock_row] = session.scalars(select(Clock).where(Clock.vulnerability_id == vuln.id))
    assert (clock_row.kind, clock_row.due_at) == (ClockKind.MIIT_REPORT, clock.now() + dt.timedelta(hours=48))
    [entry] = _events(session, "vulnerabilities.report.received")
    assert entry.subject_id == str(vuln.id)
    assert entry.app_id == app.id
    assert "alice" not in json.dumps(entry.data)
    assert "203.0.113.7" not in json.dumps(entry.data)


def test_the_reporter_sees_status_and_public_messages_only(ctx: Ctx, env: VulnerabilitiesEnv, app: App) -> None:
    done = _submit(ctx, env, app)
    service.add_message(ctx, done.vulnerability_id, message="内部：疑似与 #12 相同", public=False)
    service.add_message(ctx, done.vulnerability_id, message="已复现，正在修复", public=True)
    tracked = service.track_report(ctx, done.tracking_token)
    assert [m.note for m in tracked.messages][1:] == ["已复现，正在修复"]
    with pytest.raises(ReportTokenNotFound):
        service.track_report(ctx, "vrt_" + "x" * 43)


def test_a_retry_with_the_same_key_returns_the_first_report_and_token_and_writes_nothing(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App
) -> None:
    first = _submit(ctx, env, app, key="retry-key-0001")
    again = _submit(ctx, env, app, key="retry-key-0001")
    assert again.replayed
    assert again.vulnerability_id == first.vulnerability_id
    assert again.tracking_token == first.tracking_token
    assert session.scalar(select(func.count()).select_from(Vulnerability)) == 1
    assert session.scalar(select(func.count()).select_from(Receipt)) == 1
    with pytest.raises(IdempotencyKeyReused):
        _submit(ctx, env, app, key="retry-key-0001", title="另一个完全不同的问题")
    assert service.track_report(ctx, again.tracking_token).vulnerability.id == first.vulnerability_id


def test_a_flood_from_one_address_is_limited_and_other_addresses_still_get_through(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    env = VulnerabilitiesEnv(
        keyring=services.vulnerabilities.keyring, index_key=services.vulnerabilities.index_key,
        limits=VulnerabilitiesSettings(reports_per_source_per_hour=2), public_url="http://testserver",
    )  # fmt: skip
    _submit(ctx, env, app)
    clock.advance(dt.timedelta(minutes=10))
    _submit(ctx, env, app)
    with pytest.raises(IntakeRateLimited) as raised:
        _submit(ctx, env, app)
    assert raised.value.retry_after == 50 * 60  # until the first of the two leaves the hour
    _submit(ctx, env, app, ip="198.51.100.1")
    clock.advance(dt.timedelta(minutes=51))
    _submit(ctx, env, app)
    assert session.scalar(select(func.count()).select_from(Vulnerability)) == 4


def test_after_the_limit_is_lowered_the_wait_counts_from_the_newest_reports_not_the_oldest(
    ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    def env(limit: int) -> VulnerabilitiesEnv:
        return VulnerabilitiesEnv(
            keyring=services.vulnerabilities.keyring, index_key=services.vulnerabilities.index_key,
            limits=VulnerabilitiesSettings(reports_per_source_per_hour=limit), public_url="http://testserver",
        )  # fmt: skip

    for _ in range(3):  # at :00, :10 and :20
        _submit(ctx, env(5), app)
        clock.advance(dt.timedelta(minutes=10))
    with pytest.raises(IntakeRateLimited) as raised:  # at :30, with room for 2 an hour
        _submit(ctx, env(2), app)
    # A place frees when the older of the newest two (:10) leaves the hour, at 1:10; the oldest (:00) left at 1:00,
    # which would still leave two in the hour.
    assert raised.value.retry_after == 40 * 60
    clock.advance(dt.timedelta(minutes=39))
    with pytest.raises(IntakeRateLimited):
        _submit(ctx, env(2), app)
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    _submit(ctx, env(2), app)


def test_an_unknown_app_is_refused(ctx: Ctx, env: VulnerabilitiesEnv, app: App) -> None:
    report = _report(app).model_copy(update={"app": "no-such-app"})
    with pytest.raises(IntakeAppNotFound):
        service.submit_report(ctx, env, report=report, channel=Channel.WEB_FORM, source_ip=None)


def test_attachments_are_sniffed_by_content_and_limited(
    ctx: Ctx, session: Session, services: Services, env: VulnerabilitiesEnv, app: App
) -> None:
    png = AttachmentUpload(filename="../../etc/截图.png", content_base64=base64.b64encode(PNG).decode())
    text = AttachmentUpload(filename="poc.txt", content_base64=base64.b64encode("步骤".encode()).decode())
    done = _submit(ctx, env, app, attachments=[png, text])
    rows = session.scalars(select(Attachment).where(Attachment.vulnerability_id == done.vulnerability_id)).all()
    assert sorted((r.filename, r.media_type) for r in rows) == [("poc.txt", "text/plain"), ("截图.png", "image/png")]
    elf = AttachmentUpload(
        filename="shot.png", content_base64=base64.b64encode(b"\x7fELF\x02\x01\x01" + b"\0" * 64).decode()
    )
    with pytest.raises(AttachmentRejected):
        _submit(ctx, env, app, attachments=[elf])
    not_b64 = AttachmentUpload(filename="a.txt", content_base64="***")
    with pytest.raises(AttachmentRejected):
        _submit(ctx, env, app, attachments=[not_b64])
    small = VulnerabilitiesEnv(keyring=env.keyring, index_key=env.index_key, public_url="http://testserver",
                               limits=VulnerabilitiesSettings(max_attachment_bytes=1024))  # fmt: skip
    big = AttachmentUpload(filename="a.txt", content_base64=base64.b64encode(b"a" * 2000).decode())
    with pytest.raises(AttachmentTooLarge):
        _submit(ctx, small, app, attachments=[big])
    assert session.scalar(select(func.count()).select_from(Vulnerability)) == 1  # the refusals wrote nothing


def test_triage_scores_cvss_and_national_security_moves_the_clock_to_24_hours(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    vuln = _filed(ctx, env, app)
    received = vuln.received_at
    clock.advance(dt.timedelta(hours=5))
    update = TriageUpdate(cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", national_security=True)
    service.update_triage(ctx, vuln.id, update)
    assert (vuln.cvss_version, vuln.cvss_score, vuln.severity) == ("3.1", 6.1, "medium")
    [view] = service.list_clocks(ctx, vuln.id)
    assert view.clock.due_at == received + dt.timedelta(hours=24)  # from intake, not from triage
    assert view.seconds_left == 19 * 3600
    with pytest.raises(CvssVectorInvalid):
        service.update_triage(ctx, vuln.id, TriageUpdate(cvss_vector="CVSS:2.0/AV:N"))
    [entry] = _events(session, "vulnerabilities.triage.updated")
    assert sorted(entry.data["fields"]) == ["cvss_vector", "national_security"]


def test_rejecting_waives_the_clock_and_reopening_restores_it(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    vuln = _filed(ctx, env, app)
    service.transition(ctx, vuln.id, to=State.REJECTED, note="不可复现")
    assert service.list_clocks(ctx, vuln.id)[0].status is ClockStatus.NOT_REQUIRED
    clock.advance(dt.timedelta(hours=49))
    service.transition(ctx, vuln.id, to=State.TRIAGED, note="补充了复现视频")
    assert service.list_clocks(ctx, vuln.id)[0].status is ClockStatus.MISSED


def test_a_duplicate_names_another_report_of_the_same_app(ctx: Ctx, env: VulnerabilitiesEnv, app: App) -> None:
    first = _filed(ctx, env, app)
    second = _filed(ctx, env, app, title="同一个 XSS 再次报告")
    other_app = make_app(ctx)
    elsewhere = _filed(ctx, env, other_app)
    with pytest.raises(DuplicateTargetInvalid):
        service.transition(ctx, second.id, to=State.DUPLICATE)
    with pytest.raises(DuplicateTargetInvalid):
        service.transition(ctx, second.id, to=State.DUPLICATE, duplicate_of=elsewhere.id)
    service.transition(ctx, second.id, to=State.DUPLICATE, duplicate_of=first.id)
    assert second.duplicate_of == first.id


def test_disclosure_waits_for_the_released_fix(ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock) -> None:
    vuln = _filed(ctx, env, app)
    for state in (State.TRIAGED, State.CONFIRMED, State.FIXING, State.FIXED):
        service.transition(ctx, vuln.id, to=state)
    with pytest.raises(DisclosureBlocked):
        service.transition(ctx, vuln.id, to=State.DISCLOSED)
    service.update_triage(ctx, vuln.id, TriageUpdate(fixed_version="5.2.3", fix_released_at=clock.now()))
    service.transition(ctx, vuln.id, to=State.DISCLOSED)
    assert (vuln.state, vuln.disclosed_at) == (State.DISCLOSED, clock.now())


def test_the_submission_closes_the_clock_with_its_evidence(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    on_time, late = _filed(ctx, env, app), _filed(ctx, env, app, title="另一个问题报告")
    clock.advance(dt.timedelta(hours=30))
    sub = SubmissionCreate(channel="工信部网络安全威胁和漏洞信息共享平台", reference="CSTIS-2026-0001")
    met = service.record_submission(ctx, on_time.id, ClockKind.MIIT_REPORT, sub)
    assert (met.status, met.clock.reference, met.clock.submitted_by) == (ClockStatus.MET, "CSTIS-2026-0001", "cli")
    with pytest.raises(ClockClosed):
        service.record_submission(ctx, on_time.id, ClockKind.MIIT_REPORT, sub)
    clock.advance(dt.timedelta(hours=20))
    assert service.record_submission(ctx, late.id, ClockKind.MIIT_REPORT, sub).status is ClockStatus.MISSED


def test_alerts_go_to_the_security_team_at_half_time_and_at_ninety_percent(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    env = VulnerabilitiesEnv(
        keyring=services.vulnerabilities.keyring, index_key=services.vulnerabilities.index_key,
        limits=VulnerabilitiesSettings(alert_emails=["sec@example.com", "cso@example.com"]),
        public_url="http://testserver",
    )  # fmt: skip
    vuln = _filed(ctx, env, app)
    assert service.send_clock_alerts(ctx, env).alerts == 0
    clock.advance(dt.timedelta(hours=24))
    assert service.send_clock_alerts(ctx, env) == service.AlertRun(alerts=1, notices=2)
    assert service.send_clock_alerts(ctx, env).alerts == 0  # once per threshold
    clock.advance(dt.timedelta(hours=20))
    assert service.send_clock_alerts(ctx, env).alerts == 1
    mails = session.scalars(select(Notice).where(Notice.reason_id == str(vuln.id))).all()
    assert len(mails) == 4
    assert {m.channel for m in mails} == {"email"}
    assert all("sec@" not in (m.recipient_sealed or "") for m in mails)
    assert [e.data["percent"] for e in _events(session, "vulnerabilities.clock.alerted")] == [50, 90]


def test_sharing_abroad_before_disclosure_is_refused_and_writes_nothing(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App
) -> None:
    vuln = _filed(ctx, env, app)
    with pytest.raises(ForeignSharingRefused):
        service.share_vulnerability(ctx, vuln.id, ShareCreate(recipient="Acme Research", country="US", purpose="交流"))
    assert _events(session, "vulnerabilities.vulnerability.shared") == []
    service.share_vulnerability(ctx, vuln.id, ShareCreate(recipient="CNCERT", country="CN", purpose="协同处置"))
    assert len(_events(session, "vulnerabilities.vulnerability.shared")) == 1


def test_receipts_are_purged_only_after_the_retention_and_never_under_six_months(
    ctx: Ctx, session: Session, env: VulnerabilitiesEnv, app: App, clock: FixedClock
) -> None:
    _submit(ctx, env, app)
    clock.advance(dt.timedelta(days=100))
    _submit(ctx, env, app, title="一百天后的报告")
    with pytest.raises(RetentionTooShort):
        service.purge_receipts(ctx, retention_days=30)
    clock.advance(dt.timedelta(days=91))
    assert service.purge_receipts(ctx, retention_days=190) == 1
    assert session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert session.scalar(select(func.count()).select_from(Vulnerability)) == 2  # the reports stay


def test_the_list_filters_by_state_and_clock(ctx: Ctx, env: VulnerabilitiesEnv, app: App, clock: FixedClock) -> None:
    old = _filed(ctx, env, app)
    clock.advance(dt.timedelta(hours=50))
    new = _filed(ctx, env, app, title="新的漏洞报告")
    service.transition(ctx, new.id, to=State.TRIAGED)
    assert [r.vulnerability.id for r in service.list_vulnerabilities(ctx)] == [new.id, old.id]
    assert [r.vulnerability.id for r in service.list_vulnerabilities(ctx, clock=ClockStatus.MISSED)] == [old.id]
    assert [r.vulnerability.id for r in service.list_vulnerabilities(ctx, state=State.TRIAGED)] == [new.id]
    assert [r.vulnerability.id for r in service.list_vulnerabilities(ctx, after=new.id)] == [old.id]
    assert [v.id for v, _ in service.list_pending_clocks(ctx)] == [old.id, new.id]
    assert TransitionCreate(to=State.TRIAGED).to is State.TRIAGED


def test_the_servers_watcher_sends_due_alerts_in_its_own_transaction(
    ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    env = VulnerabilitiesEnv(
        keyring=services.vulnerabilities.keyring, index_key=services.vulnerabilities.index_key,
        limits=VulnerabilitiesSettings(alert_emails=["sec@example.com"]), public_url="http://testserver",
    )  # fmt: skip
    vuln = _filed(ctx, env, app)
    ctx.session.flush()
    clock.advance(dt.timedelta(hours=25))
    jobs = service.VulnerabilityJobs(services.session_factory, clock=clock, env=env, interval=60)
    assert jobs.step() == service.JobsRun(alerts=service.AlertRun(alerts=1, notices=1), chunks=0, users=0)
    assert jobs.step().alerts == service.AlertRun(alerts=0, notices=0)
    [view] = service.list_clocks(ctx, vuln.id)
    ctx.session.refresh(view.clock)
    assert view.clock.alerts_sent == 1
