"""Read-only queries for staff: find an app's users by external ref or by a phone typed in full, the verified
methods of a page of users, which values a verification holds sealed, and the SMS outbox.

A phone is found through its keyed blind index, exactly as the verification flow stores it: the clear number
exists only in this call's memory, and no query ever compares clear or masked values.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlalchemy import or_, select

from appcomply import accounts, vault
from appcomply.identity import rules
from appcomply.identity.errors import InvalidMobileNumber, NotAMobileNumber, NotMainlandMobile
from appcomply.identity.models import SmsMessage, Verification
from appcomply.identity.service._env import IdentityEnv
from appcomply.kernel.context import Ctx

# The values a verification may hold sealed, in display order, with their columns.
SEALED_FIELDS: Final = (
    ("phone", "phone_sealed"),
    ("name", "name_sealed"),
    ("id_number", "id_number_sealed"),
    ("uscc", "uscc_sealed"),
)


@dataclass(frozen=True, slots=True)
class UserMatch:
    user: accounts.EndUser
    by: str  # "external_ref" or "phone"


def find_users(ctx: Ctx, app_id: uuid.UUID, query: str, *, env: IdentityEnv) -> list[UserMatch]:
    """Users of the app whose external ref is `query`, then those with a verification of that phone number.

    `query` must be a whole external ref or a whole mobile number (any form normalise_mobile accepts): a blind
    index finds equal values only, which is the point — there is no partial search over personal information.
    """
    query = query.strip()
    matches: list[UserMatch] = []
    by_ref = accounts.find_user_by_ref(ctx, app_id, query) if query else None
    if by_ref is not None:
        matches.append(UserMatch(by_ref, "external_ref"))
    seen = {m.user.id for m in matches}
    for user in _users_by_phone(ctx, app_id, query, env=env):
        if user.id not in seen:
            matches.append(UserMatch(user, "phone"))
    return matches


def _users_by_phone(ctx: Ctx, app_id: uuid.UUID, query: str, *, env: IdentityEnv) -> list[accounts.EndUser]:
    try:
        phone = rules.normalise_mobile(query)
    except (InvalidMobileNumber, NotMainlandMobile, NotAMobileNumber):
        return []
    index = vault.blind_index(env.index_key, phone, kind=vault.PiKind.PHONE, context=str(app_id))
    stmt = (
        select(Verification.user_id)
        .where(Verification.app_id == app_id, Verification.phone_index == index)
        .group_by(Verification.user_id)
        .order_by(Verification.user_id)
    )
    return [accounts.get_user(ctx, user_id) for user_id in ctx.session.scalars(stmt)]


def verified_methods_of(ctx: Ctx, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, frozenset[rules.Method]]:
    """Verified methods per user, for a page of users in one query."""
    if not user_ids:
        return {}
    stmt = (
        select(Verification.user_id, Verification.method)
        .where(Verification.user_id.in_(list(user_ids)), Verification.status == rules.Status.VERIFIED.value)
        .distinct()
    )
    found: dict[uuid.UUID, set[rules.Method]] = defaultdict(set)
    for user_id, method in ctx.session.execute(stmt):
        found[user_id].add(rules.Method(method))
    return {user_id: frozenset(found.get(user_id, ())) for user_id in user_ids}


def sealed_fields(row: Verification) -> list[str]:
    """The values this verification holds sealed, i.e. what a vault-role reveal could open."""
    return [field for field, column in SEALED_FIELDS if getattr(row, column) is not None]


def list_sms_messages(
    ctx: Ctx, *, app_id: uuid.UUID | None = None, limit: int = 50, before: uuid.UUID | None = None
) -> list[SmsMessage]:
    """SMS handed to a provider, newest first; `before` is the last message of the previous page (keyset)."""
    stmt = select(SmsMessage).order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(limit)
    if app_id is not None:
        stmt = stmt.where(SmsMessage.app_id == app_id)
    if before is not None:
        cursor = ctx.session.get(SmsMessage, before)
        if cursor is not None:
            stmt = stmt.where(
                or_(
                    SmsMessage.created_at < cursor.created_at,
                    (SmsMessage.created_at == cursor.created_at) & (SmsMessage.id < cursor.id),
                )
            )
    return list(ctx.session.scalars(stmt))
