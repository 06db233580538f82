"""Consent checks: may an activity process a user's PI now — and, per activity, the processing half of a user's
permissions. Read only: a check writes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Uuid, bindparam, select

from appcomply import accounts, identity
from appcomply.apps.rules import load_catalogue
from appcomply.consent import errors, rules
from appcomply.consent.models import ConsentProfile, ConsentState
from appcomply.consent.schemas import ActivityPermission, CheckRead, FullPermissionsRead
from appcomply.consent.service._cache import app_facts, policy_in_force
from appcomply.consent.service._ledger import GUARDIAN_SUBJECT, declared_age_now
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class _Facts:
    """What every decision about one user needs, read once."""

    app_types: list[int]
    states: dict[str, rules.ConsentAction]
    age: int | None
    guardian: bool
    policy_in_force: bool


# The user's side of every decision in one statement: the user's app, each current consent state (one row each, or
# one row of NULLs), the declared age and identity's latest verified age. Built once; SQLAlchemy caches its SQL.
_USER_ID: Final = bindparam("user_id", type_=Uuid())
_VERIFIED_AGE, _VERIFIED_AT = identity.verified_age_columns(accounts.EndUser.id)
_USER_FACTS: Final = (
    select(
        accounts.EndUser.app_id, ConsentState.subject, ConsentState.action, ConsentProfile.declared_age,
        ConsentProfile.declared_on, _VERIFIED_AGE, _VERIFIED_AT,
    )
    .select_from(accounts.EndUser)
    .outerjoin(ConsentState, ConsentState.user_id == accounts.EndUser.id)
    .outerjoin(ConsentProfile, ConsentProfile.user_id == accounts.EndUser.id)
    .where(accounts.EndUser.id == _USER_ID)
)  # fmt: skip


def _facts(ctx: Ctx, user_id: uuid.UUID) -> tuple[uuid.UUID, _Facts]:
    """(the user's app, the user's side of a decision), in one query. Refused: UserNotFound, also for a user of
    another app when an app's key asks (`accounts.get_user`'s rule)."""
    rows = ctx.session.connection().execute(_USER_FACTS, {"user_id": user_id}).all()
    if not rows or not accounts.visible(ctx, rows[0].app_id):
        raise accounts.UserNotFound("no such user", user_id=str(user_id))
    first, today = rows[0], ctx.clock.now().date()
    states = {r.subject: rules.ConsentAction(r.action) for r in rows if r.subject is not None}
    # A verified age wins over a declared one (`user_age`'s rule).
    age = identity.age_from(first.verified_age, first.verified_at, today)
    if age is None:
        age = declared_age_now(first.declared_age, first.declared_on, today)
    app_id = first.app_id
    return app_id, _Facts(
        app_types=list(app_facts(ctx, app_id).app_types), states=states, age=age,
        guardian=states.get(GUARDIAN_SUBJECT) is rules.ConsentAction.GRANTED,
        policy_in_force=policy_in_force(ctx, app_id),
    )  # fmt: skip


def _decide(activity: rules.Activity, facts: _Facts) -> rules.CheckDecision:
    return rules.decide(
        activity, app_types=facts.app_types, catalogue=load_catalogue(), pi_catalogue=rules.load_pi_catalogue(),
        states=facts.states, age=facts.age, guardian_consent=facts.guardian, policy_in_force=facts.policy_in_force,
    )  # fmt: skip


def check(ctx: Ctx, user_id: uuid.UUID, activity_key: str) -> CheckRead:
    """Allowed with the basis processing rests on, or denied with the reason. Refused: UserNotFound,
    ActivityNotFound. Necessary PI for a basic function is allowed on contract necessity once a privacy policy is
    in force; everything else needs its consent (and its separate consents, and a guardian's under 14)."""
    app_id, facts = _facts(ctx, user_id)
    activity = app_facts(ctx, app_id).activities.get(activity_key)
    if activity is None:
        raise errors.ActivityNotFound("no such processing activity in this app", activity=activity_key)
    decision = _decide(activity, facts)
    return CheckRead(
        user_id=user_id, activity=activity.key, allowed=decision.allowed, basis=decision.basis, reason=decision.reason,
        missing=list(decision.missing),
    )  # fmt: skip


def get_permissions(ctx: Ctx, user_id: uuid.UUID) -> FullPermissionsRead:
    """Identity's service actions (verification, agreements) and, per processing activity, whether it may process
    the user's PI. Consent never gates a service action: refusing non-essential PI costs no basic function."""
    service = identity.get_permissions(ctx, user_id)
    app_id, facts = _facts(ctx, user_id)
    app = app_facts(ctx, app_id)
    processing = []
    for key, activity in sorted(app.activities.items()):
        decision = _decide(activity, facts)
        processing.append(
            ActivityPermission(
                activity=key, basic=rules.is_basic(activity, facts.app_types), allowed=decision.allowed,
                basis=decision.basis, reason=decision.reason,
            )
        )  # fmt: skip
    return FullPermissionsRead(**service.model_dump(), processing=processing)
