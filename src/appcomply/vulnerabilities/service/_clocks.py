"""The authority clocks (VUL-03/08): the evidence that a report went out, and the alerts to the security team at
50 % and 90 % of the time allowed, sent through the notices outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from appcomply import audit, notices
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import ClockClosed, ClockNotFound
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import Clock, TimelineEntry, Vulnerability
from appcomply.vulnerabilities.rules import ClockKind
from appcomply.vulnerabilities.schemas import SubmissionCreate
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import ClockView, get_vulnerability, view_clock

_LABELS = {ClockKind.MIIT_REPORT: "向工信部网络安全威胁和漏洞信息共享平台报送 (MIIT report)"}


def record_submission(
    ctx: Ctx, vulnerability_id: uuid.UUID, kind: ClockKind, submission: SubmissionCreate
) -> ClockView:
    """Close the clock with its evidence: who, when, channel, reference. Late is recorded as missed, not refused.
    ClockNotFound, ClockClosed. Emits vulnerabilities.clock.submitted."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    clock = ctx.session.scalars(
        select(Clock).where(Clock.vulnerability_id == vuln.id, Clock.kind == kind.value)
    ).first()
    if clock is None:
        raise ClockNotFound(f"this vulnerability has no {kind} clock")
    if clock.submitted_at is not None or clock.waived:
        raise ClockClosed(f"the {kind} clock is already closed")
    now = ctx.clock.now()
    clock.submitted_at = submission.submitted_at or now
    clock.submitted_by, clock.channel, clock.reference = ctx.actor.label, submission.channel, submission.reference
    shown = view_clock(clock, now)
    data = {"kind": kind.value, "channel": submission.channel, "reference": submission.reference,
            "submitted_at": clock.submitted_at.isoformat(), "status": shown.status.value}  # fmt: skip
    ctx.session.add(
        TimelineEntry(
            id=new_id(), vulnerability_id=vuln.id, at=now, kind="submission", from_state=None, to_state=None,
            actor_label=ctx.actor.label, note=None, public=False, data=data,
        )
    )  # fmt: skip
    vuln.updated_at = now
    audit.record(ctx, VulnerabilitiesEvent.CLOCK_SUBMITTED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return shown


@dataclass(frozen=True, slots=True)
class AlertRun:
    alerts: int  # clock thresholds crossed and announced
    notices: int  # e-mails queued (alerts × security addresses)


def send_clock_alerts(ctx: Ctx, env: VulnerabilitiesEnv) -> AlertRun:
    """Announce every open clock that crossed 50 % or 90 % of its time since the last run. Each alert is an e-mail
    per security address (settings), a timeline entry and an audit entry (vulnerabilities.clock.alerted); a clock
    that crossed both thresholds at once gets one alert naming the later. Idempotent: `alerts_sent` counts."""
    now = ctx.clock.now()
    stmt = (
        select(Vulnerability, Clock)
        .join(Clock, Clock.vulnerability_id == Vulnerability.id)
        .where(Clock.submitted_at.is_(None), Clock.waived.is_(False), Clock.alerts_sent < len(rules.ALERT_FRACTIONS))
        .order_by(Clock.due_at)
        .with_for_update(of=Clock, skip_locked=True)
    )
    alerts = queued = 0
    for vuln, clock in ctx.session.execute(stmt):
        due = rules.alerts_due(started_at=clock.started_at, due_at=clock.due_at, sent=clock.alerts_sent, now=now)
        if not due:
            continue
        clock.alerts_sent += len(due)
        alerts += 1
        queued += _alert(ctx, env, vuln, clock, fraction=due[-1])
    return AlertRun(alerts=alerts, notices=queued)


def _alert(ctx: Ctx, env: VulnerabilitiesEnv, vuln: Vulnerability, clock: Clock, *, fraction: float) -> int:
    kind = ClockKind(clock.kind)
    percent = round(fraction * 100)
    left = clock.due_at - ctx.clock.now()
    hours = max(0.0, left.total_seconds() / 3600)
    subject = f"[appcomply] 漏洞报送时限已过 {percent}% / {percent}% of the reporting time used: {vuln.title}"[:200]
    link = f"{env.public_url.rstrip('/')}/console/vulnerabilities/{vuln.id}"
    body = (
        f"{_LABELS[kind]}\n截止 due: {clock.due_at.isoformat()}（剩余 {hours:.1f} 小时 / {hours:.1f} h left）\n"
        f"漏洞 vulnerability: {vuln.title}\n{link}"
    )
    for address in env.limits.alert_emails:
        notices.enqueue(
            ctx, app_id=vuln.app_id, user_id=None, channel=notices.Channel.EMAIL, subject=subject, body=body,
            recipient=address, reason=ref(vuln), keyring=env.keyring,
        )  # fmt: skip
    data = {"kind": kind.value, "percent": percent, "due_at": clock.due_at.isoformat(),
            "recipients": len(env.limits.alert_emails)}  # fmt: skip
    ctx.session.add(
        TimelineEntry(
            id=new_id(), vulnerability_id=vuln.id, at=ctx.clock.now(), kind="clock_alert", from_state=None,
            to_state=None, actor_label=ctx.actor.label, note=None, public=False, data=data,
        )
    )  # fmt: skip
    audit.record(ctx, VulnerabilitiesEvent.CLOCK_ALERTED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return len(env.limits.alert_emails)
