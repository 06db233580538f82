"""Delivering the outbox: one worker step (`deliver_due`) in two short transactions around the sending.

1. The claim: due notices are taken with SELECT … FOR UPDATE SKIP LOCKED (so concurrent workers on PostgreSQL
   take disjoint rows; SQLite's single writer serialises the claims) and marked `sending` with a lease: their
   `not_before` becomes the lease's end and `worker` the claimer. Committed at once.
2. The sending, with no transaction open: on SQLite a transaction held across gateway calls would hold the
   database's one write lock for the whole batch, stalling every request that writes.
3. The outcome: each notice still held under this step's lease becomes sent, retrying or dead, and one audit
   entry per app lists them (the audit head row is locked until commit: one entry per notice made it the point
   where concurrent workers queue).

A worker that crashes or hangs past its lease loses its notices: they are claimable again and are sent again
(at-least-once; the notice id is the request reference so gateways can deduplicate), and the late worker's
outcome is dropped because the row no longer carries its lease. The attempt is counted at the claim, so a notice
that keeps killing its worker still runs out of attempts and ends dead (`notices.worker_lost`).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from appcomply import audit, vault
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import Clock
from appcomply.kernel.context import Ctx
from appcomply.kernel.errors import DomainError
from appcomply.kernel.ids import new_id
from appcomply.notices import rules
from appcomply.notices.events import NoticesEvent
from appcomply.notices.models import Notice
from appcomply.notices.ports import NoticeSenders
from appcomply.notices.rules import Channel, NoticeStatus
from appcomply.notices.service._enqueue import RECIPIENT_KIND

log = logging.getLogger(__name__)
INBOX_PROVIDER = "inbox"
# Longer than the slowest batch: a hundred SMTP conversations at their 10 s timeout take under 17 minutes.
DEFAULT_LEASE_SECONDS: Final = 1200.0
_CLAIMABLE: Final = [s.value for s in rules.CLAIMABLE_STATUSES]
_NOTICES: Final = cast(Table, Notice.__table__)
_CLAIM_COLUMNS: Final = tuple(
    _NOTICES.c[name]
    for name in ("id", "app_id", "channel", "subject", "body", "recipient_sealed", "status", "attempts")
)
_HELD_COLUMNS: Final = tuple(
    _NOTICES.c[name] for name in ("id", "app_id", "status", "worker", "not_before", "attempts")
)
# One executemany for a step's outcomes.
_RECORD: Final = (
    update(_NOTICES)
    .where(_NOTICES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        sent_at=bindparam("b_sent_at"),
        not_before=bindparam("b_not_before"),
        provider=bindparam("b_provider"),
        provider_ref=bindparam("b_provider_ref"),
        updated_at=bindparam("b_now"),
    )
)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.claimed + other.claimed, self.sent + other.sent, self.retried + other.retried, self.dead + other.dead
        )


@dataclass(frozen=True, slots=True)
class _Claim:
    """What sending needs, copied out of the claim's transaction (no ORM object outlives it)."""

    id: uuid.UUID
    app_id: uuid.UUID
    channel: str
    subject: str
    body: str
    recipient_sealed: str | None
    lost: bool  # its previous worker's lease ran out with no attempts left: record it dead, send nothing


@dataclass(frozen=True, slots=True)
class _Outcome:
    error: str | None  # None: delivered
    provider: str | None = None
    provider_ref: str | None = None


@dataclass(frozen=True, slots=True)
class _Lease:
    worker: str
    until: datetime


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    clock: Clock,
    senders: NoticeSenders,
    keyring: vault.Keyring,
    batch: int = 100,
    worker: str,
    max_attempts: int = 5,
    backoff_base_seconds: float = 30.0,
    sms_template: str = "NOTICE",
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> DeliveryReport:
    """One worker step: claim up to `batch` due notices, deliver each, record sent / retrying / dead.

    Emits one notices.batch.delivered per app of the step, in the outcome's transaction. A failure is recorded
    by its code only (`last_error`, never personal data), then retried after exponential back-off until
    `max_attempts`; a refusal no retry can change (invalid number, refused address) is dead at once.
    """
    actor = system_actor(f"notices-worker:{worker}")
    step = f"notices-{new_id().hex}"
    with unit_of_work(session_factory, clock=clock, actor=actor, request_id=step) as ctx:
        lease = _Lease(worker[:64], clock.now() + timedelta(seconds=lease_seconds))
        claims = _claim(ctx, batch=batch, lease=lease, max_attempts=max_attempts)
    if not claims:
        return DeliveryReport()
    outcomes = [
        (c, _Outcome(rules.WORKER_LOST) if c.lost else _attempt(c, senders, keyring, sms_template)) for c in claims
    ]
    with unit_of_work(session_factory, clock=clock, actor=actor, request_id=step) as ctx:
        counts = _record(
            ctx, outcomes, lease=lease, worker=worker, max_attempts=max_attempts, base=backoff_base_seconds
        )
    return DeliveryReport(
        len(claims), counts[NoticeStatus.SENT], counts[NoticeStatus.RETRYING], counts[NoticeStatus.DEAD]
    )


