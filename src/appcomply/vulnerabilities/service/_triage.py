"""Triage (VUL-02): the workflow's transitions, the triage facts (CVSS, versions, supplier), notes and public
messages, the notice to an upstream supplier. Every step is a timeline entry and an audit entry."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from appcomply import audit
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import DuplicateTargetInvalid
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.formats import score_cvss
from appcomply.vulnerabilities.models import Clock, TimelineEntry, Vulnerability
from appcomply.vulnerabilities.rules import ClockKind, State
from appcomply.vulnerabilities.schemas import SupplierNoticeCreate, TriageUpdate
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import get_vulnerability
from appcomply.vulnerabilities.service._versions import recompute_for_vulnerability

# Free-text triage fields copied as they are; their values stay out of the audit data (only their names go in).
_TEXT_FIELDS = (
    "assignee", "component", "component_version", "fixed_version", "fix_plan", "technical_characteristics", "harm",
    "scope", "supplier", "cve", "advisory_summary",
)  # fmt: skip


def update_triage(ctx: Ctx, vulnerability_id: uuid.UUID, update: TriageUpdate) -> Vulnerability:
    """Set the triage facts sent. A CVSS vector is scored by the `cvss` package (CvssVectorInvalid); marking
    national security moves the MIIT clock to 24 hours from intake (NDR 10). Emits vulnerabilities.triage.updated."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    sent = update.model_dump(exclude_unset=True)
    changed: list[str] = []
    for name in _TEXT_FIELDS:
        if name in sent and getattr(vuln, name) != sent[name]:
            setattr(vuln, name, sent[name])
            changed.append(name)
    data: dict[str, Any] = {}
    if "cvss_vector" in sent:
        changed.append("cvss_vector")
        data.update(_score(vuln, update.cvss_vector))
    if "affected_versions" in sent:
        # VersionRangeInvalid before anything changes: ranges are compared with app versions (upgrade checks).
        vuln.affected_versions = [
            {"platform": v.platform, "range": rules.normalise_range(v.range)} for v in update.affected_versions or []
        ]
        changed.append("affected_versions")
    if "fix_released_at" in sent:
        vuln.fix_released_at = update.fix_released_at
        changed.append("fix_released_at")
    if update.national_security is not None and update.national_security != vuln.national_security:
        vuln.national_security = update.national_security
        changed.append("national_security")
        data["report_due_at"] = _move_report_clock(ctx, vuln).isoformat()
    if not changed:
        return vuln
    vuln.updated_at = ctx.clock.now()
    _timeline(ctx, vuln, kind="triage", note=None, data={"fields": changed})
    data["fields"] = changed
    audit.record(ctx, VulnerabilitiesEvent.TRIAGE_UPDATED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return vuln


def _score(vuln: Vulnerability, vector: str | None) -> dict[str, Any]:
    if vector is None:
        vuln.cvss_vector = vuln.cvss_version = vuln.severity = None
        vuln.cvss_score = None
        return {"cvss": None}
    score = score_cvss(vector)
    vuln.cvss_vector, vuln.cvss_version = score.vector, score.version
    vuln.cvss_score, vuln.severity = score.base_score, score.severity
    return {"cvss": score.vector, "score": score.base_score, "severity": score.severity}


def _move_report_clock(ctx: Ctx, vuln: Vulnerability) -> dt.datetime:
    clock = _report_clock(ctx, vuln.id)
    clock.due_at = rules.report_due(clock.started_at, national_security=vuln.national_security)
    # The alerts restart against the new deadline: a 24-hour clock may already be past its 50 % mark.
    clock.alerts_sent = 0
    return clock.due_at


def _report_clock(ctx: Ctx, vulnerability_id: uuid.UUID) -> Clock:
    stmt = select(Clock).where(Clock.vulnerability_id == vulnerability_id, Clock.kind == ClockKind.MIIT_REPORT.value)
    return ctx.session.scalars(stmt).one()


def transition(
    ctx: Ctx, vulnerability_id: uuid.UUID, *, to: State, note: str | None = None, duplicate_of: uuid.UUID | None = None
) -> Vulnerability:
    """Move the vulnerability along the workflow (rules.TRANSITIONS). Rejected and duplicate reports waive the
    authority clock (not a vulnerability of ours); reopening restores it. Disclosure needs the released fix
    (VR 9: DisclosureBlocked).
    InvalidTransition, DuplicateTargetInvalid. Emits vulnerabilities.vulnerability.transitioned."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    current = State(vuln.state)
    if to is State.DISCLOSED:
        rules.check_disclosable(state=current, fixed_version=vuln.fixed_version, fix_released_at=vuln.fix_released_at)
    rules.check_transition(current, to)
    if to is State.DUPLICATE:
        vuln.duplicate_of = _duplicate_target(ctx, vuln, duplicate_of)
    clock = _report_clock(ctx, vuln.id)
    if clock.submitted_at is None:
        clock.waived = to in rules.NOT_REPORTABLE
    vuln.state = to.value
    vuln.updated_at = ctx.clock.now()
    if to is State.DISCLOSED:
        vuln.disclosed_at = vuln.updated_at
    _timeline(ctx, vuln, kind="transition", note=note, from_state=current, to_state=to)
    if current in rules.UPGRADE_STATES or to in rules.UPGRADE_STATES:
        recompute_for_vulnerability(ctx, vuln)  # its fix releases start (or stop) asking users to upgrade
    data: dict[str, Any] = {"from": current.value, "to": to.value}
    if vuln.duplicate_of:
        data["duplicate_of"] = str(vuln.duplicate_of)
    audit.record(ctx, VulnerabilitiesEvent.TRANSITIONED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return vuln


def _duplicate_target(ctx: Ctx, vuln: Vulnerability, target_id: uuid.UUID | None) -> uuid.UUID:
    if target_id is None or target_id == vuln.id:
        raise DuplicateTargetInvalid("a duplicate must name the other vulnerability it repeats (duplicate_of)")
    target = ctx.session.get(Vulnerability, target_id)
    if target is None or target.app_id != vuln.app_id:
        raise DuplicateTargetInvalid("duplicate_of must be another vulnerability of the same app")
    return target.id


def add_message(ctx: Ctx, vulnerability_id: uuid.UUID, *, message: str, public: bool) -> TimelineEntry:
    """A note for staff, or (public) a message the reporter reads through the tracking token.
    Emits vulnerabilities.message.added (the text stays out of the audit data)."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    entry = _timeline(ctx, vuln, kind="message" if public else "note", note=message, public=public)
    vuln.updated_at = entry.at
    audit.record(
        ctx, VulnerabilitiesEvent.MESSAGE_ADDED, subject=ref(vuln), app_id=vuln.app_id, data={"public": public}
    )
    return entry


def notify_supplier(ctx: Ctx, vulnerability_id: uuid.UUID, notice: SupplierNoticeCreate) -> TimelineEntry:
    """Record that the upstream supplier was told (VR 7(1): "notify that supplier immediately").
    Emits vulnerabilities.supplier.notified."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    at = notice.notified_at or ctx.clock.now()
    vuln.supplier = notice.supplier
    data = {"supplier": notice.supplier, "channel": notice.channel, "reference": notice.reference, "at": at.isoformat()}
    entry = _timeline(ctx, vuln, kind="supplier_notice", note=None, data=data)
    vuln.updated_at = ctx.clock.now()
    audit.record(ctx, VulnerabilitiesEvent.SUPPLIER_NOTIFIED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return entry


def _timeline(
    ctx: Ctx,
    vuln: Vulnerability,
    *,
    kind: str,
    note: str | None,
    public: bool = False,
    from_state: State | None = None,
    to_state: State | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        id=new_id(), vulnerability_id=vuln.id, at=ctx.clock.now(), kind=kind,
        from_state=from_state.value if from_state else None, to_state=to_state.value if to_state else None,
        actor_label=ctx.actor.label, note=note, public=public, data=data or {},
    )  # fmt: skip
    ctx.session.add(entry)
    return entry
