"""The phone a user verified: re-verifying them (a data-subject request, a sensitive change) with a fresh OTP to it,
and reaching a page of users at it (security notices)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select

from appcomply import accounts, vault
from appcomply.identity import rules
from appcomply.identity.models import Verification
from appcomply.identity.schemas import PhoneStart
from appcomply.identity.service._env import IdentityEnv
from appcomply.identity.service._verify import Started, start_verification
from appcomply.kernel.context import Ctx

_VERIFIED_PHONE = (
    Verification.method == rules.Method.PHONE.value,
    Verification.status == rules.Status.VERIFIED.value,
    Verification.phone_sealed.is_not(None),
)


def start_reverification(ctx: Ctx, user_id: uuid.UUID, *, env: IdentityEnv, client_ip: str | None) -> Started | None:
    """Send a code to the user's latest verified phone, through the ordinary phone flow (its limits, its audit).

    None when the user never verified a phone (the caller decides what that means). The clear number exists
    only in this call's memory: it is unsealed from the verified row and sealed again in the new one.
    """
    user = accounts.get_user(ctx, user_id)
    stmt = (
        select(Verification)
        .where(Verification.user_id == user.id, *_VERIFIED_PHONE)
        .order_by(Verification.completed_at.desc(), Verification.id.desc())
        .limit(1)
    )
    row = ctx.session.scalars(stmt).first()
    if row is None or row.phone_sealed is None:
        return None
    phone = vault.open_sealed(env.keyring, row.phone_sealed, kind=vault.PiKind.PHONE, context=str(row.app_id))
    data = PhoneStart(method="phone", phone=phone, authorization_version=row.authorization_version)
    return start_verification(ctx, user.id, data, env=env, client_ip=client_ip)


def verified_phones(
    ctx: Ctx, app_id: uuid.UUID, user_ids: Collection[uuid.UUID], *, keyring: vault.Keyring
) -> dict[uuid.UUID, str]:
    """The latest verified phone (E.164) of each of the app's `user_ids` that has one: one query for the page.

    Users who never verified a phone are absent (the caller counts them). Clear numbers exist only in the returned
    mapping; the caller seals them again wherever it keeps them (the notices outbox does).
    """
    if not user_ids:
        return {}
    stmt = (
        select(Verification.user_id, Verification.phone_sealed)
        .where(Verification.app_id == app_id, Verification.user_id.in_(list(user_ids)), *_VERIFIED_PHONE)
        .order_by(Verification.user_id, Verification.completed_at.desc(), Verification.id.desc())
    )
    phones: dict[uuid.UUID, str] = {}
    context = str(app_id)
    for user_id, sealed in ctx.session.execute(stmt):
        if user_id not in phones and sealed is not None:
            phones[user_id] = vault.open_sealed(keyring, sealed, kind=vault.PiKind.PHONE, context=context)
    return phones
