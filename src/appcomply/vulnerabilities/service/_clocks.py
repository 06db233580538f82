"""The authority clocks (VUL-03/07/08) of vulnerabilities and security incidents alike: the evidence that a report
went out, and the alerts to the security team at 50 % and 90 % of the time allowed, sent through the notices
outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select

from appcomply import audit, notices
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import ClockClosed, ClockNotFound
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import Clock, Incident, TimelineEntry, Vulnerability
from appcomply.vulnerabilities.rules import ClockKind, ClockOwner
from appcomply.vulnerabilities.schemas import SubmissionCreate
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._incidents import add_incident_event, incident_ref
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import ClockView, get_incident, get_vulnerability, view_clock

_LABELS = {
    ClockKind.MIIT_REPORT: "向工信部网络安全威胁和漏洞信息共享平台报送 (MIIT report)",
    ClockKind.INCIDENT_REPORT: "网络安全事件报告（较大及以上）(incident report, relatively major or worse)",
    ClockKind.INCIDENT_SUMMARY: "网络安全事件总结报告（处置结束后30日内）(incident summary, 30 days after handling)",
}
Owner = Vulnerability | Incident


def record_submission(
    ctx: Ctx,
    owner_id: uuid.UUID,
    kind: ClockKind,
    submission: SubmissionCreate,
    *,
    owner: ClockOwner = ClockOwner.VULNERABILITY,
) -> ClockView:
    """Close the clock of a vulnerability (or, with owner=INCIDENT, of a security incident) with its evidence: who,
    when, channel, reference. Late is recorded as missed, not refused. VulnerabilityNotFound, IncidentNotFound,
    ClockNotFound (also for a kind the owner cannot have), ClockClosed. Emits vulnerabilities.clock.submitted."""
    subject: Owner = (
        get_vulnerability(ctx, owner_id) if owner is ClockOwner.VULNERABILITY else get_incident(ctx, owner_id)
    )
    column = Clock.vulnerability_id if owner is ClockOwner.VULNERABILITY else Clock.incident_id
    clock = ctx.session.scalars(select(Clock).where(column == subject.id, Clock.kind == kind.value)).first()
    if clock is None:
        raise ClockNotFound(f"this {owner} has no {kind} clock", kind=kind.value)
    if clock.submitted_at is not None or clock.waived:
        raise ClockClosed(f"the {kind} clock is already closed")
    now = ctx.clock.now()
    clock.submitted_at = submission.submitted_at or now
    clock.submitted_by, clock.channel, clock.reference = ctx.actor.label, submission.channel, submission.reference
    shown = view_clock(clock, now)
    data = {"kind": kind.value, "channel": submission.channel, "reference": submission.reference,
            "submitted_at": clock.submitted_at.isoformat(), "status": shown.status.value}  # fmt: skip
    _step(ctx, subject, kind="submission", data=data)
    subject.updated_at = now
    audit.record(ctx, VulnerabilitiesEvent.CLOCK_SUBMITTED, subject=_ref(subject), app_id=subject.app_id, data=data)
    return shown


def _ref(subject: Owner) -> audit.Subject:
    return ref(subject) if isinstance(subject, Vulnerability) else incident_ref(subject)


def _step(ctx: Ctx, subject: Owner, *, kind: str, data: dict[str, Any]) -> None:
    """The owner's timeline entry for a clock's event: a vulnerability's or an incident's timeline."""
    if isinstance(subject, Incident):
        add_incident_event(ctx, subject, kind=kind, data=data)
        return
    ctx.session.add(
        TimelineEntry(
            id=new_id(), vulnerability_id=subject.id, at=ctx.clock.now(), kind=kind, from_state=None, to_state=None,
            actor_label=ctx.actor.label, note=None, public=False, data=data,
        )
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertRun:
    alerts: int  # clock thresholds crossed and announced
    notices: int  # e-mails queued (alerts × security addresses)


def send_clock_alerts(ctx: Ctx, env: VulnerabilitiesEnv) -> AlertRun:
    """Announce every open clock that crossed 50 % or 90 % of its time since the last run. Each alert is an e-mail
    per security address (settings), a timeline entry and an audit entry (vulnerabilities.clock.alerted); a clock
    that crossed both thresholds at once gets one alert naming the later. Idempotent: `alerts_sent` counts."""
    now = ctx.clock.now()
    # Only the clock rows are locked (FOR UPDATE OF): their owners sit on the nullable side of the outer joins.
    stmt = (
        select(Clock, Vulnerability, Incident)
        .outerjoin(Vulnerability, Clock.vulnerability_id == Vulnerability.id)
        .outerjoin(Incident, Clock.incident_id == Incident.id)
        .where(Clock.submitted_at.is_(None), Clock.waived.is_(False), Clock.alerts_sent < len(rules.ALERT_FRACTIONS))
        .order_by(Clock.due_at)
        .with_for_update(of=Clock, skip_locked=True)
    )
    alerts = queued = 0
    for clock, vuln, incident in ctx.session.execute(stmt):
        due = rules.alerts_due(started_at=clock.started_at, due_at=clock.due_at, sent=clock.alerts_sent, now=now)
        if not due:
            continue
        clock.alerts_sent += len(due)
        alerts += 1
        owner: Owner = vuln if clock.vulnerability_id is not None else incident  # the one_owner CHECK
        queued += _alert(ctx, env, owner, clock, fraction=due[-1])
    return AlertRun(alerts=alerts, notices=queued)


_WHAT: Final = {
    ClockOwner.VULNERABILITY: ("漏洞报送时限", "漏洞 vulnerability", "vulnerabilities"),
    ClockOwner.INCIDENT: ("安全事件报告时限", "安全事件 security incident", "incidents"),
}


def _alert(ctx: Ctx, env: VulnerabilitiesEnv, owner: Owner, clock: Clock, *, fraction: float) -> int:
    kind = ClockKind(clock.kind)
    deadline, what, page = _WHAT[kind.owner]
    percent = round(fraction * 100)
    left = clock.due_at - ctx.clock.now()
    hours = max(0.0, left.total_seconds() / 3600)
    subject = f"[appcomply] {deadline}已过 {percent}% / {percent}% of the reporting time used: {owner.title}"[:200]
    link = f"{env.public_url.rstrip('/')}/console/{page}/{owner.id}"
    body = (
        f"{_LABELS[kind]}\n截止 due: {clock.due_at.isoformat()}（剩余 {hours:.1f} 小时 / {hours:.1f} h left）\n"
        f"{what}: {owner.title}\n{link}"
    )
    for address in env.limits.alert_emails:
        notices.enqueue(
            ctx, app_id=owner.app_id, user_id=None, channel=notices.Channel.EMAIL, subject=subject, body=body,
            recipient=address, reason=_ref(owner), keyring=env.keyring,
        )  # fmt: skip
    data = {"kind": kind.value, "percent": percent, "due_at": clock.due_at.isoformat(),
            "recipients": len(env.limits.alert_emails)}  # fmt: skip
    _step(ctx, owner, kind="clock_alert", data=data)
    audit.record(ctx, VulnerabilitiesEvent.CLOCK_ALERTED, subject=_ref(owner), app_id=owner.app_id, data=data)
    return len(env.limits.alert_emails)
