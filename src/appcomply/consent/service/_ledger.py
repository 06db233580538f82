"""The consent ledger: append-only answers (granted, refused, withdrawn) with the policy version shown, each
user's current state per subject, declared ages and guardians' consent."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from appcomply import accounts, agreements, audit, identity
from appcomply.consent import errors, rules
from appcomply.consent.events import ConsentEvent as Event
from appcomply.consent.models import ConsentEvent, ConsentProfile, ConsentState
from appcomply.consent.schemas import AgeDeclaration, ConsentCreate, GuardianCreate
from appcomply.consent.service._convert import to_rule
from appcomply.consent.service._map import find_activity
from appcomply.kernel.context import Ctx

# The ledger subject of a guardian's consent for a child under 14 (PIPL Art 31); no activity key contains "#".
GUARDIAN_SUBJECT = "#guardian"
ADULT_AGE = 18


def user_states(ctx: Ctx, user_id: uuid.UUID) -> dict[str, ConsentState]:
    return {s.subject: s for s in ctx.session.scalars(select(ConsentState).where(ConsentState.user_id == user_id))}


def _append(
    ctx: Ctx,
    user: accounts.EndUser,
    *,
    subject: str,
    action: rules.ConsentAction,
    policy: agreements.PolicyVersionRef,
    channel: str,
    client_time: dt.datetime,
    activity_key: str | None = None,
    separate: rules.SeparateConsent | None = None,
    guardian_user_id: uuid.UUID | None = None,
) -> ConsentEvent:
    """Write one ledger entry and move the subject's current state, in the caller's transaction."""
    now = ctx.clock.now()
    event = ConsentEvent(
        app_id=user.app_id, user_id=user.id, subject=subject, activity_key=activity_key,
        separate=separate.value if separate else None, action=action.value, policy_version_id=policy.id,
        policy_version_number=policy.number, channel=channel, client_time=client_time,
        guardian_user_id=guardian_user_id, recorded_at=now,
    )  # fmt: skip
    ctx.session.add(event)
    ctx.session.flush()
    state = ctx.session.get(ConsentState, (user.id, subject), with_for_update=True)
    if state is None:
        ctx.session.add(ConsentState(user_id=user.id, subject=subject, app_id=user.app_id, action=action.value,
                                     event_id=event.id, updated_at=now))  # fmt: skip
    else:
        state.action, state.event_id, state.updated_at = action.value, event.id, now
    return event


def _policy(ctx: Ctx, app_id: uuid.UUID, version_id: uuid.UUID | None) -> agreements.PolicyVersionRef:
    if version_id is None:
        raise errors.PolicyVersionRequired("say which privacy-policy version the user was shown: policy_version_id")
    return agreements.shown_privacy_version(ctx, app_id, version_id)


def record_consent(ctx: Ctx, user_id: uuid.UUID, data: ConsentCreate) -> ConsentEvent:
    """Record a user's answer for an activity, or for one separate consent of it.

    Refused with nothing written: UserNotFound (another app's user), ActivityNotFound, SeparateNotApplicable,
    PolicyVersionRequired / the version's own refusals, ChannelRequired, CannotWithdraw (nothing standing).
    Refusing a standing grant is recorded as a withdrawal (PIPL Art 15). Emits consent.ledger.recorded.
    """
    user = accounts.get_user(ctx, user_id)
    row = find_activity(ctx, user.app_id, data.activity)
    if data.separate is not None:
        activity = to_rule(row)
        allowed = rules.required_separate(activity, rules.load_pi_catalogue()) | activity.separate
        if data.separate not in allowed:
            raise errors.SeparateNotApplicable(
                f"activity '{row.key}' neither needs nor asks a separate consent of kind '{data.separate}'",
                applicable=sorted(allowed),
            )
        subject = rules.separate_subject(row.key, data.separate)
    else:
        subject = row.key
    policy = _policy(ctx, user.app_id, data.policy_version_id)
    if data.channel is None:
        raise errors.ChannelRequired("say where the user answered: channel is required")
    current = user_states(ctx, user.id).get(subject)
    now_action = rules.ConsentAction(current.action) if current else None
    problem = rules.transition_problem(now_action, data.action)
    if problem is not None:
        raise errors.CannotWithdraw(f"'{subject}' has no standing consent to withdraw", subject=subject)
    action = rules.recorded_action(now_action, data.action)
    event = _append(
        ctx, user, subject=subject, action=action, policy=policy, channel=data.channel.value,
        client_time=data.client_time, activity_key=row.key, separate=data.separate,
    )  # fmt: skip
    audit.record(
        ctx, Event.CONSENT_RECORDED, subject=audit.Subject("end_user", str(user.id)), app_id=user.app_id,
        data={"subject": subject, "action": action.value, "policy_version": policy.number, "channel": event.channel},
    )  # fmt: skip
    return event


def list_consents(
    ctx: Ctx, user_id: uuid.UUID, *, limit: int = 100, before: uuid.UUID | None = None
) -> tuple[list[ConsentState], list[ConsentEvent]]:
    """The user's current state per subject and the ledger newest first (keyset on the time-ordered id)."""
    user = accounts.get_user(ctx, user_id)
    states = sorted(user_states(ctx, user.id).values(), key=lambda s: s.subject)
    stmt = select(ConsentEvent).where(ConsentEvent.user_id == user.id)
    if before is not None:
        stmt = stmt.where(ConsentEvent.id < before)
    return states, list(ctx.session.scalars(stmt.order_by(ConsentEvent.id.desc()).limit(limit)))


def _profile(ctx: Ctx, user: accounts.EndUser) -> ConsentProfile:
    row = ctx.session.get(ConsentProfile, user.id, with_for_update=True)
    if row is None:
        row = ConsentProfile(user_id=user.id, app_id=user.app_id, updated_at=ctx.clock.now())
        ctx.session.add(row)
    return row


def declare_age(ctx: Ctx, user_id: uuid.UUID, data: AgeDeclaration) -> ConsentProfile:
    """Record the age a user declared (used when no verified resident ID gives one). Emits consent.age.declared."""
    user = accounts.get_user(ctx, user_id)
    row = _profile(ctx, user)
    row.declared_age, row.declared_on, row.updated_at = data.age, ctx.clock.now().date(), ctx.clock.now()
    ctx.session.flush()
    audit.record(
        ctx, Event.AGE_DECLARED, subject=audit.Subject("end_user", str(user.id)), app_id=user.app_id,
        data={"under_14": data.age < rules.GUARDIAN_AGE},
    )  # fmt: skip
    return row


def user_age(ctx: Ctx, user: accounts.EndUser) -> int | None:
    """A verified age wins over a declared one; a declared age grows with the years since it was declared."""
    verified = identity.verified_age(ctx, user.id)
    if verified is not None:
        return verified
    row = ctx.session.get(ConsentProfile, user.id)
    return None if row is None else declared_age_now(row.declared_age, row.declared_on, ctx.clock.now().date())


def declared_age_now(declared_age: int | None, declared_on: dt.date | None, today: dt.date) -> int | None:
    """A declared age grows with the whole years since it was declared."""
    if declared_age is None or declared_on is None:
        return None
    return declared_age + identity.age_on(declared_on, today)


def record_guardian_consent(ctx: Ctx, user_id: uuid.UUID, data: GuardianCreate) -> ConsentEvent:
    """A guardian's consent to the processing of a child's PI (PIPL Art 31): the guardian must be another user of
    the same app, verified by resident ID as an adult. Refused: GuardianInvalid, PolicyVersionRequired,
    ChannelRequired. Emits consent.guardian.recorded."""
    user = accounts.get_user(ctx, user_id)
    guardian = ctx.session.get(accounts.EndUser, data.guardian_user_id)
    if guardian is None or guardian.app_id != user.app_id or guardian.id == user.id:
        raise errors.GuardianInvalid("the guardian must be another user of the same app")
    age = identity.verified_age(ctx, guardian.id)
    if age is None or age < ADULT_AGE:
        raise errors.GuardianInvalid("the guardian must have verified a resident ID showing an adult (18 or over)")
    policy = _policy(ctx, user.app_id, data.policy_version_id)
    if data.channel is None:
        raise errors.ChannelRequired("say where the guardian answered: channel is required")
    event = _append(
        ctx, user, subject=GUARDIAN_SUBJECT, action=rules.ConsentAction.GRANTED, policy=policy,
        channel=data.channel.value, client_time=data.client_time, guardian_user_id=guardian.id,
    )  # fmt: skip
    profile = _profile(ctx, user)
    profile.guardian_user_id, profile.updated_at = guardian.id, ctx.clock.now()
    audit.record(
        ctx, Event.GUARDIAN_RECORDED, subject=audit.Subject("end_user", str(user.id)), app_id=user.app_id,
        data={"guardian_user_id": str(guardian.id), "policy_version": policy.number},
    )  # fmt: skip
    return event
