"""Factories for the consent module: processing activities and consent answers, through the real use cases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from appcomply import agreements, identity
from appcomply.consent import rules, service
from appcomply.consent.models import ProcessingActivity
from appcomply.consent.schemas import ActivityCreate, ConsentCreate, DataRequestCreate
from appcomply.identity.models import SmsMessage
from appcomply.identity.schemas import PhoneStart
from appcomply.kernel.context import Ctx

CLIENT_TIME = dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def activity_body(key: str, **overrides: Any) -> ActivityCreate:
    fields: dict[str, Any] = {
        "key": key,
        "feature": "信息浏览",
        "purpose": "提供服务",
        "pi_items": [],
        "basis": rules.LegalBasis.CONSENT,
        "basic_type": None,
        "retention": "账号注销后删除",
        **overrides,
    }
    return ActivityCreate(**fields)


def add_activity(ctx: Ctx, app_id: uuid.UUID, key: str, **overrides: Any) -> ProcessingActivity:
    row = service.create_activity(ctx, app_id, activity_body(key, **overrides))
    ctx.session.flush()
    return row


def answer(
    activity: str,
    action: rules.ConsentAction,
    policy_version_id: uuid.UUID,
    *,
    separate: rules.SeparateConsent | None = None,
) -> ConsentCreate:
    return ConsentCreate(
        activity=activity,
        separate=separate,
        action=action,
        policy_version_id=policy_version_id,
        channel=agreements.Channel.APP,
        client_time=CLIENT_TIME,
    )


# --- data-subject requests ------------------------------------------------------------------------------------------


def sent_code(ctx: Ctx, verification_id: uuid.UUID) -> str:
    """The code the local SMS provider sent for a verification (it keeps the text in development only)."""
    body = ctx.session.scalars(select(SmsMessage.dev_body).where(SmsMessage.verification_id == verification_id)).one()
    assert body is not None
    return "".join(ch for ch in body.split("，")[0] if ch.isdigit())


def verify_phone(ctx: Ctx, user_id: uuid.UUID, phone: str, *, env: identity.IdentityEnv) -> None:
    """Verify the user's phone through the real identity flow (start, read the code, confirm)."""
    started = identity.start_verification(
        ctx, user_id, PhoneStart(method="phone", phone=phone), env=env, client_ip=None
    )
    assert started.verification.status == "pending", started.verification.result_code
    confirmed = identity.confirm_verification(
        ctx, started.verification.id, sent_code(ctx, started.verification.id), env=env
    )
    assert confirmed.status == "verified"


def request_body(user_id: uuid.UUID, kind: rules.RequestKind, details: str = "") -> DataRequestCreate:
    return DataRequestCreate(user_id=user_id, kind=kind, details=details)
