"""A data subject's identity records: what is held about them (masked only) and their erasure (PIPL Arts 45, 47)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from appcomply.identity.models import SmsMessage, Verification
from appcomply.kernel.context import Ctx


def _verifications(ctx: Ctx, user_id: uuid.UUID) -> list[Verification]:
    stmt = select(Verification).where(Verification.user_id == user_id).order_by(Verification.id)
    return list(ctx.session.scalars(stmt))


def _sms(ctx: Ctx, verification_ids: list[uuid.UUID]) -> list[SmsMessage]:
    if not verification_ids:
        return []
    stmt = select(SmsMessage).where(SmsMessage.verification_id.in_(verification_ids)).order_by(SmsMessage.id)
    return list(ctx.session.scalars(stmt))


def export_user(ctx: Ctx, user_id: uuid.UUID) -> dict[str, Any]:
    """The user's verifications and the SMS sent for them, masked only: never a sealed value, index or code."""
    rows = _verifications(ctx, user_id)
    return {
        "verifications": [
            {
                "id": str(r.id), "method": r.method, "status": r.status, "result_code": r.result_code,
                "provider": r.provider, "masked": dict(r.masked), "organisation_name": r.org_name,
                "authorization_version": r.authorization_version, "age_at_verification": r.age_at_verification,
                "created_at": r.created_at.isoformat(),
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            }
            for r in rows
        ],
        "sms_messages": [
            {"verification_id": str(m.verification_id), "phone": m.phone_masked, "template": m.template,
             "accepted": m.accepted, "sent_at": m.created_at.isoformat()}
            for m in _sms(ctx, [r.id for r in rows])
        ],
    }  # fmt: skip


def erase_user(ctx: Ctx, user_id: uuid.UUID) -> list[str]:
    """Drop every sealed value, blind index, masked value and pending code of the user's verifications and SMS.

    Kept, pseudonymised (tied to the user id only): each verification's method, status, result, provider
    reference and dates, and each SMS's template, provider and time — the evidence that the real-identity duty
    (Provisions Art 6) was met. Returns what was kept and why.
    """
    rows = _verifications(ctx, user_id)
    for r in rows:
        r.phone_sealed = r.phone_index = r.name_sealed = r.id_number_sealed = r.id_number_index = None
        r.uscc_sealed = r.uscc_index = r.otp_digest = None
        r.masked = {}
    for m in _sms(ctx, [r.id for r in rows]):
        m.phone_index, m.phone_masked, m.ip_index, m.dev_body = "", "", None, None
    ctx.session.flush()
    if not rows:
        return []
    return [
        f"identity: {len(rows)} verification record(s) without any identifier (method, status, provider reference, "
        "dates), as evidence that real-identity verification was carried out (Provisions Art 6; Cybersecurity "
        "Law Art 24)"
    ]
