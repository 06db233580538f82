"""Data-subject requests (PIPL Arts 44–50; CPI-07): received with a due date 15 working days ahead, the requester
re-verified by an OTP to the phone they verified, performed across modules by compliance staff, and closed with a
bilingual outcome queued to the user's inbox. Legal holds forbid erasure while active."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from appcomply import accounts, audit, identity, notices
from appcomply.consent import errors, rules
from appcomply.consent.events import ConsentEvent as Event
from appcomply.consent.models import DataRequest, LegalHold
from appcomply.consent.schemas import DataRequestCreate
from appcomply.consent.service import _subject
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx
from appcomply.settings import ConsentSettings

K, S = rules.RequestKind, rules.RequestStatus
# The identity module's verification statuses this flow reads (its public API returns them as strings).
PENDING, VERIFIED = "pending", "verified"


def work_calendar(settings: ConsentSettings) -> rules.WorkCalendar:
    return rules.WorkCalendar(holidays=frozenset(settings.holidays), workdays=frozenset(settings.workdays))


def _ref(row: DataRequest) -> audit.Subject:
    return audit.Subject("data_request", str(row.id))


def _audit(ctx: Ctx, event: Event, row: DataRequest, **data: object) -> None:
    base = {"kind": row.kind, "status": row.status, "user_id": str(row.user_id) if row.user_id else None}
    audit.record(ctx, event, subject=_ref(row), app_id=row.app_id, data={**base, **data})


def get_request(ctx: Ctx, request_id: uuid.UUID) -> DataRequest:
    """The request, if the caller may see it: an app key sees only its app's (others do not exist to it)."""
    row = ctx.session.get(DataRequest, request_id)
    if row is None or (ctx.actor.kind is ActorKind.APP and row.app_id != ctx.actor.app_id):
        raise errors.RequestNotFound("no such data-subject request", request_id=str(request_id))
    return row


def list_requests(
    ctx: Ctx,
    *,
    app_id: uuid.UUID | None = None,
    status: rules.RequestStatus | None = None,
    kind: rules.RequestKind | None = None,
    limit: int = 50,
    before: uuid.UUID | None = None,
) -> list[DataRequest]:
    """Requests newest first (keyset on the time-ordered id), filtered by app, status and kind."""
    stmt = select(DataRequest).order_by(DataRequest.id.desc()).limit(limit)
    if app_id is not None:
        stmt = stmt.where(DataRequest.app_id == app_id)
    if status is not None:
        stmt = stmt.where(DataRequest.status == status.value)
    if kind is not None:
        stmt = stmt.where(DataRequest.kind == kind.value)
    if before is not None:
        stmt = stmt.where(DataRequest.id < before)
    return list(ctx.session.scalars(stmt))


def _move(row: DataRequest, target: rules.RequestStatus) -> None:
    _check(row, target)
    row.status = target.value


def _check(row: DataRequest, target: rules.RequestStatus) -> None:
    problem = rules.request_transition_problem(rules.RequestStatus(row.status), target)
    if problem == errors.RequestClosed.code:
        raise errors.RequestClosed(f"the request is {row.status}", request_status=row.status)
    if problem is not None:
        raise errors.RequestTransitionInvalid(
            f"a {row.status} request cannot become {target.value}", request_status=row.status
        )


def active_hold(ctx: Ctx, user_id: uuid.UUID) -> LegalHold | None:
    stmt = select(LegalHold).where(LegalHold.user_id == user_id, LegalHold.released_at.is_(None)).limit(1)
    return ctx.session.scalars(stmt).first()


def _refuse_if_held(ctx: Ctx, user_id: uuid.UUID, kind: rules.RequestKind) -> None:
    if rules.hold_blocks(kind, hold_active=active_hold(ctx, user_id) is not None):
        raise errors.LegalHoldActive(
            "a legal hold forbids erasing this user's data; the request cannot be taken now", kind=kind.value
        )


