"""Security incidents (VUL-07, the 2025 National Cybersecurity Incident Reporting Measures): recording one, its
grade (relatively major or worse: the 1/2/4-hour report clock, counted from detection), follow-up reports as the
facts develop, the end of handling (the 30-day summary clock), closing. Every step is a timeline entry and an audit
entry in the same transaction."""

from __future__ import annotations

import enum
import uuid
from typing import Any, Final

from sqlalchemy import select

from appcomply import apps, audit
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import IncidentVulnerabilityInvalid
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import Clock, Incident, IncidentTimelineEntry, Vulnerability
from appcomply.vulnerabilities.rules import ClockKind, IncidentGrade, IncidentState, OperatorClass
from appcomply.vulnerabilities.schemas import (
    FollowUpCreate,
    IncidentClose,
    IncidentCreate,
    IncidentHandled,
    IncidentUpdate,
)
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._queries import get_incident

# Facts an update may change besides the grade. Their values stay out of the audit data (only their names go in):
# a description may name people.
_FIELDS: Final = (
    "title", "description", "category", "affected_users", "personal_information_involved", "vulnerability_id",
)  # fmt: skip
_NOT_NULL: Final = frozenset({"title", "description", "category", "personal_information_involved"})


def incident_ref(incident: Incident) -> audit.Subject:
    return audit.Subject("security_incident", str(incident.id))


def add_incident_event(
    ctx: Ctx, incident: Incident, *, kind: str, note: str | None = None, data: dict[str, Any] | None = None
) -> IncidentTimelineEntry:
    entry = IncidentTimelineEntry(
        id=new_id(), incident_id=incident.id, at=ctx.clock.now(), kind=kind, actor_label=ctx.actor.label, note=note,
        data=data or {},
    )  # fmt: skip
    ctx.session.add(entry)
    return entry


def create_incident(ctx: Ctx, env: VulnerabilitiesEnv, body: IncidentCreate) -> Incident:
    """Record an incident under the operator class of the settings (kept on the incident). Relatively major or
    worse opens the first report's clock at once, due 1/2/4 hours after `detected_at`. Emits
    vulnerabilities.incident.created. AppNotFound, IncidentTimeInvalid, IncidentVulnerabilityInvalid."""
    app = apps.get_app(ctx, body.app_id)
    now = ctx.clock.now()
    detected = body.detected_at or now
    rules.check_incident_times(detected_at=detected, now=now)
    incident = Incident(
        id=new_id(), app_id=app.id, title=body.title, description=body.description, category=body.category.value,
        grade=body.grade.value, operator_class=OperatorClass(env.limits.operator_class).value,
        state=IncidentState.OPEN.value, detected_at=detected, handled_at=None, closed_at=None,
        affected_users=body.affected_users, personal_information_involved=body.personal_information_involved,
        vulnerability_id=_linked_vulnerability(ctx, app.id, body.vulnerability_id), created_at=now, updated_at=now,
        created_by=ctx.actor.label,
    )  # fmt: skip
    ctx.session.add(incident)
    ctx.session.flush()
    report = _open_report_clock(ctx, incident)
    data = {"grade": incident.grade, "category": incident.category, "operator_class": incident.operator_class,
            "detected_at": detected.isoformat(), "report_due_at": report.due_at.isoformat() if report else None,
            "personal_information_involved": incident.personal_information_involved}  # fmt: skip
    add_incident_event(ctx, incident, kind="created", data=data)
    audit.record(ctx, VulnerabilitiesEvent.INCIDENT_CREATED, subject=incident_ref(incident), app_id=app.id, data=data)
    return incident


def update_incident(ctx: Ctx, incident_id: uuid.UUID, update: IncidentUpdate) -> Incident:
    """Change the facts sent. A new grade (only while open: InvalidIncidentTransition) that is relatively major or
    worse opens the report clock counted from detection, not from now; an open clock stays whatever the new grade.
    IncidentClosed, IncidentVulnerabilityInvalid. Emits vulnerabilities.incident.updated and/or .graded."""
    incident = get_incident(ctx, incident_id)
    sent = {k: v.value if isinstance(v, enum.Enum) else v for k, v in update.model_dump(exclude_unset=True).items()}
    regrade = sent.get("grade") is not None and sent["grade"] != incident.grade
    rules.check_incident_changeable(IncidentState(incident.state), regrade=regrade)
    changed = []
    for name in _FIELDS:
        if name not in sent or (sent[name] is None and name in _NOT_NULL):
            continue
        value = sent[name]
        if name == "vulnerability_id":
            value = _linked_vulnerability(ctx, incident.app_id, value)
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed.append(name)
    if changed:
        add_incident_event(ctx, incident, kind="updated", data={"fields": changed})
        audit.record(ctx, VulnerabilitiesEvent.INCIDENT_UPDATED, subject=incident_ref(incident),
                     app_id=incident.app_id, data={"fields": changed})  # fmt: skip
    if regrade:
        _regrade(ctx, incident, IncidentGrade(sent["grade"]))
    if changed or regrade:
        incident.updated_at = ctx.clock.now()
    return incident


def _regrade(ctx: Ctx, incident: Incident, grade: IncidentGrade) -> None:
    previous, incident.grade = incident.grade, grade.value
    report = _open_report_clock(ctx, incident)
    data = {"from": previous, "to": grade.value, "report_due_at": report.due_at.isoformat() if report else None}
    add_incident_event(ctx, incident, kind="graded", data=data)
    audit.record(
        ctx, VulnerabilitiesEvent.INCIDENT_GRADED, subject=incident_ref(incident), app_id=incident.app_id, data=data
    )


