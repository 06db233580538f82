"""The security-incident use cases on a real database (VUL-07): the report clock counted from detection for
relatively major or worse, the operator's 1/2/4 hours, regrading, the summary after handling, closing, alerts, the
audit entries written in the same transaction, app scoping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice
from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.errors import (
    ClockNotFound,
    IncidentNotFound,
    IncidentReportsPending,
    IncidentTimeInvalid,
    IncidentVulnerabilityInvalid,
    InvalidIncidentTransition,
)
from appcomply.vulnerabilities.models import Clock, Incident
from appcomply.vulnerabilities.rules import Channel, ClockKind, ClockOwner, ClockStatus, IncidentGrade, IncidentState
from appcomply.vulnerabilities.schemas import (
    FollowUpCreate,
    IncidentClose,
    IncidentCreate,
    IncidentHandled,
    IncidentUpdate,
    ReportCreate,
    SubmissionCreate,
)
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from tests.factories.apps import make_app

pytestmark = pytest.mark.db

SUBMITTED = SubmissionCreate(channel="省网信办", reference="GD-2026-001")


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


def _env(services: Services, operator_class: str = "other", emails: tuple[str, ...] = ()) -> VulnerabilitiesEnv:
    limits = VulnerabilitiesSettings(operator_class=operator_class, alert_emails=list(emails))  # type: ignore[arg-type]
    return dataclasses.replace(services.vulnerabilities, limits=limits)


def _create(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, *, grade: IncidentGrade, detected_at: dt.datetime | None = None,
    **extra: object,
) -> Incident:  # fmt: skip
    body = IncidentCreate.model_validate({
        "app_id": app.id, "title": "用户数据库被拖库", "description": "攻击者利用弱口令登录数据库并导出用户表。",
        "category": "data_security", "grade": grade, "detected_at": detected_at, **extra,
    })  # fmt: skip
    return service.create_incident(ctx, env, body)


def _clocks(ctx: Ctx, incident: Incident) -> dict[ClockKind, service.ClockView]:
    return {v.kind: v for v in service.list_clocks(ctx, incident.id, owner=ClockOwner.INCIDENT)}


def _events(session: Session, event: str, subject_id: uuid.UUID) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.event == event, AuditEntry.subject_id == str(subject_id))
    return list(session.scalars(stmt))


def test_a_relatively_major_incident_must_be_reported_4_hours_after_detection_not_after_recording(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    detected = clock.now() - dt.timedelta(hours=1)
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.RELATIVELY_MAJOR, detected_at=detected)
    report = _clocks(ctx, incident)[ClockKind.INCIDENT_REPORT]
    assert (report.clock.started_at, report.clock.due_at) == (detected, detected + dt.timedelta(hours=4))
    assert report.seconds_left == 3 * 3600
    assert (incident.operator_class, incident.state, incident.created_by) == ("other", "open", "cli")
    [entry] = _events(session, "vulnerabilities.incident.created", incident.id)
    assert entry.data["report_due_at"] == report.clock.due_at.isoformat()
    assert entry.subject_kind == "security_incident"


def test_the_incident_and_its_audit_entry_are_one_transaction(
    ctx: Ctx, session: Session, services: Services, app: App
) -> None:
    created: list[Incident] = []

    def create_then_fail() -> None:
        with session.begin_nested():
            created.append(_create(ctx, _env(services), app, grade=IncidentGrade.MAJOR))
            assert _events(session, "vulnerabilities.incident.created", created[0].id)  # written, not committed
            raise RuntimeError  # whatever fails later in the request rolls both back

    with pytest.raises(RuntimeError):
        create_then_fail()
    [incident] = created
    assert session.scalar(select(func.count()).select_from(Incident)) == 0
    assert session.scalar(select(func.count()).select_from(Clock)) == 0
    assert _events(session, "vulnerabilities.incident.created", incident.id) == []


def test_a_general_incident_has_no_report_clock_and_closes_without_a_summary(
    ctx: Ctx, services: Services, app: App
) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.GENERAL)
    assert _clocks(ctx, incident) == {}
    service.mark_handled(ctx, incident.id, IncidentHandled())
    assert _clocks(ctx, incident) == {}
    assert service.close_incident(ctx, incident.id, IncidentClose()).state == IncidentState.CLOSED


@pytest.mark.parametrize(("operator", "hours"), [("cii", 1), ("state_organ", 2), ("other", 4)])
def test_the_operator_class_sets_the_hours_and_is_kept_on_the_incident(
    ctx: Ctx, services: Services, app: App, clock: FixedClock, operator: str, hours: int
) -> None:
    incident = _create(ctx, _env(services, operator), app, grade=IncidentGrade.PARTICULARLY_MAJOR)
    assert incident.operator_class == operator
    assert _clocks(ctx, incident)[ClockKind.INCIDENT_REPORT].clock.due_at == clock.now() + dt.timedelta(hours=hours)


def test_an_upgrade_opens_the_clock_counted_from_detection_and_a_downgrade_leaves_it(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    detected = clock.now()
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.GENERAL)
    clock.advance(dt.timedelta(hours=3))
    service.update_incident(ctx, incident.id, IncidentUpdate(grade=IncidentGrade.RELATIVELY_MAJOR))
    report = _clocks(ctx, incident)[ClockKind.INCIDENT_REPORT]
    assert report.clock.due_at == detected + dt.timedelta(hours=4)  # one hour left, not four
    assert report.seconds_left == 3600
    service.update_incident(ctx, incident.id, IncidentUpdate(grade=IncidentGrade.GENERAL))
    assert _clocks(ctx, incident)[ClockKind.INCIDENT_REPORT].clock.due_at == detected + dt.timedelta(hours=4)
    grades = [(e.data["from"], e.data["to"]) for e in _events(session, "vulnerabilities.incident.graded", incident.id)]
    assert grades == [("general", "relatively_major"), ("relatively_major", "general")]
    # It was reported once: the summary is owed even though the grade went down since.
    service.mark_handled(ctx, incident.id, IncidentHandled())
    assert ClockKind.INCIDENT_SUMMARY in _clocks(ctx, incident)


def test_handling_opens_the_30_day_summary_and_closing_waits_for_it(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.MAJOR)
    service.record_submission(ctx, incident.id, ClockKind.INCIDENT_REPORT, SUBMITTED, owner=ClockOwner.INCIDENT)
    with pytest.raises(InvalidIncidentTransition):
        service.close_incident(ctx, incident.id, IncidentClose())  # not handled yet
    clock.advance(dt.timedelta(days=2))
    handled_at = clock.now() - dt.timedelta(hours=6)
    service.mark_handled(ctx, incident.id, IncidentHandled(handled_at=handled_at, note="已修改口令并下线数据库"))
    summary = _clocks(ctx, incident)[ClockKind.INCIDENT_SUMMARY]
    assert (summary.clock.started_at, summary.clock.due_at) == (handled_at, handled_at + dt.timedelta(days=30))
    with pytest.raises(InvalidIncidentTransition):
        service.update_incident(ctx, incident.id, IncidentUpdate(grade=IncidentGrade.GENERAL))
    with pytest.raises(IncidentReportsPending, match="summary report") as refused:
        service.close_incident(ctx, incident.id, IncidentClose())
    assert refused.value.fields == {"pending": ["incident_summary"]}
    assert incident.state == IncidentState.HANDLED
    clock.advance(dt.timedelta(days=31))  # late, yet submitted: recorded as missed, and the incident may close
    late = service.record_submission(ctx, incident.id, ClockKind.INCIDENT_SUMMARY, SUBMITTED, owner=ClockOwner.INCIDENT)
    assert late.status is ClockStatus.MISSED
    closed = service.close_incident(ctx, incident.id, IncidentClose(note="总结报告已报送"))
    assert (closed.state, closed.closed_at) == (IncidentState.CLOSED, clock.now())
    kinds = [t.kind for t in service.list_incident_timeline(ctx, incident.id)]
    assert kinds == ["created", "submission", "handled", "submission", "closed"]
    assert len(_events(session, "vulnerabilities.clock.submitted", incident.id)) == 2


def test_a_follow_up_is_a_timeline_entry_and_an_audit_entry_without_its_text(
    ctx: Ctx, session: Session, services: Services, app: App
) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.MAJOR)
    body = FollowUpCreate(channel="12387", reference="FU-1", text="已确认泄露 12 万条手机号，已通知受影响用户。")
    entry = service.add_follow_up(ctx, incident.id, body)
    assert (entry.kind, entry.note, entry.data["channel"]) == ("follow_up", body.text, "12387")
    [audited] = _events(session, "vulnerabilities.incident.follow_up_reported", incident.id)
    assert audited.data["reference"] == "FU-1"
    assert "手机号" not in str(audited.data)


def test_incident_clocks_alert_the_team_at_half_time_with_a_link_to_the_incident(
    ctx: Ctx, session: Session, services: Services, app: App, clock: FixedClock
) -> None:
    env = _env(services, "cii", emails=("sec@example.com",))
    incident = _create(ctx, env, app, grade=IncidentGrade.RELATIVELY_MAJOR)
    clock.advance(dt.timedelta(minutes=29))
    assert service.send_clock_alerts(ctx, env).alerts == 0
    clock.advance(dt.timedelta(minutes=1))  # 30 of the CII operator's 60 minutes
    assert service.send_clock_alerts(ctx, env) == service.AlertRun(alerts=1, notices=1)
    clock.advance(dt.timedelta(minutes=24))
    assert service.send_clock_alerts(ctx, env).alerts == 1
    mails = session.scalars(select(Notice).where(Notice.reason_id == str(incident.id)).order_by(Notice.created_at))
    bodies = [m.body for m in mails]
    assert len(bodies) == 2
    assert f"{env.public_url.rstrip('/')}/console/incidents/{incident.id}" in bodies[0]
    assert "安全事件" in bodies[0]
    alerts = [t.data["percent"] for t in service.list_incident_timeline(ctx, incident.id) if t.kind == "clock_alert"]
    assert alerts == [50, 90]
    assert [e.data["percent"] for e in _events(session, "vulnerabilities.clock.alerted", incident.id)] == [50, 90]


def test_an_incident_of_one_app_is_invisible_to_a_caller_scoped_to_another(
    ctx: Ctx, services: Services, app: App
) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.MAJOR)
    other = make_app(ctx)
    as_other = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="other", app_id=other.id))
    with pytest.raises(IncidentNotFound):
        service.get_incident(as_other, incident.id)
    with pytest.raises(IncidentNotFound):
        service.record_submission(
            as_other, incident.id, ClockKind.INCIDENT_REPORT, SUBMITTED, owner=ClockOwner.INCIDENT
        )
    assert service.list_incidents(as_other) == []
    assert service.list_pending_clocks(as_other) == []
    assert [i.incident.id for i in service.list_incidents(ctx)] == [incident.id]


def test_the_list_filters_by_state_grade_and_clock_and_pages_newest_first(
    ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    env = _env(services)
    minor = _create(ctx, env, app, grade=IncidentGrade.GENERAL)
    clock.advance(dt.timedelta(hours=5))
    major = _create(ctx, env, app, grade=IncidentGrade.MAJOR)
    old_major = _create(ctx, env, app, grade=IncidentGrade.MAJOR, detected_at=clock.now() - dt.timedelta(hours=5))
    service.mark_handled(ctx, minor.id, IncidentHandled())
    listed = service.list_incidents(ctx)
    assert [r.incident.id for r in listed] == [old_major.id, major.id, minor.id]
    assert [r.next_clock.kind if r.next_clock else None for r in listed] == [
        ClockKind.INCIDENT_REPORT, ClockKind.INCIDENT_REPORT, None,
    ]  # fmt: skip
    assert [r.incident.id for r in service.list_incidents(ctx, state=IncidentState.HANDLED)] == [minor.id]
    assert [r.incident.id for r in service.list_incidents(ctx, grade=IncidentGrade.GENERAL)] == [minor.id]
    assert [r.incident.id for r in service.list_incidents(ctx, clock=ClockStatus.OPEN)] == [major.id]
    assert [r.incident.id for r in service.list_incidents(ctx, clock=ClockStatus.MISSED)] == [old_major.id]
    assert [r.incident.id for r in service.list_incidents(ctx, limit=1, after=old_major.id)] == [major.id]
    pending = [(o.id, v.status) for o, v in service.list_pending_clocks(ctx)]
    assert pending == [(old_major.id, ClockStatus.MISSED), (major.id, ClockStatus.OPEN)]


def test_a_clock_kind_of_the_other_owner_is_not_found(ctx: Ctx, services: Services, app: App) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.MAJOR)
    with pytest.raises(ClockNotFound):
        service.record_submission(ctx, incident.id, ClockKind.MIIT_REPORT, SUBMITTED, owner=ClockOwner.INCIDENT)
    with pytest.raises(ClockNotFound):  # handled: the summary clock does not exist yet
        service.record_submission(ctx, incident.id, ClockKind.INCIDENT_SUMMARY, SUBMITTED, owner=ClockOwner.INCIDENT)


def test_times_in_the_future_and_a_vulnerability_of_another_app_are_refused(
    ctx: Ctx, services: Services, app: App, clock: FixedClock
) -> None:
    env = _env(services)
    with pytest.raises(IncidentTimeInvalid):
        _create(ctx, env, app, grade=IncidentGrade.MAJOR, detected_at=clock.now() + dt.timedelta(minutes=1))
    other = make_app(ctx)
    report = ReportCreate(app=other.slug, title="别的应用的漏洞", description="另一个应用的漏洞报告描述。")
    foreign = service.submit_report(ctx, env, report=report, channel=Channel.STAFF, source_ip=None)
    with pytest.raises(IncidentVulnerabilityInvalid):
        _create(ctx, env, app, grade=IncidentGrade.MAJOR, vulnerability_id=foreign.vulnerability_id)
    incident = _create(ctx, env, other, grade=IncidentGrade.GENERAL, vulnerability_id=foreign.vulnerability_id)
    assert incident.vulnerability_id == foreign.vulnerability_id
    with pytest.raises(IncidentTimeInvalid):
        service.mark_handled(ctx, incident.id, IncidentHandled(handled_at=clock.now() - dt.timedelta(days=1)))


@pytest.mark.parametrize("owners", ["none", "both"])
def test_the_database_refuses_a_clock_without_exactly_one_owner(
    ctx: Ctx, session: Session, services: Services, app: App, owners: str
) -> None:
    incident = _create(ctx, _env(services), app, grade=IncidentGrade.GENERAL)
    report = ReportCreate(app=app.slug, title="一个漏洞报告", description="用来检查约束的漏洞报告。")
    done = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.STAFF, source_ip=None)
    vuln = service.get_vulnerability(ctx, done.vulnerability_id)
    now = ctx.clock.now()
    row = Clock(
        id=uuid.uuid4(), app_id=app.id, kind="incident_summary", started_at=now, due_at=now, alerts_sent=0,
        waived=False, incident_id=incident.id if owners == "both" else None,
        vulnerability_id=vuln.id if owners == "both" else None,
    )  # fmt: skip
    savepoint = session.begin_nested()
    session.add(row)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
