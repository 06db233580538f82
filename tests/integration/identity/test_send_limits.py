"""Refusals before any SMS goes out: per-number interval and hourly cap, per-IP cap, numbers bound to N accounts.

A refusal is a committed outcome (D5): the verification row with status `refused` and its audit entry survive
the unit of work, which the tests model with a savepoint around each call, as `transaction()` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts
from appcomply.identity import service
from appcomply.identity.models import SmsMessage, Verification
from appcomply.identity.schemas import PhoneStart
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app
from tests.integration.identity._helpers import PHONE, assert_audit_clean, entries_since, sent_code

IP = "198.51.100.7"


def _start(
    ctx: Ctx, user: accounts.EndUser, env: IdentityEnv, *, phone: str = PHONE, ip: str | None = IP
) -> service.Started:
    with ctx.session.begin_nested():  # the entrypoint's unit of work: a refusal must commit like any outcome
        return service.start_verification(ctx, user.id, PhoneStart(method="phone", phone=phone), env=env, client_ip=ip)


def _sms_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SmsMessage)) or 0)


def test_a_second_code_within_the_minimum_interval_is_refused_recorded_and_audited(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    _start(app_ctx, user, env)
    refused = _start(app_ctx, user, env)
    row = refused.verification
    assert (row.status, row.result_code, row.provider) == ("refused", "identity.sms.rate_limited_number", "appcomply")
    assert refused.retry_after == 61  # 60 s interval, rounded up past the boundary
    assert row.otp_digest is None
    assert _sms_count(session) == 1  # no second SMS
    session.expire_all()
    stored = session.get(Verification, row.id)
    assert stored is not None
    assert stored.status == "refused"
    last = entries_since(session, audit_mark)[-1]
    assert (last.event, last.subject_id) == ("identity.verification.refused", str(row.id))
    assert (last.data["retry_after"], last.data["result_code"]) == (61, "identity.sms.rate_limited_number")
    assert_audit_clean(session, audit_mark, PHONE)


def test_after_the_interval_another_code_may_go(
    app_ctx: Ctx, user: accounts.EndUser, env: IdentityEnv, clock: FixedClock
) -> None:
    _start(app_ctx, user, env)
    clock.advance(dt.timedelta(seconds=60))
    assert _start(app_ctx, user, env).verification.status == "pending"


def test_the_hourly_cap_per_number_refuses_the_next_code_until_the_oldest_leaves_the_window(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, clock: FixedClock
) -> None:
    for _ in range(env.limits.sms_per_number_per_hour):
        assert _start(app_ctx, user, env).verification.status == "pending"
        clock.advance(dt.timedelta(minutes=2))
    refused = _start(app_ctx, user, env)
    assert (refused.verification.status, refused.verification.result_code) == (
        "refused",
        "identity.sms.rate_limited_number",
    )
    # Five sends two minutes apart: the first left 10 min ago, so it leaves the hour in 50 min.
    assert refused.retry_after == 50 * 60 + 1
    clock.advance(dt.timedelta(seconds=refused.retry_after))
    assert _start(app_ctx, user, env).verification.status == "pending"
    assert _sms_count(session) == env.limits.sms_per_number_per_hour + 1


def test_the_hourly_cap_per_client_ip_counts_every_number(
    app_ctx: Ctx,
    session: Session,
    new_user: Callable[[], accounts.EndUser],
    limits: Callable[..., IdentityEnv],
    audit_mark: int,
) -> None:
    env = limits(sms_per_ip_per_hour=3)
    phones = [f"1390000000{i}" for i in range(4)]
    statuses = [_start(app_ctx, new_user(), env, phone=phone).verification for phone in phones]
    assert [r.status for r in statuses] == ["pending", "pending", "pending", "refused"]
    assert statuses[-1].result_code == "identity.sms.rate_limited_ip"
    # Another address is not held back, and no IP at all (a CLI start) is never IP-limited.
    assert _start(app_ctx, new_user(), env, phone="13900000009", ip="198.51.100.8").verification.status == "pending"
    assert _start(app_ctx, new_user(), env, phone="13900000008", ip=None).verification.status == "pending"
    assert_audit_clean(session, audit_mark, *phones, IP)


def test_a_number_verified_for_the_maximum_of_accounts_is_refused_for_the_next(
    app_ctx: Ctx,
    session: Session,
    new_user: Callable[[], accounts.EndUser],
    limits: Callable[..., IdentityEnv],
    clock: FixedClock,
) -> None:
    env = limits(phone_max_accounts=2)
    for _ in range(2):
        row = _start(app_ctx, new_user(), env).verification
        assert service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env).status == "verified"
        clock.advance(dt.timedelta(minutes=2))
    refused = _start(app_ctx, new_user(), env)
    assert (refused.verification.status, refused.verification.result_code, refused.retry_after) == (
        "refused",
        "identity.phone.too_many_accounts",
        None,
    )


def test_an_account_may_verify_again_a_number_it_already_holds(
    app_ctx: Ctx,
    session: Session,
    user: accounts.EndUser,
    limits: Callable[..., IdentityEnv],
    clock: FixedClock,
) -> None:
    env = limits(phone_max_accounts=1)
    row = _start(app_ctx, user, env).verification
    service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env)
    clock.advance(dt.timedelta(minutes=2))
    assert _start(app_ctx, user, env).verification.status == "pending"


def test_the_account_limit_counts_per_app(
    ctx: Ctx, app_ctx: Ctx, session: Session, user: accounts.EndUser, limits: Callable[..., IdentityEnv]
) -> None:
    env = limits(phone_max_accounts=1)
    row = _start(app_ctx, user, env).verification
    service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env)
    other = make_app(ctx)
    other_ctx = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:other", app_id=other.id))
    other_user = accounts.register_user(other_ctx, accounts.UserCreate(external_ref="u-x", nickname="鱼"))
    assert _start(other_ctx, other_user, env).verification.status == "pending"
