"""A data subject's acceptances: what is held about them and their erasure (PIPL Arts 45, 47)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from appcomply.agreements.models import Acceptance, Document
from appcomply.kernel.context import Ctx


def _acceptances(ctx: Ctx, user_id: uuid.UUID) -> list[tuple[Acceptance, str]]:
    stmt = (
        select(Acceptance, Document.kind)
        .join(Document, Document.id == Acceptance.document_id)
        .where(Acceptance.user_id == user_id)
        .order_by(Acceptance.id)
    )
    return [(row, kind) for row, kind in ctx.session.execute(stmt)]


def export_user(ctx: Ctx, user_id: uuid.UUID) -> dict[str, Any]:
    """Every acceptance: document kind, version, text hash, channel, times, masked IP and user agent."""
    return {
        "acceptances": [
            {
                "id": str(a.id), "document_kind": kind, "version_id": str(a.version_id),
                "version_number": a.version_number, "text_sha256": a.text_sha256, "channel": a.channel,
                "client_time": a.client_time.isoformat(), "accepted_at": a.accepted_at.isoformat(),
                "ip": a.ip_masked, "user_agent": a.user_agent,
            }
            for a, kind in _acceptances(ctx, user_id)
        ]
    }  # fmt: skip


def erase_user(ctx: Ctx, user_id: uuid.UUID) -> list[str]:
    """Drop the IP address (its keyed index and masked form) of every acceptance of the user.

    Kept: document, version, text hash, channel, user agent and times — the evidence of the contract the user
    accepted and of the notice given (PIPL Arts 14, 17; Civil Code Art 496). Returns what was kept and why.
    """
    rows = _acceptances(ctx, user_id)
    for acceptance, _kind in rows:
        acceptance.ip_index, acceptance.ip_masked = "", ""
    ctx.session.flush()
    if not rows:
        return []
    return [
        f"agreements: {len(rows)} acceptance(s) without the IP address (document version, text hash, channel, "
        "times), as evidence of the agreement and the notice the user accepted (Civil Code Art 496; PIPL Art 17)"
    ]
