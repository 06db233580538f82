"""A data subject's notices: what is held about them and their erasure (PIPL Arts 45, 47)."""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import select

from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice
from appcomply.notices.rules import CLAIMABLE_STATUSES, NoticeStatus

ERASED_ERROR: Final = "notices.erased"


def _notices(ctx: Ctx, user_id: uuid.UUID) -> list[Notice]:
    return list(ctx.session.scalars(select(Notice).where(Notice.user_id == user_id).order_by(Notice.id)))


def export_user(ctx: Ctx, user_id: uuid.UUID) -> dict[str, Any]:
    """Every notice to the user: subject, channel, status, masked recipient and times (never the sealed value)."""
    return {
        "notices": [
            {
                "id": str(n.id), "channel": n.channel, "status": n.status, "subject": n.subject,
                "recipient": n.recipient_masked, "created_at": n.created_at.isoformat(),
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "read_at": n.read_at.isoformat() if n.read_at else None,
            }
            for n in _notices(ctx, user_id)
        ]
    }  # fmt: skip


def erase_user(ctx: Ctx, user_id: uuid.UUID) -> list[str]:
    """Drop the sealed and masked recipient and the body of every notice to the user; one not yet sent is
    stopped (dead, `notices.erased`) so no worker sends it without its text.

    Kept: channel, subject, status and times — the record that a notice was given. Returns what was kept and why.
    """
    rows = _notices(ctx, user_id)
    now = ctx.clock.now()
    for n in rows:
        n.recipient_sealed, n.recipient_masked, n.body, n.updated_at = None, None, "", now
        if NoticeStatus(n.status) in CLAIMABLE_STATUSES:
            n.status, n.last_error = NoticeStatus.DEAD.value, ERASED_ERROR
    ctx.session.flush()
    if not rows:
        return []
    return [
        f"notices: {len(rows)} notice record(s) without recipient or body (channel, subject, status, times), as "
        "the record that the notices were given (PIPL Art 17; Provisions Art 16)"
    ]
