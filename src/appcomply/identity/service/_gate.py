"""Service gating (IDV-07): what a user may do given their verified identity, under the app's policy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from sqlalchemy import ColumnElement, Label, Select, Uuid, bindparam, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from appcomply import accounts, agreements, audit
from appcomply.db.cache import AppCache
from appcomply.identity import rules
from appcomply.identity.events import IdentityEvent
from appcomply.identity.models import IdentityPolicy, Verification
from appcomply.identity.schemas import PermissionRead, PermissionsRead
from appcomply.kernel.context import Ctx

_POLICIES: AppCache[dict[rules.Action, rules.Requirement]] = AppCache(IdentityPolicy)


def get_policy(ctx: Ctx, app_id: uuid.UUID) -> dict[rules.Action, rules.Requirement]:
    """The app's requirement per action: its own settings over the Art 6 defaults (a fresh dict: callers may keep
    or change it)."""
    return dict(_POLICIES.get(ctx.session, app_id, lambda: _read_policy(ctx, app_id)))


def _read_policy(ctx: Ctx, app_id: uuid.UUID) -> dict[rules.Action, rules.Requirement]:
    row = ctx.session.get(IdentityPolicy, app_id)
    stored = row.requirements if row else {}
    return {
        action: rules.Requirement(stored.get(action.value, default.value))
        for action, default in rules.DEFAULT_POLICY.items()
    }


def set_policy(ctx: Ctx, app_id: uuid.UUID, requirements: dict[rules.Action, rules.Requirement]) -> None:
    """Change the app's gating policy. Emits identity.policy.changed with before and after."""
    before = get_policy(ctx, app_id)
    merged = {**before, **requirements}
    row = ctx.session.get(IdentityPolicy, app_id)
    stored = {a.value: r.value for a, r in merged.items()}
    if row is None:
        ctx.session.add(IdentityPolicy(app_id=app_id, requirements=stored, updated_at=ctx.clock.now()))
    else:
        row.requirements, row.updated_at = stored, ctx.clock.now()
    changed = {a.value: {"from": before[a].value, "to": r.value} for a, r in merged.items() if before[a] != r}
    if changed:
        audit.record(
            ctx, IdentityEvent.POLICY_CHANGED, subject=audit.Subject("app", str(app_id)), app_id=app_id,
            data={"changed": changed},
        )  # fmt: skip
    ctx.session.flush()


def verified_methods(ctx: Ctx, user_id: uuid.UUID) -> frozenset[rules.Method]:
    stmt = select(Verification.method).where(
        Verification.user_id == user_id, Verification.status == rules.Status.VERIFIED.value
    )
    return frozenset(rules.Method(m) for m in ctx.session.scalars(stmt).unique())


# The user's app and status with each verified method (one row each, or one row with no method), in one statement.
_USER_METHODS: Final = (
    select(accounts.EndUser.app_id, accounts.EndUser.status, Verification.method)
    .select_from(accounts.EndUser)
    .outerjoin(
        Verification,
        (Verification.user_id == accounts.EndUser.id) & (Verification.status == rules.Status.VERIFIED.value),
    )
    .where(accounts.EndUser.id == bindparam("user_id", type_=Uuid()))
)


def get_permissions(ctx: Ctx, user_id: uuid.UUID) -> PermissionsRead:
    """Allowed or denied, with a reason code, for every service action (read only; nothing is written). One query for
    the user and the verified methods, one for the user's acceptances while the app's policies are in memory.
    Refused: UserNotFound (also for a user of another app when an app's key asks)."""
    rows = ctx.session.connection().execute(_USER_METHODS, {"user_id": user_id}).all()
    if not rows or not accounts.visible(ctx, rows[0].app_id):
        raise accounts.UserNotFound("no such user", user_id=str(user_id))
    app_id, status = rows[0].app_id, rows[0].status
    methods = frozenset(rules.Method(r.method) for r in rows if r.method is not None)
    policy = get_policy(ctx, app_id)
    # Service also waits on the app's required agreements (Art 16): checked only after identity's own reasons, so
    # an unverified user is told to verify first (identity.unverified wins over agreements.pending).
    pending = bool(agreements.pending_kinds(ctx, app_id, user_id))
    decisions = [
        (_gate_on_agreements(rules.decide(action, requirement, verified=methods, account_status=status), pending),
         requirement)
        for action, requirement in policy.items()
    ]  # fmt: skip
    return PermissionsRead(
        user_id=user_id,
        verified_methods=sorted(methods),
        permissions=[
            PermissionRead(action=d.action, allowed=d.allowed, reason=d.reason, requirement=req) for d, req in decisions
        ],
    )


def _gate_on_agreements(decision: rules.Decision, pending: bool) -> rules.Decision:
    """Deny everything but browsing while a required acceptance is missing (reason agreements.pending)."""
    if not decision.allowed or not pending or decision.action is rules.Action.BROWSE:
        return decision
    return rules.Decision(decision.action, allowed=False, reason="agreements.pending")


def _latest_verified_age(
    user_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
) -> Select[int | None, dt.datetime | None]:
    return (
        select(Verification.age_at_verification, Verification.completed_at)
        .where(
            Verification.user_id == user_id,
            Verification.status == rules.Status.VERIFIED.value,
            Verification.age_at_verification.is_not(None),
        )
        .order_by(Verification.completed_at.desc())
        .limit(1)
    )


def verified_age_columns(
    user_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
) -> tuple[Label[int | None], Label[dt.datetime | None]]:
    """For another module's one-statement read of a user: the age at the latest resident-ID verification and when
    it completed, as correlated subqueries on `user_id`; `age_from` turns them into the age today."""
    latest = _latest_verified_age(user_id)
    return (
        latest.with_only_columns(Verification.age_at_verification).scalar_subquery().label("verified_age"),
        latest.with_only_columns(Verification.completed_at).scalar_subquery().label("verified_at"),
    )


def age_from(age: int | None, completed_at: dt.datetime | None, today: dt.date) -> int | None:
    """The age today from a verification's age and completion time (None when either is missing)."""
    if age is None or completed_at is None:
        return None
    return age + rules.age_on(completed_at.date(), today)


def verified_age(ctx: Ctx, user_id: uuid.UUID) -> int | None:
    """The user's age in full years from the latest resident-ID verification, or None when none verified one.

    Only the age at verification is kept (not the birth date); adding the whole years since then never counts a
    user older than they are, so an under-14 or under-18 rule errs on the side of the child.
    """
    row = ctx.session.execute(_latest_verified_age(literal(user_id, Uuid()))).first()
    if row is None:
        return None
    return age_from(row[0], row[1], ctx.clock.now().date())
