"""Reading vulnerabilities and security incidents: one, a filtered page, their clocks (with status and time left),
timeline and files."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, select

from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import AttachmentNotFound, IncidentNotFound, VulnerabilityNotFound
from appcomply.vulnerabilities.models import (
    Attachment,
    Clock,
    Incident,
    IncidentTimelineEntry,
    TimelineEntry,
    Vulnerability,
)
from appcomply.vulnerabilities.rules import ClockKind, ClockOwner, ClockStatus, IncidentGrade, IncidentState, State


def _visible(ctx: Ctx, stmt: Select[Vulnerability]) -> Select[Vulnerability]:
    # Staff see every app's; an app's key (should a route ever admit one) sees only its own app's.
    if ctx.actor.kind is ActorKind.APP:
        return stmt.where(Vulnerability.app_id == ctx.actor.app_id)
    return stmt


def get_vulnerability(ctx: Ctx, vulnerability_id: uuid.UUID) -> Vulnerability:
    """VulnerabilityNotFound."""
    vuln = ctx.session.scalars(_visible(ctx, select(Vulnerability).where(Vulnerability.id == vulnerability_id))).first()
    if vuln is None:
        raise VulnerabilityNotFound("no such vulnerability", vulnerability_id=str(vulnerability_id))
    return vuln


@dataclass(frozen=True, slots=True)
class ClockView:
    """A clock as the console and the CLI show it: its status now and the seconds left (negative when overdue)."""

    clock: Clock
    status: ClockStatus
    seconds_left: int

    @property
    def kind(self) -> ClockKind:
        return ClockKind(self.clock.kind)


def view_clock(clock: Clock, now: dt.datetime) -> ClockView:
    status = rules.clock_status(due_at=clock.due_at, submitted_at=clock.submitted_at, waived=clock.waived, now=now)
    return ClockView(clock=clock, status=status, seconds_left=int((clock.due_at - now).total_seconds()))


def _owned_by(owner: ClockOwner, owner_id: uuid.UUID) -> ColumnElement[bool]:
    column = Clock.vulnerability_id if owner is ClockOwner.VULNERABILITY else Clock.incident_id
    return column == owner_id


def list_clocks(ctx: Ctx, owner_id: uuid.UUID, *, owner: ClockOwner = ClockOwner.VULNERABILITY) -> list[ClockView]:
    """The clocks of a vulnerability (or, with owner=INCIDENT, of a security incident), soonest due first."""
    stmt = select(Clock).where(_owned_by(owner, owner_id)).order_by(Clock.due_at)
    now = ctx.clock.now()
    return [view_clock(c, now) for c in ctx.session.scalars(stmt)]


def list_timeline(ctx: Ctx, vulnerability_id: uuid.UUID) -> list[TimelineEntry]:
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.vulnerability_id == vulnerability_id)
        .order_by(TimelineEntry.at, TimelineEntry.id)
    )
    return list(ctx.session.scalars(stmt))


def list_attachments(ctx: Ctx, vulnerability_id: uuid.UUID) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.vulnerability_id == vulnerability_id).order_by(Attachment.created_at)
    return list(ctx.session.scalars(stmt).all())


def get_attachment(ctx: Ctx, vulnerability_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    """AttachmentNotFound (also when it belongs to another vulnerability)."""
    get_vulnerability(ctx, vulnerability_id)
    row = ctx.session.get(Attachment, attachment_id)
    if row is None or row.vulnerability_id != vulnerability_id:
        raise AttachmentNotFound("no such attachment")
    return row


@dataclass(frozen=True, slots=True)
class Listed:
    vulnerability: Vulnerability
    report_clock: ClockView | None


def list_vulnerabilities(
    ctx: Ctx,
    *,
    app_id: uuid.UUID | None = None,
    state: State | None = None,
    severity: str | None = None,
    clock: ClockStatus | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> list[Listed]:
    """Newest first (ids are UUIDv7), each with its MIIT report clock; filter by app, state, severity, clock."""
    now = ctx.clock.now()
    stmt = (
        select(Vulnerability, Clock)
        .outerjoin(Clock, and_(Clock.vulnerability_id == Vulnerability.id, Clock.kind == ClockKind.MIIT_REPORT.value))
        .order_by(Vulnerability.id.desc())
        .limit(limit)
    )
    if ctx.actor.kind is ActorKind.APP:
        stmt = stmt.where(Vulnerability.app_id == ctx.actor.app_id)
    if app_id is not None:
        stmt = stmt.where(Vulnerability.app_id == app_id)
    if state is not None:
        stmt = stmt.where(Vulnerability.state == state.value)
    if severity is not None:
        stmt = stmt.where(Vulnerability.severity == severity)
    if after is not None:
        stmt = stmt.where(Vulnerability.id < after)
    if clock is not None:
        stmt = stmt.where(_clock_filter(clock, now))
    return [Listed(v, view_clock(c, now) if c is not None else None) for v, c in ctx.session.execute(stmt)]


def _clock_filter(status: ClockStatus, now: dt.datetime) -> ColumnElement[bool]:
    open_ = and_(Clock.submitted_at.is_(None), Clock.waived.is_(False))
    match status:
        case ClockStatus.OPEN:
            return and_(open_, Clock.due_at >= now)
        case ClockStatus.MISSED:
            return and_(Clock.waived.is_(False), (open_ & (Clock.due_at < now)) | (Clock.submitted_at > Clock.due_at))
        case ClockStatus.MET:
            return and_(Clock.waived.is_(False), Clock.submitted_at <= Clock.due_at)
        case ClockStatus.NOT_REQUIRED:
            return Clock.waived.is_(True)


def list_pending_clocks(ctx: Ctx) -> list[tuple[Vulnerability | Incident, ClockView]]:
    """Every clock not yet met nor waived (running or missed), of vulnerabilities and incidents alike, soonest due
    first: what `vulns clocks` lists."""
    now = ctx.clock.now()
    stmt = (
        select(Clock, Vulnerability, Incident)
        .outerjoin(Vulnerability, Clock.vulnerability_id == Vulnerability.id)
        .outerjoin(Incident, Clock.incident_id == Incident.id)
        .where(Clock.submitted_at.is_(None), Clock.waived.is_(False))
        .order_by(Clock.due_at)
    )
    if ctx.actor.kind is ActorKind.APP:
        stmt = stmt.where(Clock.app_id == ctx.actor.app_id)
    return [(v or i, view_clock(c, now)) for c, v, i in ctx.session.execute(stmt)]


# --- security incidents ---------------------------------------------------------------------------------------------


def get_incident(ctx: Ctx, incident_id: uuid.UUID) -> Incident:
    """IncidentNotFound (also for an incident of another app than an app caller's own)."""
    stmt = select(Incident).where(Incident.id == incident_id)
    if ctx.actor.kind is ActorKind.APP:
        stmt = stmt.where(Incident.app_id == ctx.actor.app_id)
    incident = ctx.session.scalars(stmt).first()
    if incident is None:
        raise IncidentNotFound("no such security incident", incident_id=str(incident_id))
    return incident


def list_incident_timeline(ctx: Ctx, incident_id: uuid.UUID) -> list[IncidentTimelineEntry]:
    stmt = (
        select(IncidentTimelineEntry)
        .where(IncidentTimelineEntry.incident_id == incident_id)
        .order_by(IncidentTimelineEntry.at, IncidentTimelineEntry.id)
    )
    return list(ctx.session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class ListedIncident:
    incident: Incident
    next_clock: ClockView | None  # the soonest clock still waiting for its submission


def list_incidents(
    ctx: Ctx,
    *,
    app_id: uuid.UUID | None = None,
    state: IncidentState | None = None,
    grade: IncidentGrade | None = None,
    clock: ClockStatus | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> list[ListedIncident]:
    """Newest first (ids are UUIDv7), each with its next waiting clock; filter by app, state, grade, and by having a
    clock in a status (open: a report still running). Two queries whatever the page size."""
    now = ctx.clock.now()
    stmt = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if ctx.actor.kind is ActorKind.APP:
        stmt = stmt.where(Incident.app_id == ctx.actor.app_id)
    if app_id is not None:
        stmt = stmt.where(Incident.app_id == app_id)
    if state is not None:
        stmt = stmt.where(Incident.state == state.value)
    if grade is not None:
        stmt = stmt.where(Incident.grade == grade.value)
    if after is not None:
        stmt = stmt.where(Incident.id < after)
    if clock is not None:
        stmt = stmt.where(exists().where(Clock.incident_id == Incident.id, _clock_filter(clock, now)))
    incidents = list(ctx.session.scalars(stmt))
    waiting: dict[uuid.UUID, ClockView] = {}
    if incidents:
        pending = (
            select(Clock)
            .where(Clock.incident_id.in_([i.id for i in incidents]), Clock.submitted_at.is_(None),
                   Clock.waived.is_(False))
            .order_by(Clock.due_at.desc())
        )  # fmt: skip
        waiting = {c.owner_id: view_clock(c, now) for c in ctx.session.scalars(pending)}  # soonest wins (last)
    return [ListedIncident(i, waiting.get(i.id)) for i in incidents]
