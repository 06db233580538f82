"""The outbox as staff see it: an app's notices by status, one notice, and re-queueing a dead one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from appcomply import audit
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx
from appcomply.notices import rules
from appcomply.notices.errors import NoticeNotFound
from appcomply.notices.events import NoticesEvent
from appcomply.notices.models import Notice
from appcomply.notices.rules import Channel, NoticeStatus


def get_notice(ctx: Ctx, notice_id: uuid.UUID) -> Notice:
    """The notice, if the caller may see it: an app key sees only its own app's (NoticeNotFound otherwise)."""
    notice = ctx.session.get(Notice, notice_id)
    if notice is None or (ctx.actor.kind is ActorKind.APP and notice.app_id != ctx.actor.app_id):
        raise NoticeNotFound("no such notice", notice_id=str(notice_id))
    return notice


def list_queue(
    ctx: Ctx,
    app_id: uuid.UUID,
    *,
    status: NoticeStatus | None = None,
    limit: int = 50,
    before: uuid.UUID | None = None,
) -> list[Notice]:
    """The app's notices newest first, optionally of one status (keyset: ids older than `before`)."""
    stmt = select(Notice).where(Notice.app_id == app_id).order_by(Notice.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Notice.status == status.value)
    if before is not None:
        stmt = stmt.where(Notice.id < before)
    return list(ctx.session.scalars(stmt))


def count_by_status(ctx: Ctx, app_id: uuid.UUID) -> dict[NoticeStatus, int]:
    """How many of the app's notices are in each state (one grouped query)."""
    stmt = select(Notice.status, func.count()).where(Notice.app_id == app_id).group_by(Notice.status)
    found = {NoticeStatus(status): count for status, count in ctx.session.execute(stmt)}
    return {status: found.get(status, 0) for status in NoticeStatus}


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    """Where the notices one change caused stand, and when they went out (sent_at of the first and the last)."""

    queued: int = 0  # waiting for a first attempt
    sending: int = 0  # claimed by a worker right now
    retrying: int = 0
    sent: int = 0
    dead: int = 0
    first_sent_at: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.retrying + self.sent + self.dead

    @property
    def pending(self) -> int:
        """Not out yet, but still on their way (dead ones are not)."""
        return self.queued + self.sending + self.retrying


def delivery_summary(ctx: Ctx, *, app_id: uuid.UUID, reason: audit.Subject) -> DeliverySummary:
    """How the app's notices caused by `reason` (e.g. a document version) were delivered: one grouped query.

    Other modules ask this instead of reading the outbox's table: counts per state and the first and last time one
    was sent. Nothing queued for `reason` is a summary of zeros.
    """
    stmt = (
        select(Notice.status, func.count(), func.min(Notice.sent_at), func.max(Notice.sent_at))
        .where(Notice.app_id == app_id, Notice.reason_kind == reason.kind, Notice.reason_id == reason.id)
        .group_by(Notice.status)
    )
    return _summary([(status, count, first, last) for status, count, first, last in ctx.session.execute(stmt)])


def delivery_by_channel(ctx: Ctx, *, app_id: uuid.UUID, reason: audit.Subject) -> dict[Channel, DeliverySummary]:
    """`delivery_summary` per channel, in one grouped query: every channel is present (zeros when none)."""
    stmt = (
        select(Notice.channel, Notice.status, func.count(), func.min(Notice.sent_at), func.max(Notice.sent_at))
        .where(Notice.app_id == app_id, Notice.reason_kind == reason.kind, Notice.reason_id == reason.id)
        .group_by(Notice.channel, Notice.status)
    )
    rows: dict[str, list[tuple[str, int, dt.datetime | None, dt.datetime | None]]] = defaultdict(list)
    for channel, status, count, first, last in ctx.session.execute(stmt):
        rows[channel].append((status, count, first, last))
    return {channel: _summary(rows.get(channel.value, [])) for channel in Channel}


def _summary(rows: list[tuple[str, int, dt.datetime | None, dt.datetime | None]]) -> DeliverySummary:
    counts: dict[str, int] = {}
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    for status, count, earliest, latest in rows:
        counts[status] = count
        if status == NoticeStatus.SENT:
            first, last = earliest, latest
    return DeliverySummary(
        queued=counts.get(NoticeStatus.QUEUED, 0),
        sending=counts.get(NoticeStatus.SENDING, 0),
        retrying=counts.get(NoticeStatus.RETRYING, 0),
        sent=counts.get(NoticeStatus.SENT, 0),
        dead=counts.get(NoticeStatus.DEAD, 0),
        first_sent_at=first,
        last_sent_at=last,
    )


def requeue_dead(ctx: Ctx, notice_id: uuid.UUID) -> Notice:
    """Give a dead notice a fresh set of attempts, due now. Emits notices.notice.requeued.

    NoticeNotDead for any other state: a sent notice is final, and a queued one is already on its way. The last
    error stays on the row until the next attempt replaces it.
    """
    notice = get_notice(ctx, notice_id)
    rules.ensure_requeueable(notice.status)
    previous = notice.attempts
    now = ctx.clock.now()
    notice.status, notice.attempts, notice.not_before, notice.updated_at = NoticeStatus.QUEUED.value, 0, now, now
    audit.record(
        ctx,
        NoticesEvent.REQUEUED,
        subject=audit.Subject("notice", str(notice.id)),
        app_id=notice.app_id,
        data={"previous_attempts": previous, "last_error": notice.last_error},
    )
    return notice