def _claim(ctx: Ctx, *, batch: int, lease: _Lease, max_attempts: int) -> list[_Claim]:
    # Core statements, not ORM entities: one UPDATE for the whole batch instead of a flush of one per row.
    now, conn = ctx.clock.now(), ctx.session.connection()
    stmt = (
        select(*_CLAIM_COLUMNS)
        .where(_NOTICES.c.status.in_(_CLAIMABLE), _NOTICES.c.not_before <= now)
        .order_by(_NOTICES.c.not_before, _NOTICES.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL; SQLite's single writer serialises
    )
    claims = [
        _Claim(r.id, r.app_id, r.channel, r.subject, r.body, r.recipient_sealed,
               lost=r.status == NoticeStatus.SENDING and r.attempts >= max_attempts)
        for r in conn.execute(stmt)
    ]  # fmt: skip
    held = {"status": NoticeStatus.SENDING.value, "not_before": lease.until, "worker": lease.worker, "updated_at": now}
    if fresh := [c.id for c in claims if not c.lost]:
        # The attempt counts now, so a notice that keeps killing its worker still runs out of attempts.
        conn.execute(update(_NOTICES).where(_NOTICES.c.id.in_(fresh)).values(**held, attempts=_NOTICES.c.attempts + 1))
    if lost := [c.id for c in claims if c.lost]:
        conn.execute(update(_NOTICES).where(_NOTICES.c.id.in_(lost)).values(**held))
    return claims


def _attempt(claim: _Claim, senders: NoticeSenders, keyring: vault.Keyring, template: str) -> _Outcome:
    channel = Channel(claim.channel)
    if channel is Channel.INBOX:
        return _Outcome(None, INBOX_PROVIDER)
    if claim.recipient_sealed is None:
        return _Outcome("notices.recipient_missing")
    ref = str(claim.id)
    try:
        to = vault.open_sealed(keyring, claim.recipient_sealed, kind=RECIPIENT_KIND, context=str(claim.app_id))
        if channel is Channel.SMS:
            params = {"subject": claim.subject, "body": claim.body}
            receipt: Any = senders.sms.send(phone_e164=to, template=template, params=params, request_ref=ref)
        else:
            receipt = senders.email.send(to=to, subject=claim.subject, body=claim.body, request_ref=ref)
    except DomainError as exc:
        return _Outcome(exc.code)
    except Exception as exc:  # one broken adapter must not stall the queue; the type is safe to log, not the text
        log.warning("notice %s: delivery raised %s", ref, type(exc).__name__)
        return _Outcome("notices.delivery.error")
    if receipt.accepted:
        return _Outcome(None, receipt.provider, receipt.provider_request_id or None)
    return _Outcome(str(receipt.result_code), receipt.provider, receipt.provider_request_id or None)


def _record(
    ctx: Ctx,
    outcomes: Sequence[tuple[_Claim, _Outcome]],
    *,
    lease: _Lease,
    worker: str,
    max_attempts: int,
    base: float,
) -> dict[NoticeStatus, int]:
    conn = ctx.session.connection()
    stmt = select(*_HELD_COLUMNS).where(_NOTICES.c.id.in_([c.id for c, _ in outcomes])).with_for_update()
    rows = {row.id: row for row in conn.execute(stmt)}
    counts = dict.fromkeys((NoticeStatus.SENT, NoticeStatus.RETRYING, NoticeStatus.DEAD), 0)
    by_app: dict[uuid.UUID, dict[str, Any]] = defaultdict(
        lambda: {"sent": [], "retrying": [], "dead": [], "errors": {}}
    )
    changes = []
    for claim, outcome in outcomes:
        row = rows.get(claim.id)
        if row is None or (row.status, row.worker, row.not_before) != (NoticeStatus.SENDING, lease.worker, lease.until):
            # Our lease ran out and another worker took the notice over: its outcome is the one that counts.
            log.warning("notice %s: lease of worker %s ran out before its outcome was recorded", claim.id, worker)
            continue
        change = _change(row.id, row.attempts, outcome, now=ctx.clock.now(), max_attempts=max_attempts, base=base)
        changes.append(change)
        status = NoticeStatus(change["b_status"])
        counts[status] += 1
        entry = by_app[row.app_id]
        entry[status.value].append(str(row.id))
        if change["b_error"] is not None:
            entry["errors"][str(row.id)] = change["b_error"]
    if changes:
        conn.execute(_RECORD, changes)
    for app_id, entry in by_app.items():
        data = {"worker": worker, **entry, "counts": {k: len(entry[k]) for k in ("sent", "retrying", "dead")}}
        subject = audit.Subject("notice_batch", ctx.request_id)
        audit.record(ctx, NoticesEvent.BATCH_DELIVERED, subject=subject, app_id=app_id, data=data)
    return counts


def _change(
    notice_id: uuid.UUID, attempts: int, outcome: _Outcome, *, now: datetime, max_attempts: int, base: float
) -> dict[str, Any]:
    """The outcome as the row's new state (its status history: attempts, last error, provider, times)."""
    change: dict[str, Any] = {
        "b_id": notice_id,
        "b_status": NoticeStatus.SENT.value,
        "b_error": None,
        "b_sent_at": now,
        "b_not_before": now,
        "b_provider": outcome.provider,
        "b_provider_ref": outcome.provider_ref[:128] if outcome.provider_ref else None,
        "b_now": now,
    }
    if outcome.error is not None:
        status = rules.after_failure(attempts, outcome.error, max_attempts=max_attempts)
        change.update(b_status=status.value, b_error=outcome.error[:64], b_sent_at=None)
        if status is NoticeStatus.RETRYING:
            change["b_not_before"] = now + rules.retry_delay(attempts, base_seconds=base)
    return change
