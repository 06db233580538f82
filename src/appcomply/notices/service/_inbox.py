"""A user's in-app inbox: delivered inbox notices, newest first, and marking one read."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from appcomply import audit
from appcomply.kernel.context import Ctx
from appcomply.notices.errors import NoticeNotFound
from appcomply.notices.events import NoticesEvent
from appcomply.notices.models import Notice
from appcomply.notices.rules import Channel, NoticeStatus


def _inbox(user_id: uuid.UUID) -> Select[Notice]:
    return select(Notice).where(
        Notice.user_id == user_id, Notice.channel == Channel.INBOX.value, Notice.status == NoticeStatus.SENT.value
    )


def list_inbox(
    ctx: Ctx, user_id: uuid.UUID, *, unread_only: bool = False, limit: int = 50, before: uuid.UUID | None = None
) -> list[Notice]:
    """The user's delivered inbox notices, newest first (keyset: ids older than `before`).

    The caller scopes the user to its app first (accounts.get_user); notices still queued are not in the inbox.
    """
    stmt = _inbox(user_id).order_by(Notice.id.desc()).limit(limit)
    if unread_only:
        stmt = stmt.where(Notice.read_at.is_(None))
    if before is not None:
        stmt = stmt.where(Notice.id < before)
    return list(ctx.session.scalars(stmt))


def mark_read(ctx: Ctx, user_id: uuid.UUID, notice_id: uuid.UUID) -> Notice:
    """Mark one of the user's inbox notices read. Idempotent: reading it again changes nothing and audits nothing.

    Emits notices.notice.read the first time. NoticeNotFound for another user's notice or one not delivered.
    """
    notice = ctx.session.scalars(_inbox(user_id).where(Notice.id == notice_id)).first()
    if notice is None:
        raise NoticeNotFound("no such notice in the user's inbox", notice_id=str(notice_id))
    if notice.read_at is None:
        notice.read_at = notice.updated_at = ctx.clock.now()
        audit.record(
            ctx,
            NoticesEvent.READ,
            subject=audit.Subject("notice", str(notice.id)),
            app_id=notice.app_id,
            data={"user_id": str(user_id)},
        )
    return notice
