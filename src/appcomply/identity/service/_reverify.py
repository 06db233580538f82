"""Re-verifying a known user (a data-subject request, a sensitive change): a fresh OTP to the phone they verified."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from appcomply import accounts, vault
from appcomply.identity import rules
from appcomply.identity.models import Verification
from appcomply.identity.schemas import PhoneStart
from appcomply.identity.service._env import IdentityEnv
from appcomply.identity.service._verify import Started, start_verification
from appcomply.kernel.context import Ctx


def start_reverification(ctx: Ctx, user_id: uuid.UUID, *, env: IdentityEnv, client_ip: str | None) -> Started | None:
    """Send a code to the user's latest verified phone, through the ordinary phone flow (its limits, its audit).

    None when the user never verified a phone (the caller decides what that means). The clear number exists
    only in this call's memory: it is unsealed from the verified row and sealed again in the new one.
    """
    user = accounts.get_user(ctx, user_id)
    stmt = (
        select(Verification)
        .where(
            Verification.user_id == user.id,
            Verification.method == rules.Method.PHONE.value,
            Verification.status == rules.Status.VERIFIED.value,
            Verification.phone_sealed.is_not(None),
        )
        .order_by(Verification.completed_at.desc(), Verification.id.desc())
        .limit(1)
    )
    row = ctx.session.scalars(stmt).first()
    if row is None or row.phone_sealed is None:
        return None
    phone = vault.open_sealed(env.keyring, row.phone_sealed, kind=vault.PiKind.PHONE, context=str(row.app_id))
    data = PhoneStart(method="phone", phone=phone, authorization_version=row.authorization_version)
    return start_verification(ctx, user.id, data, env=env, client_ip=client_ip)
