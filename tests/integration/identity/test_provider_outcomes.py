"""What a provider's answer does: a business refusal is a recorded failure (D5); no answer at all writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts
from appcomply.audit.models import AuditEntry
from appcomply.identity import service
from appcomply.identity.models import SmsMessage, Verification
from appcomply.identity.ports import (
    CheckResult,
    EnterpriseCheckResult,
    IdCheckOutcome,
    IdCheckResult,
    ProviderUnavailable,
    SmsReceipt,
    SmsResult,
)
from appcomply.identity.providers import IdentityProviders, LocalEnterpriseChecker, LocalIdentityChecker
from appcomply.identity.schemas import IdCardStart, OrganizationStart, PhoneStart, VerificationStart
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.context import Ctx
from tests.integration.identity._helpers import ID_NUMBER, NAME, PHONE, USCC, assert_audit_clean, events_since


class VendorSms:
    """A gateway that answers every send with a fixed receipt (or raises)."""

    def __init__(self, *, accepted: bool, result: str, fail: Exception | None = None) -> None:
        self.accepted, self.result, self.fail = accepted, result, fail
        self.sent: list[str] = []

    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceipt:  # noqa: ARG002 (the port names them)
        if self.fail is not None:
            raise self.fail
        self.sent.append(phone_e164)
        return SmsReceipt("fakevendor", f"fv-{request_ref}", self.accepted, self.result, "vendor says so")


class VendorIdentity:
    def __init__(self, *, outcome: IdCheckOutcome, code: str, fail: Exception | None = None) -> None:
        self.outcome, self.code, self.fail = outcome, code, fail

    def check(self, *, name: str, id_number: str, request_ref: str) -> IdCheckResult:  # noqa: ARG002 (the port names them)
        if self.fail is not None:
            raise self.fail
        return IdCheckResult("fakevendor", f"fv-{request_ref}", self.outcome, self.code)


class VendorEnterprise:
    def __init__(self, *, fail: Exception | None = None) -> None:
        self.fail = fail

    def check(self, *, org_name: str, uscc: str, request_ref: str) -> EnterpriseCheckResult:  # noqa: ARG002 (the port names them)
        if self.fail is not None:
            raise self.fail
        return EnterpriseCheckResult("fakevendor", f"fv-{request_ref}", IdCheckOutcome.NOT_FOUND, CheckResult.NOT_FOUND)


def _with(env: IdentityEnv, **providers: object) -> IdentityEnv:
    base = {"sms": env.providers.sms, "identity": LocalIdentityChecker(), "enterprise": LocalEnterpriseChecker()}
    return dataclasses.replace(env, providers=IdentityProviders(**{**base, **providers}))  # type: ignore[arg-type]


def _counts(session: Session) -> tuple[int, int, int]:
    session.flush()
    return tuple(  # type: ignore[return-value]
        int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Verification, SmsMessage, AuditEntry)
    )


def test_a_refused_sms_fails_the_verification_with_the_vendors_result_code(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    sms = VendorSms(accepted=False, result=SmsResult.RECIPIENT_BLOCKED)
    row = service.start_verification(
        app_ctx, user.id, PhoneStart(method="phone", phone=PHONE), env=_with(env, sms=sms), client_ip=None
    ).verification
    assert (row.status, row.result_code, row.provider) == ("failed", "sms.recipient_blocked", "fakevendor")
    assert row.provider_request_id == f"fv-{row.id}"
    assert row.otp_digest is None
    assert row.completed_at == app_ctx.clock.now()
    evidence = session.scalars(select(SmsMessage).where(SmsMessage.verification_id == row.id)).one()
    assert (evidence.accepted, evidence.result_code, evidence.phone_masked) == (
        False,
        "sms.recipient_blocked",
        "138****8000",
    )
    assert evidence.dev_body is None
    assert events_since(session, audit_mark) == ["identity.verification.failed"]
    assert_audit_clean(session, audit_mark, PHONE)


def test_a_vendor_keeps_no_message_text_even_when_it_accepts(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv
) -> None:
    sms = VendorSms(accepted=True, result=SmsResult.ACCEPTED)
    row = service.start_verification(
        app_ctx, user.id, PhoneStart(method="phone", phone=PHONE), env=_with(env, sms=sms), client_ip=None
    ).verification
    assert row.status == "pending"
    assert sms.sent == ["+8613800138000"]
    evidence = session.scalars(select(SmsMessage).where(SmsMessage.verification_id == row.id)).one()
    assert (evidence.provider, evidence.dev_body) == ("fakevendor", None)


def test_an_id_mismatch_is_a_recorded_failure(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    checker = VendorIdentity(outcome=IdCheckOutcome.MISMATCH, code=CheckResult.MISMATCH)
    start = IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER)
    row = service.start_verification(
        app_ctx, user.id, start, env=_with(env, identity=checker), client_ip=None
    ).verification
    assert (row.status, row.result_code) == ("failed", "idcheck.mismatch")
    assert service.verified_methods(app_ctx, user.id) == frozenset()
    assert events_since(session, audit_mark) == ["identity.verification.failed"]
    assert_audit_clean(session, audit_mark, NAME, ID_NUMBER)


def test_an_unknown_organisation_fails_without_sending_a_code(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv
) -> None:
    sms = VendorSms(accepted=True, result=SmsResult.ACCEPTED)
    start = OrganizationStart(method="organization", org_name="某某科技有限公司", uscc=USCC, phone=PHONE)
    row = service.start_verification(
        app_ctx, user.id, start, env=_with(env, sms=sms, enterprise=VendorEnterprise()), client_ip=None
    ).verification
    assert (row.status, row.result_code) == ("failed", "idcheck.not_found")
    assert sms.sent == []
    assert user.verified_org_name is None


UNAVAILABLE = ProviderUnavailable("fakevendor: no answer (ConnectTimeout)", provider="fakevendor", reason="timeout")
STARTS: dict[str, tuple[VerificationStart, dict[str, object]]] = {
    "sms": (PhoneStart(method="phone", phone=PHONE), {"sms": VendorSms(accepted=True, result="x", fail=UNAVAILABLE)}),
    "id_check": (
        IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER),
        {"identity": VendorIdentity(outcome=IdCheckOutcome.MATCH, code="x", fail=UNAVAILABLE)},
    ),
    "enterprise_check": (
        OrganizationStart(method="organization", org_name="某某科技有限公司", uscc=USCC, phone=PHONE),
        {"enterprise": VendorEnterprise(fail=UNAVAILABLE)},
    ),
}


@pytest.mark.parametrize(("start", "providers"), STARTS.values(), ids=STARTS.keys())
def test_a_provider_that_gives_no_answer_leaves_nothing_written(
    app_ctx: Ctx,
    session: Session,
    user: accounts.EndUser,
    env: IdentityEnv,
    start: VerificationStart,
    providers: dict[str, object],
) -> None:
    before = _counts(session)
    with pytest.raises(ProviderUnavailable) as unavailable, session.begin_nested():  # the entrypoint's unit of work
        service.start_verification(app_ctx, user.id, start, env=_with(env, **providers), client_ip="203.0.113.9")
    assert unavailable.value.code == "identity.provider.unavailable"
    assert _counts(session) == before
    assert session.scalars(select(Verification).where(Verification.user_id == user.id)).all() == []
