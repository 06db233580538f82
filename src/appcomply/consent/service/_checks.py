"""Consent checks: may an activity process a user's PI now — and, per activity, the processing half of a user's
permissions. Read only: a check writes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from appcomply import accounts, identity
from appcomply.apps.rules import load_catalogue
from appcomply.consent import errors, rules
from appcomply.consent.schemas import ActivityPermission, CheckRead, FullPermissionsRead
from appcomply.consent.service._cache import app_facts, policy_in_force
from appcomply.consent.service._ledger import GUARDIAN_SUBJECT, user_age, user_states
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class _Facts:
    """What every decision about one user needs, read once."""

    app_types: list[int]
    states: dict[str, rules.ConsentAction]
    age: int | None
    guardian: bool
    policy_in_force: bool


def _facts(ctx: Ctx, user: accounts.EndUser, app_types: tuple[int, ...], *, needs_age: bool) -> _Facts:
    """The user's side of a decision; the age (two more queries) only when a consent-based activity is decided."""
    states = {subject: rules.ConsentAction(s.action) for subject, s in user_states(ctx, user.id).items()}
    return _Facts(
        app_types=list(app_types), states=states, age=user_age(ctx, user) if needs_age else None,
        guardian=states.get(GUARDIAN_SUBJECT) is rules.ConsentAction.GRANTED,
        policy_in_force=policy_in_force(ctx, user.app_id),
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
    user = accounts.get_user(ctx, user_id)
    app = app_facts(ctx, user.app_id)
    activity = app.activities.get(activity_key)
    if activity is None:
        raise errors.ActivityNotFound("no such processing activity in this app", activity=activity_key)
    consent_based = rules.effective_basis(activity, app.app_types, load_catalogue()) is rules.LegalBasis.CONSENT
    decision = _decide(activity, _facts(ctx, user, app.app_types, needs_age=consent_based))
    return CheckRead(
        user_id=user.id, activity=activity.key, allowed=decision.allowed, basis=decision.basis, reason=decision.reason,
        missing=list(decision.missing),
    )  # fmt: skip


def get_permissions(ctx: Ctx, user_id: uuid.UUID) -> FullPermissionsRead:
    """Identity's service actions (verification, agreements) and, per processing activity, whether it may process
    the user's PI. Consent never gates a service action: refusing non-essential PI costs no basic function."""
    # The user first, held while identity reads it too: the session's identity map holds rows weakly, so identity's
    # own reference going out of scope would cost a second read of the same row.
    user = accounts.get_user(ctx, user_id)
    service = identity.get_permissions(ctx, user_id)
    app = app_facts(ctx, user.app_id)
    facts = _facts(ctx, user, app.app_types, needs_age=True)
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
