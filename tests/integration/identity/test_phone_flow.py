"""The phone OTP flow at the service layer: what is stored, expiry, the five-attempt lock (Art 6, IDV-01)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appcomply import accounts, identity, vault
from appcomply.identity import rules, service
from appcomply.identity.errors import VerificationNotFound, VerificationNotPending
from appcomply.identity.models import SmsMessage
from appcomply.identity.schemas import PhoneStart
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app
from tests.integration.identity._helpers import E164, PHONE, assert_audit_clean, events_since, sent_code


def _start(ctx: Ctx, user: accounts.EndUser, env: IdentityEnv, phone: str = PHONE) -> service.Started:
    return service.start_verification(
        ctx, user.id, PhoneStart(method="phone", phone=phone), env=env, client_ip="203.0.113.9"
    )


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_code_is_sent_and_only_its_keyed_digest_is_stored(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    started = _start(app_ctx, user, env, phone="+86 138 0013 8000")
    row = started.verification
    code = sent_code(session, row.id)
    assert (row.status, row.result_code, started.retry_after) == ("pending", "identity.code_sent", None)
    assert row.otp_digest == rules.otp_digest(code, key=env.otp_key, verification_id=str(row.id))
    assert code not in (row.otp_digest or "")
    assert row.otp_expires_at == app_ctx.clock.now() + dt.timedelta(minutes=5)
    assert row.masked == {"phone": "138****8000"}
    assert vault.open_sealed(env.keyring, row.phone_sealed or "", kind=vault.PiKind.PHONE, context=str(row.app_id)) == (
        E164
    )
    assert PHONE not in (row.phone_sealed or "")
    assert PHONE not in (row.phone_index or "")
    assert events_since(session, audit_mark) == ["identity.verification.started"]
    assert_audit_clean(session, audit_mark, PHONE, code)


def test_the_sms_evidence_row_holds_the_masked_number_and_the_local_outbox_text(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv
) -> None:
    row = _start(app_ctx, user, env).verification
    sms = session.scalars(select(SmsMessage).where(SmsMessage.verification_id == row.id)).one()
    assert (sms.phone_masked, sms.provider, sms.accepted, sms.result_code) == (
        "138****8000",
        "local",
        True,
        "sms.accepted",
    )
    assert sms.phone_index == row.phone_index
    assert sms.ip_index is not None
    assert "203.0.113.9" not in sms.ip_index
    assert sms.dev_body is not None
    assert PHONE not in sms.dev_body
    assert (sms.provider_request_id, row.provider_request_id) == (f"local-{row.id}", f"local-{row.id}")


def test_the_right_code_verifies(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    row = _start(app_ctx, user, env).verification
    confirmed = service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env)
    assert (confirmed.status, confirmed.result_code, confirmed.otp_digest) == (
        "verified",
        "identity.code_matched",
        None,
    )
    assert confirmed.completed_at == app_ctx.clock.now()
    assert service.verified_methods(app_ctx, user.id) == {rules.Method.PHONE}
    assert events_since(session, audit_mark) == ["identity.verification.started", "identity.verification.succeeded"]
    assert_audit_clean(session, audit_mark, PHONE)


def test_a_code_expires_after_five_minutes_and_the_expiry_is_audited(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, clock: FixedClock, audit_mark: int
) -> None:
    row = _start(app_ctx, user, env).verification
    code = sent_code(session, row.id)
    clock.advance(identity.OTP_TTL)
    expired = service.confirm_verification(app_ctx, row.id, code, env=env)
    assert (expired.status, expired.result_code) == ("expired", "identity.code_expired")
    assert events_since(session, audit_mark)[-1] == "identity.verification.expired"
    with pytest.raises(VerificationNotPending):
        service.confirm_verification(app_ctx, row.id, code, env=env)
    assert service.verified_methods(app_ctx, user.id) == frozenset()
    assert_audit_clean(session, audit_mark, PHONE)


def test_a_code_is_still_good_just_before_it_expires(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, clock: FixedClock
) -> None:
    row = _start(app_ctx, user, env).verification
    clock.advance(identity.OTP_TTL - dt.timedelta(seconds=1))
    assert service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env).status == "verified"


def test_five_wrong_codes_lock_and_the_right_code_is_then_refused(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    row = _start(app_ctx, user, env).verification
    code = sent_code(session, row.id)
    outcomes = [
        (r.status, r.result_code, r.attempts)
        for r in (service.confirm_verification(app_ctx, row.id, _wrong(code), env=env) for _ in range(5))
    ]
    assert outcomes == [
        ("pending", "identity.code_wrong", 1),
        ("pending", "identity.code_wrong", 2),
        ("pending", "identity.code_wrong", 3),
        ("pending", "identity.code_wrong", 4),
        ("locked", "identity.code_locked", 5),
    ]
    with pytest.raises(VerificationNotPending) as refused:
        service.confirm_verification(app_ctx, row.id, code, env=env)
    assert refused.value.fields["verification_status"] == "locked"
    assert service.verified_methods(app_ctx, user.id) == frozenset()
    assert events_since(session, audit_mark) == [
        "identity.verification.started",
        *["identity.verification.code_rejected"] * 4,
        "identity.verification.locked",
    ]
    assert_audit_clean(session, audit_mark, PHONE, code)


def test_another_apps_key_cannot_confirm_or_read_the_verification(
    ctx: Ctx, app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv
) -> None:

    row = _start(app_ctx, user, env).verification
    other = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:other", app_id=make_app(ctx).id))
    with pytest.raises(VerificationNotFound):
        service.confirm_verification(other, row.id, sent_code(session, row.id), env=env)
    with pytest.raises(VerificationNotFound):
        service.get_verification(other, row.id)
    assert row.status == "pending"
    assert row.attempts == 0
