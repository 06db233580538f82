"""Verification use cases (Art 6): start by phone OTP, ID card or organisation; confirm a code; read.

Every attempt — verified, failed, refused, locked — is a committed outcome with its audit entry (D5). Clear values
exist only in memory: rows hold them sealed (vault) with a keyed blind index, and masked for display.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from appcomply import accounts, audit, vault
from appcomply.identity import rules
from appcomply.identity.errors import VerificationNotFound, VerificationNotPending
from appcomply.identity.events import IdentityEvent
from appcomply.identity.models import SmsMessage, Verification
from appcomply.identity.ports import IdCheckOutcome
from appcomply.identity.schemas import IdCardStart, OrganizationStart, VerificationStart
from appcomply.identity.service._env import IdentityEnv
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id

S = rules.Status


def _index(env: IdentityEnv, value: str, kind: vault.PiKind, app_id: uuid.UUID) -> str:
    return vault.blind_index(env.index_key, value, kind=kind, context=str(app_id))


def _seal(env: IdentityEnv, value: str, kind: vault.PiKind, app_id: uuid.UUID) -> str:
    return vault.seal(env.keyring, value, kind=kind, context=str(app_id))


@dataclass(frozen=True, slots=True)
class Started:
    verification: Verification
    retry_after: int | None = None  # seconds, when refused by a send limit


def start_verification(
    ctx: Ctx, user_id: uuid.UUID, data: VerificationStart, *, env: IdentityEnv, client_ip: str | None
) -> Started:
    """Start verifying a user. Phone and organisation send a code (status pending); an ID card is checked at once.

    Invalid identifiers raise their specific Invalid error before anything is written. Refusals (rate limits, a
    number bound to too many accounts) and provider verdicts are returned as the verification's status.
    Emits identity.verification.started / refused / succeeded / failed. ProviderUnavailable rolls back.
    """
    user = accounts.get_user(ctx, user_id)
    today = ctx.clock.now().date()
    row = Verification(
        id=new_id(),
        app_id=user.app_id,
        user_id=user.id,
        method=data.method,
        status=S.PENDING.value,
        result_code="",
        provider="",
        masked={},
        authorization_version=data.authorization_version or env.limits.authorization_text_version,
        attempts=0,
        created_at=ctx.clock.now(),
    )
    if isinstance(data, IdCardStart):
        number = rules.validate_id_number(data.id_number, today=today)
        _fill_id_card(row, env, name=data.name, number=number, today=today)
        ctx.session.add(row)
        result = env.providers.identity.check(name=data.name, id_number=number.number, request_ref=str(row.id))
        row.provider, row.provider_request_id = result.provider, result.provider_request_id
        _finish(ctx, row, user, ok=result.outcome is IdCheckOutcome.MATCH, code=result.result_code)
        return Started(row)
    phone = rules.normalise_mobile(data.phone)
    _fill_phone(row, env, phone)
    uscc = ""
    if isinstance(data, OrganizationStart):
        uscc = rules.validate_uscc(data.uscc)
        row.org_name = data.org_name
        row.uscc_sealed = _seal(env, uscc, vault.PiKind.USCC, user.app_id)
        row.uscc_index = _index(env, uscc, vault.PiKind.USCC, user.app_id)
        row.masked = {**row.masked, "uscc": rules.mask_uscc(uscc), "org_name": data.org_name}
    ctx.session.add(row)
    refused = _refusal(ctx, row, env, client_ip=client_ip)
    if refused is not None:
        code, retry_after = refused
        row.status, row.result_code, row.completed_at = S.REFUSED.value, code, ctx.clock.now()
        row.provider = "appcomply"
        _audit(ctx, IdentityEvent.VERIFICATION_REFUSED, row, extra={"retry_after": retry_after})
        ctx.session.flush()
        return Started(row, retry_after)
    if isinstance(data, OrganizationStart):
        check = env.providers.enterprise.check(org_name=data.org_name, uscc=uscc, request_ref=str(row.id))
        if check.outcome is not IdCheckOutcome.MATCH:
            row.provider, row.provider_request_id = check.provider, check.provider_request_id
            _finish(ctx, row, user, ok=False, code=check.result_code)
            return Started(row)
    _send_code(ctx, row, env, phone=phone, client_ip=client_ip)
    return Started(row)


def _fill_phone(row: Verification, env: IdentityEnv, phone: str) -> None:
    row.phone_sealed = _seal(env, phone, vault.PiKind.PHONE, row.app_id)
    row.phone_index = _index(env, phone, vault.PiKind.PHONE, row.app_id)
    row.masked = {**row.masked, "phone": rules.mask_mobile(phone)}


def _fill_id_card(row: Verification, env: IdentityEnv, *, name: str, number: rules.IdNumber, today: dt.date) -> None:
    row.name_sealed = _seal(env, name, vault.PiKind.NAME, row.app_id)
    row.id_number_sealed = _seal(env, number.number, vault.PiKind.ID_NUMBER, row.app_id)
    row.id_number_index = _index(env, number.number, vault.PiKind.ID_NUMBER, row.app_id)
    row.age_at_verification = rules.age_on(number.birth_date, today)
    row.masked = {"name": rules.mask_name(name), "id_number": rules.mask_id_number(number.number)}


def _refusal(ctx: Ctx, row: Verification, env: IdentityEnv, *, client_ip: str | None) -> tuple[str, int | None] | None:
    limits = env.limits
    others = ctx.session.scalar(
        select(func.count(func.distinct(Verification.user_id))).where(
            Verification.app_id == row.app_id,
            Verification.phone_index == row.phone_index,
            Verification.status == S.VERIFIED.value,
            Verification.user_id != row.user_id,
        )
    )
    if (others or 0) >= limits.phone_max_accounts:
        return "identity.phone.too_many_accounts", None
    since = ctx.clock.now() - dt.timedelta(hours=1)
    by_number = list(
        ctx.session.scalars(
            select(SmsMessage.created_at).where(
                SmsMessage.app_id == row.app_id,
                SmsMessage.phone_index == row.phone_index,
                SmsMessage.created_at > since,
            )
        )
    )
    wait = rules.sms_retry_after(
        by_number,
        now=ctx.clock.now(),
        per_hour=limits.sms_per_number_per_hour,
        min_interval=dt.timedelta(seconds=limits.sms_min_interval_seconds),
    )
    if wait is not None:
        return "identity.sms.rate_limited_number", wait
    if client_ip:
        ip_index = _ip_index(env, client_ip, row.app_id)
        by_ip = list(
            ctx.session.scalars(
                select(SmsMessage.created_at).where(
                    SmsMessage.app_id == row.app_id, SmsMessage.ip_index == ip_index, SmsMessage.created_at > since
                )
            )
        )
        wait = rules.sms_retry_after(
            by_ip, now=ctx.clock.now(), per_hour=limits.sms_per_ip_per_hour, min_interval=dt.timedelta(0)
        )
        if wait is not None:
            return "identity.sms.rate_limited_ip", wait
    return None


def _ip_index(env: IdentityEnv, client_ip: str, app_id: uuid.UUID) -> str:
    # An IP address is personal information too: only its keyed index is kept, enough to count sends.
    return vault.blind_index(env.index_key, client_ip, kind=vault.PiKind.PHONE, context=f"ip:{app_id}")


def _send_code(ctx: Ctx, row: Verification, env: IdentityEnv, *, phone: str, client_ip: str | None) -> None:
    code = rules.new_otp()
    receipt = env.providers.sms.send(
        phone_e164=phone, template="verification_code", params={"code": code}, request_ref=str(row.id)
    )
    now = ctx.clock.now()
    ctx.session.add(
        SmsMessage(
            app_id=row.app_id,
            verification_id=row.id,
            phone_masked=str(row.masked["phone"]),
            phone_index=row.phone_index or "",
            ip_index=_ip_index(env, client_ip, row.app_id) if client_ip else None,
            template="verification_code",
            provider=receipt.provider,
            provider_request_id=receipt.provider_request_id,
            accepted=receipt.accepted,
            result_code=receipt.result_code,
            dev_body=_dev_body(code) if receipt.provider == "local" else None,
            created_at=now,
        )
    )
    row.provider, row.provider_request_id = receipt.provider, receipt.provider_request_id
    if not receipt.accepted:
        row.status, row.result_code, row.completed_at = S.FAILED.value, receipt.result_code, now
        _audit(ctx, IdentityEvent.VERIFICATION_FAILED, row)
        return
    row.otp_digest = rules.otp_digest(code, key=env.otp_key, verification_id=str(row.id))
    row.otp_expires_at = now + rules.OTP_TTL
    row.result_code = "identity.code_sent"
    _audit(ctx, IdentityEvent.VERIFICATION_STARTED, row)
    ctx.session.flush()


def _dev_body(code: str) -> str:
    return f"验证码 {code}，{rules.OTP_TTL.seconds // 60} 分钟内有效。"


def confirm_verification(ctx: Ctx, verification_id: uuid.UUID, code: str, *, env: IdentityEnv) -> Verification:
    """Check a submitted code. Five wrong codes lock the verification; an expired one stays expired.

    Emits identity.verification.succeeded, code_rejected, locked or expired. VerificationNotPending if the
    verification is not waiting for a code.
    """
    row = get_verification(ctx, verification_id)
    if row.status != S.PENDING.value or row.otp_digest is None or row.otp_expires_at is None:
        raise VerificationNotPending(f"the verification is {row.status}", verification_status=row.status)
    outcome = rules.check_otp(
        code,
        row.otp_digest,
        key=env.otp_key,
        verification_id=str(row.id),
        attempts_used=row.attempts,
        expires_at=row.otp_expires_at,
        now=ctx.clock.now(),
    )
    user = accounts.get_user(ctx, row.user_id)
    if outcome is rules.OtpOutcome.MATCHED:
        _finish(ctx, row, user, ok=True, code="identity.code_matched")
    elif outcome is rules.OtpOutcome.EXPIRED:
        row.status, row.result_code, row.completed_at = S.EXPIRED.value, "identity.code_expired", ctx.clock.now()
        _audit(ctx, IdentityEvent.VERIFICATION_EXPIRED, row)
    else:
        row.attempts += 1
        locked = outcome is rules.OtpOutcome.LOCKED or row.attempts >= rules.OTP_MAX_ATTEMPTS
        if locked:
            row.status, row.result_code, row.completed_at = S.LOCKED.value, "identity.code_locked", ctx.clock.now()
            _audit(ctx, IdentityEvent.VERIFICATION_LOCKED, row)
        else:
            row.result_code = "identity.code_wrong"
            _audit(ctx, IdentityEvent.CODE_REJECTED, row, extra={"attempts": row.attempts})
    return row


def _finish(ctx: Ctx, row: Verification, user: accounts.EndUser, *, ok: bool, code: str) -> None:
    row.status = S.VERIFIED.value if ok else S.FAILED.value
    row.result_code, row.completed_at = code, ctx.clock.now()
    row.otp_digest = None
    if ok and row.method == rules.Method.ORGANIZATION.value and row.org_name:
        accounts.record_verified_organisation(ctx, user, row.org_name)
    _audit(ctx, IdentityEvent.VERIFICATION_SUCCEEDED if ok else IdentityEvent.VERIFICATION_FAILED, row)
    ctx.session.flush()


def _audit(ctx: Ctx, event: IdentityEvent, row: Verification, *, extra: dict[str, object] | None = None) -> None:
    data: dict[str, object] = {
        "user_id": str(row.user_id),
        "method": row.method,
        "status": row.status,
        "result_code": row.result_code,
        "provider": row.provider,
        "masked": dict(row.masked),
        **(extra or {}),
    }
    audit.record(ctx, event, subject=audit.Subject("verification", str(row.id)), app_id=row.app_id, data=data)


def get_verification(ctx: Ctx, verification_id: uuid.UUID) -> Verification:
    """A verification the caller may see (an app key: only its app's)."""
    row = ctx.session.get(Verification, verification_id)
    if row is None or (ctx.actor.kind is ActorKind.APP and row.app_id != ctx.actor.app_id):
        raise VerificationNotFound("no such verification", verification_id=str(verification_id))
    return row


def list_verifications(ctx: Ctx, user_id: uuid.UUID) -> list[Verification]:
    user = accounts.get_user(ctx, user_id)
    stmt = select(Verification).where(Verification.user_id == user.id).order_by(Verification.created_at.desc())
    return list(ctx.session.scalars(stmt))