def open_request(
    ctx: Ctx,
    user_id: uuid.UUID,
    data: DataRequestCreate,
    *,
    identity_env: identity.IdentityEnv,
    calendar: rules.WorkCalendar,
    client_ip: str | None = None,
) -> DataRequest:
    """Receive a request and send the requester a code to their latest verified phone (status verifying).

    Due 15 working days after the Beijing date of receipt. Refused with nothing written: UserNotFound (another
    app's user), LegalHoldActive (deletion or cancellation under a hold), NoVerifiedPhone, VerificationNotSent (a
    send limit or the SMS gateway said no; retry later). Emits consent.request.received (and identity's own
    verification events).
    """
    user = accounts.get_user(ctx, user_id)
    _refuse_if_held(ctx, user.id, data.kind)
    started = identity.start_reverification(ctx, user.id, env=identity_env, client_ip=client_ip)
    if started is None:
        raise errors.NoVerifiedPhone("the user has no verified phone: the requester cannot be re-verified")
    verification = started.verification
    if verification.status != PENDING:
        raise errors.VerificationNotSent(
            "the code could not be sent", result_code=verification.result_code, retry_after=started.retry_after
        )
    now = ctx.clock.now()
    row = DataRequest(
        app_id=user.app_id, user_id=user.id, user_ref=str(user.id), kind=data.kind.value,
        status=S.RECEIVED.value, details=data.details, received_at=now, due_on=calendar.due(now),
        verification_id=verification.id, outcome="", outcome_en="",
    )  # fmt: skip
    _move(row, S.VERIFYING)
    ctx.session.add(row)
    ctx.session.flush()
    _audit(ctx, Event.REQUEST_RECEIVED, row, due_on=row.due_on.isoformat(), verification_id=str(verification.id))
    return row


def confirm_request(
    ctx: Ctx, request_id: uuid.UUID, code: str, *, identity_env: identity.IdentityEnv
) -> tuple[DataRequest, str]:
    """Check the requester's code: right → in_progress; wrong, expired or locked is a recorded outcome (D5).

    Returns the request and the verification's status. RequestTransitionInvalid / RequestClosed when the request
    is not waiting for a code; identity's VerificationNotPending once its code is locked or expired. Emits
    consent.request.verified or consent.request.code_rejected.
    """
    row = get_request(ctx, request_id)
    if row.status != S.VERIFYING.value or row.verification_id is None:
        _check(row, S.IN_PROGRESS)  # raises: only a verifying request takes a code
    assert row.verification_id is not None  # noqa: S101 - checked above
    verification = identity.confirm_verification(ctx, row.verification_id, code, env=identity_env)
    if verification.status == VERIFIED:
        _move(row, S.IN_PROGRESS)
        row.verified_at = ctx.clock.now()
        _audit(ctx, Event.REQUEST_VERIFIED, row)
    else:
        _audit(ctx, Event.REQUEST_CODE_REJECTED, row, result_code=verification.result_code)
    return row, verification.status


def verification_status(ctx: Ctx, row: DataRequest) -> str | None:
    if row.verification_id is None:
        return None
    return identity.get_verification(ctx, row.verification_id).status


def complete_request(ctx: Ctx, request_id: uuid.UUID, *, note: str) -> DataRequest:
    """Perform a verified request and close it completed, with its outcome queued to the user's inbox.

    access / copy / portability → the export; withdrawal → every standing grant withdrawn on the ledger;
    deletion / cancellation → erased or anonymised across modules, the outcome saying what was kept and why;
    correction / explanation → the staff note is the outcome. LegalHoldActive (a hold placed since receipt),
    RequestTransitionInvalid (not verified), RequestClosed, RequestNotFound (the user is gone). Emits
    consent.request.closed (and each module's own events).
    """
    row = get_request(ctx, request_id)
    _check(row, S.COMPLETED)
    if row.user_id is None:
        raise errors.RequestNotFound("the request's user no longer exists", request_id=str(request_id))
    user = accounts.get_user(ctx, row.user_id)
    kind = rules.RequestKind(row.kind)
    _refuse_if_held(ctx, user.id, kind)
    if kind in rules.EXPORT_KINDS:
        row.export = _subject.build_export(ctx, user, request_id=row.id)
        outcome = _subject.exported_outcome(kind, note)
    elif kind is K.WITHDRAWAL:
        outcome = _subject.withdrawn_outcome(_subject.withdraw_standing(ctx, user), note)
    elif kind in rules.ERASE_KINDS:
        kept = _subject.erase_everywhere(ctx, user, cancel=kind is K.CANCELLATION)
        _audit(ctx, Event.REQUEST_ERASED, row, kept=len(kept))
        outcome = _subject.erased_outcome(kind, kept, note)
    else:
        outcome = _subject.answered_outcome(note)
    _move(row, S.COMPLETED)
    return _close(ctx, row, outcome)