def add_follow_up(ctx: Ctx, incident_id: uuid.UUID, body: FollowUpCreate) -> IncidentTimelineEntry:
    """Record a follow-up report to the authority ("as facts develop"): channel, reference and what it said. Open or
    handled incidents only (IncidentClosed). Emits vulnerabilities.incident.follow_up_reported (without the text)."""
    incident = get_incident(ctx, incident_id)
    rules.check_incident_changeable(IncidentState(incident.state), regrade=False)
    at = body.reported_at or ctx.clock.now()
    data = {"channel": body.channel, "reference": body.reference, "reported_at": at.isoformat()}
    entry = add_incident_event(ctx, incident, kind="follow_up", note=body.text, data=data)
    incident.updated_at = ctx.clock.now()
    audit.record(ctx, VulnerabilitiesEvent.INCIDENT_FOLLOW_UP_REPORTED, subject=incident_ref(incident),
                 app_id=incident.app_id, data=data)  # fmt: skip
    return entry


def mark_handled(ctx: Ctx, incident_id: uuid.UUID, body: IncidentHandled) -> Incident:
    """Handling has ended: the grade is final, and an incident that was reportable gets the summary report's clock,
    due 30 days after `handled_at`. InvalidIncidentTransition, IncidentTimeInvalid. Emits
    vulnerabilities.incident.handled."""
    incident = get_incident(ctx, incident_id)
    rules.check_incident_transition(IncidentState(incident.state), IncidentState.HANDLED)
    now = ctx.clock.now()
    handled = body.handled_at or now
    rules.check_incident_times(detected_at=incident.detected_at, now=now, handled_at=handled)
    incident.state, incident.handled_at, incident.updated_at = IncidentState.HANDLED.value, handled, now
    reported = _clock(ctx, incident.id, ClockKind.INCIDENT_REPORT) is not None
    summary_due = None
    if rules.summary_required(IncidentGrade(incident.grade), has_report_clock=reported):
        summary_due = rules.incident_summary_due(handled)
        ctx.session.add(
            Clock(
                id=new_id(), vulnerability_id=None, incident_id=incident.id, app_id=incident.app_id,
                kind=ClockKind.INCIDENT_SUMMARY.value, started_at=handled, due_at=summary_due, alerts_sent=0,
                waived=False,
            )
        )  # fmt: skip
    data = {"handled_at": handled.isoformat(), "summary_due_at": summary_due.isoformat() if summary_due else None}
    add_incident_event(ctx, incident, kind="handled", note=body.note, data=data)
    audit.record(
        ctx, VulnerabilitiesEvent.INCIDENT_HANDLED, subject=incident_ref(incident), app_id=incident.app_id, data=data
    )
    return incident


def close_incident(ctx: Ctx, incident_id: uuid.UUID, body: IncidentClose) -> Incident:
    """Close a handled incident once every report it owes went out, the summary included (IncidentReportsPending
    names what is missing; late submissions count). InvalidIncidentTransition. Emits vulnerabilities.incident.closed."""
    incident = get_incident(ctx, incident_id)
    rules.check_incident_transition(IncidentState(incident.state), IncidentState.CLOSED)
    stmt = select(Clock.kind).where(
        Clock.incident_id == incident.id, Clock.submitted_at.is_(None), Clock.waived.is_(False)
    )
    rules.check_closable(ClockKind(k) for k in ctx.session.scalars(stmt))
    now = ctx.clock.now()
    incident.state, incident.closed_at, incident.updated_at = IncidentState.CLOSED.value, now, now
    add_incident_event(ctx, incident, kind="closed", note=body.note)
    audit.record(ctx, VulnerabilitiesEvent.INCIDENT_CLOSED, subject=incident_ref(incident), app_id=incident.app_id,
                 data={"closed_at": now.isoformat()})  # fmt: skip
    return incident


def _clock(ctx: Ctx, incident_id: uuid.UUID, kind: ClockKind) -> Clock | None:
    stmt = select(Clock).where(Clock.incident_id == incident_id, Clock.kind == kind.value)
    return ctx.session.scalars(stmt).first()


def _open_report_clock(ctx: Ctx, incident: Incident) -> Clock | None:
    """The first report's clock, opened now if the grade calls for it and none is open; None if there is none."""
    existing = _clock(ctx, incident.id, ClockKind.INCIDENT_REPORT)
    grade = IncidentGrade(incident.grade)
    if not rules.opens_report_clock(grade, has_report_clock=existing is not None):
        return existing
    due = rules.incident_report_due(
        incident.detected_at, grade=grade, operator_class=OperatorClass(incident.operator_class)
    )
    assert due is not None  # noqa: S101 - opens_report_clock: the grade is reportable
    clock = Clock(
        id=new_id(), vulnerability_id=None, incident_id=incident.id, app_id=incident.app_id,
        kind=ClockKind.INCIDENT_REPORT.value, started_at=incident.detected_at, due_at=due, alerts_sent=0, waived=False,
    )  # fmt: skip
    ctx.session.add(clock)
    return clock


def _linked_vulnerability(ctx: Ctx, app_id: uuid.UUID, vulnerability_id: uuid.UUID | None) -> uuid.UUID | None:
    if vulnerability_id is None:
        return None
    vuln = ctx.session.get(Vulnerability, vulnerability_id)
    if vuln is None or vuln.app_id != app_id:
        raise IncidentVulnerabilityInvalid("vulnerability_id must name a vulnerability of the incident's app")
    return vuln.id
