"""Intake (VUL-01, VR 5): a public report becomes a vulnerability, a receipt in the log, a running clock and a
tracking token for the reporter. Idempotent on the reporter's key; rate-limited per source address."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import secrets
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Connection, Row, Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from appcomply import apps, audit, vault
from appcomply.db.base import Base
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import (
    AttachmentRejected,
    IdempotencyKeyReused,
    IntakeAppNotFound,
    IntakeRateLimited,
    ReportTokenNotFound,
)
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import Attachment, Clock, Receipt, TimelineEntry, Vulnerability
from appcomply.vulnerabilities.rules import Channel, ClockKind, State
from appcomply.vulnerabilities.schemas import ReportCreate
from appcomply.vulnerabilities.service import _attachments
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv

TOKEN_PREFIX: Final = "vrt_"  # noqa: S105 - a prefix that makes tokens recognisable (secret scanners)
RATE_WINDOW: Final = dt.timedelta(hours=1)
RECEIVED_MESSAGE: Final = "我们已收到您的报告，将尽快核实。We have received your report and will verify it promptly."


@dataclass(frozen=True, slots=True)
class Submitted:
    vulnerability_id: uuid.UUID
    app_id: uuid.UUID
    state: State
    received_at: dt.datetime
    tracking_token: str
    replayed: bool  # an earlier submission with the same idempotency key and content


def submit_report(
    ctx: Ctx,
    env: VulnerabilitiesEnv,
    *,
    report: ReportCreate,
    channel: Channel,
    source_ip: str | None,
    idempotency_key: str | None = None,
) -> Submitted:
    """Take a report in. Emits vulnerabilities.report.received; writes the receipt log row and opens the 48-hour
    MIIT clock counted from now (VR 7(2)).

    IntakeAppNotFound, AttachmentRejected, AttachmentTooLarge, IntakeRateLimited (429 with Retry-After),
    IdempotencyKeyReused (same key, different content). A replay of the same submission returns the first
    report and its token again, and writes nothing.

    Anyone may call this as often as the rate limit lets them, so it is built like a per-request check: the app's id
    from the process's memory, prebuilt Core statements (one read for the limit, one insert per row), no ORM
    objects.
    """
    app_id = apps.app_id_by_slug(ctx, report.app)
    if app_id is None:
        raise IntakeAppNotFound(f"no app is named {report.app!r}", app=report.app)
    # Everything that needs no database first: on SQLite the first statement takes the file's one writer turn.
    uploads = _uploads(env, report)
    summary = rules.summary_hash(_summary_fields(report, uploads))
    source_index = _source_index(env, source_ip, app_id)
    token = _token(env, app_id, idempotency_key)
    now = ctx.clock.now()
    vulnerability_id = new_id()
    row = _vulnerability_row(env, vulnerability_id, app_id, report, channel=channel, token=token, summary=summary,
                             idempotency_key=idempotency_key, now=now)  # fmt: skip
    conn = ctx.session.connection()
    if idempotency_key is not None:
        earlier = _find_by_key(conn, app_id, idempotency_key)
        if earlier is not None:
            return _replay(env, earlier, idempotency_key, summary)
    _check_rate(conn, env, app_id, source_index, now=now)
    try:
        with ctx.session.begin_nested() if idempotency_key is not None else nullcontext():
            conn.execute(_INSERT_VULNERABILITY, row)
    except IntegrityError:
        # Two retries of one submission raced: the other one's insert won; answer as its replay.
        earlier = _find_by_key(conn, app_id, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return _replay(env, earlier, idempotency_key or "", summary)
    masked = rules.mask_source(source_ip)
    if uploads:
        conn.execute(_INSERT_ATTACHMENT, [
            {"id": new_id(), "vulnerability_id": vulnerability_id, "filename": u.filename, "media_type": u.media_type,
             "size": len(u.content), "sha256": u.sha256, "content": u.content, "created_at": now}
            for u in uploads
        ])  # fmt: skip
    conn.execute(_INSERT_CLOCK, {
        "id": new_id(), "vulnerability_id": vulnerability_id, "app_id": app_id, "kind": ClockKind.MIIT_REPORT.value,
        "started_at": now, "due_at": rules.report_due(now, national_security=False), "alerts_sent": 0, "waived": False,
    })  # fmt: skip
    conn.execute(_INSERT_TIMELINE, {
        "id": new_id(), "vulnerability_id": vulnerability_id, "at": now, "kind": "received", "from_state": None,
        "to_state": State.RECEIVED.value, "actor_label": ctx.actor.label, "note": RECEIVED_MESSAGE, "public": True,
        "data": {"channel": channel.value},
    })  # fmt: skip
    conn.execute(_INSERT_RECEIPT, {
        "id": new_id(), "app_id": app_id, "vulnerability_id": vulnerability_id, "received_at": now,
        "channel": channel.value, "source_index": source_index, "source_masked": masked, "summary_hash": summary,
        "attachments": len(uploads),
    })  # fmt: skip
    audit.record(
        ctx, VulnerabilitiesEvent.REPORT_RECEIVED, subject=audit.Subject("vulnerability", str(vulnerability_id)),
        app_id=app_id,
        data={"channel": channel.value, "summary_hash": summary, "attachments": len(uploads), "source": masked},
    )  # fmt: skip
    return Submitted(vulnerability_id=vulnerability_id, app_id=app_id, state=State.RECEIVED, received_at=now,
                     tracking_token=token, replayed=False)  # fmt: skip


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


_INSERT_VULNERABILITY: Final = insert(_table(Vulnerability))
_INSERT_ATTACHMENT: Final = insert(_table(Attachment))
_INSERT_CLOCK: Final = insert(_table(Clock))
_INSERT_TIMELINE: Final = insert(_table(TimelineEntry))
_INSERT_RECEIPT: Final = insert(_table(Receipt))
_BY_KEY: Final = select(
    Vulnerability.id, Vulnerability.app_id, Vulnerability.state, Vulnerability.received_at, Vulnerability.summary_hash
).where(Vulnerability.app_id == bindparam("app_id"), Vulnerability.idempotency_key == bindparam("key"))
# The newest `limit` receipts from the source in the window, no more: the check costs O(limit), however many
# reports one address sent before a limit was lowered; their oldest is when the next report will be taken.
_NEWEST_FROM_SOURCE: Final = (
    select(Receipt.received_at)
    .where(Receipt.app_id == bindparam("app_id"), Receipt.source_index == bindparam("source_index"),
           Receipt.received_at > bindparam("since"))
    .order_by(Receipt.received_at.desc())
    .limit(bindparam("limit"))
    .subquery()
)  # fmt: skip
_RECENT_FROM_SOURCE: Final = select(func.count(), func.min(_NEWEST_FROM_SOURCE.c.received_at))


def _vulnerability_row(
    env: VulnerabilitiesEnv,
    vulnerability_id: uuid.UUID,
    app_id: uuid.UUID,
    report: ReportCreate,
    *,
    channel: Channel,
    token: str,
    summary: str,
    idempotency_key: str | None,
    now: dt.datetime,
) -> dict[str, object]:
    contact = report.contact
    return {
        "id": vulnerability_id, "app_id": app_id, "title": report.title, "description": report.description,
        "component": report.component, "component_version": report.component_version, "steps": report.steps,
        "contact_sealed": vault.seal(env.keyring, contact, kind=vault.PiKind.CONTACT, context=str(app_id))
        if contact else None,
        "contact_masked": rules.mask_contact(contact) if contact else None,
        "token_hash": token_hash(token), "idempotency_key": idempotency_key, "summary_hash": summary,
        "channel": channel.value, "state": State.RECEIVED.value, "received_at": now, "updated_at": now,
        "national_security": False, "affected_versions": [],
    }  # fmt: skip


def ref(vuln: Vulnerability) -> audit.Subject:
    return audit.Subject("vulnerability", str(vuln.id))


def _uploads(env: VulnerabilitiesEnv, report: ReportCreate) -> list[_attachments.Upload]:
    limits = env.limits
    if len(report.attachments) > limits.max_attachments:
        raise AttachmentRejected(f"at most {limits.max_attachments} attachments per report")
    return [
        _attachments.decode(a.filename, a.content_base64, max_bytes=limits.max_attachment_bytes)
        for a in report.attachments
    ]


def _summary_fields(report: ReportCreate, uploads: list[_attachments.Upload]) -> dict[str, object]:
    # The contact is left out: a hash of a phone number is easily reversed by trying every number.
    return {
        "app": report.app, "title": report.title, "description": report.description, "component": report.component,
        "component_version": report.component_version, "steps": report.steps, "contact": report.contact is not None,
        "attachments": [u.sha256 for u in uploads],
    }  # fmt: skip


_Earlier = Row[uuid.UUID, uuid.UUID, str, dt.datetime, str]  # what _BY_KEY selects


def _find_by_key(conn: Connection, app_id: uuid.UUID, key: str) -> _Earlier | None:
    return conn.execute(_BY_KEY, {"app_id": app_id, "key": key}).first()


def _replay(env: VulnerabilitiesEnv, earlier: _Earlier, key: str, summary: str) -> Submitted:
    if earlier.summary_hash != summary:
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a report with different content")
    return Submitted(
        vulnerability_id=earlier.id, app_id=earlier.app_id, state=State(earlier.state),
        received_at=earlier.received_at, tracking_token=_token(env, earlier.app_id, key), replayed=True,
    )  # fmt: skip


def _token(env: VulnerabilitiesEnv, app_id: uuid.UUID, idempotency_key: str | None) -> str:
    """A random token; with an idempotency key, one derived from it under our key, so that a retried submission
    gets the same token back although only its hash is stored. Only the reporter knows their key."""
    if idempotency_key is None:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)
    message = f"appcomply.vulnerabilities.token.v1|{app_id}|{idempotency_key}".encode()
    digest = hmac.new(env.index_key, message, hashlib.sha256).digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _source_index(env: VulnerabilitiesEnv, source_ip: str | None, app_id: uuid.UUID) -> str | None:
    # An address is personal information too: only a keyed index is kept, enough to count a flood.
    if not source_ip:
        return None
    return vault.blind_index(env.index_key, source_ip, kind=vault.PiKind.CONTACT, context=f"vuln-ip:{app_id}")


def _check_rate(
    conn: Connection, env: VulnerabilitiesEnv, app_id: uuid.UUID, source_index: str | None, *, now: dt.datetime
) -> None:
    if source_index is None:
        return
    limit = env.limits.reports_per_source_per_hour
    params = {"app_id": app_id, "source_index": source_index, "since": now - RATE_WINDOW, "limit": limit}
    count, oldest = conn.execute(_RECENT_FROM_SOURCE, params).one()
    if count >= limit and oldest is not None:
        wait = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
        raise IntakeRateLimited(
            f"at most {limit} reports per hour from one address; retry in {wait} s", retry_after=wait
        )


@dataclass(frozen=True, slots=True)
class TrackedReport:
    vulnerability: Vulnerability
    messages: list[TimelineEntry]


def track_report(ctx: Ctx, token: str) -> TrackedReport:
    """What the reporter may see by their token: status and public messages. ReportTokenNotFound."""
    vuln = ctx.session.scalars(select(Vulnerability).where(Vulnerability.token_hash == token_hash(token))).first()
    if vuln is None:
        raise ReportTokenNotFound("no report has this tracking token")
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.vulnerability_id == vuln.id, TimelineEntry.public.is_(True))
        .order_by(TimelineEntry.at, TimelineEntry.id)
    )
    return TrackedReport(vulnerability=vuln, messages=list(ctx.session.scalars(stmt)))