def reject_request(ctx: Ctx, request_id: uuid.UUID, *, reason: str) -> DataRequest:
    """Close a request rejected, with the reasons given to the user (PIPL Art 50). Emits consent.request.closed."""
    row = get_request(ctx, request_id)
    _move(row, S.REJECTED)
    return _close(ctx, row, _subject.rejected_outcome(reason))


def _close(ctx: Ctx, row: DataRequest, outcome: _subject.Outcome) -> DataRequest:
    row.outcome_code, row.outcome, row.outcome_en = outcome.code, outcome.zh, outcome.en
    row.closed_at, row.closed_by = ctx.clock.now(), ctx.actor.label
    ctx.session.flush()
    if row.user_id is not None:
        notices.enqueue(
            ctx, app_id=row.app_id, user_id=row.user_id, channel=notices.Channel.INBOX,
            subject=outcome.subject, body=f"{outcome.zh}\n\n{outcome.en}", reason=_ref(row),
        )  # fmt: skip
    _audit(ctx, Event.REQUEST_CLOSED, row, outcome_code=outcome.code)
    return row


def read_export(ctx: Ctx, request_id: uuid.UUID) -> tuple[DataRequest, dict[str, Any] | None]:
    row = get_request(ctx, request_id)
    return row, row.export


# --- legal holds ----------------------------------------------------------------------------------------------------


def _hold_ref(hold: LegalHold) -> audit.Subject:
    return audit.Subject("legal_hold", str(hold.id))


def place_hold(ctx: Ctx, user_id: uuid.UUID, *, reason: str) -> LegalHold:
    """Forbid erasing the user's data until released (an investigation, a court order, a dispute).

    Emits consent.hold.placed with the reason (staff text; the audit guard refuses a clear phone or ID in it).
    """
    user = accounts.get_user(ctx, user_id)
    hold = LegalHold(
        app_id=user.app_id, user_id=user.id, reason=reason, placed_by=ctx.actor.label, placed_at=ctx.clock.now()
    )
    ctx.session.add(hold)
    ctx.session.flush()
    audit.record(
        ctx, Event.HOLD_PLACED, subject=_hold_ref(hold), app_id=user.app_id,
        data={"user_id": str(user.id), "reason": reason},
    )  # fmt: skip
    return hold


def list_holds(ctx: Ctx, user_id: uuid.UUID) -> list[LegalHold]:
    user = accounts.get_user(ctx, user_id)
    stmt = select(LegalHold).where(LegalHold.user_id == user.id).order_by(LegalHold.id.desc())
    return list(ctx.session.scalars(stmt))


def release_hold(ctx: Ctx, user_id: uuid.UUID, hold_id: uuid.UUID) -> LegalHold:
    """Release a hold. HoldNotFound (not this user's), HoldAlreadyReleased. Emits consent.hold.released."""
    user = accounts.get_user(ctx, user_id)
    hold = ctx.session.get(LegalHold, hold_id)
    if hold is None or hold.user_id != user.id:
        raise errors.HoldNotFound("no such legal hold on this user", hold_id=str(hold_id))
    if hold.released_at is not None:
        raise errors.HoldAlreadyReleased("the hold is already released", hold_id=str(hold_id))
    hold.released_at, hold.released_by = ctx.clock.now(), ctx.actor.label
    ctx.session.flush()
    audit.record(ctx, Event.HOLD_RELEASED, subject=_hold_ref(hold), app_id=hold.app_id, data={"user_id": str(user.id)})
    return hold
