"""ID-card checks (verified at once, age recorded) and organisation verification (USCC check plus OTP)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts, vault
from appcomply.accounts import rules as account_rules
from appcomply.identity import rules, service
from appcomply.identity.errors import IdNumberChecksumMismatch, UsccChecksumMismatch
from appcomply.identity.models import Verification
from appcomply.identity.schemas import IdCardStart, OrganizationStart
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.context import Ctx
from tests.integration.identity._helpers import (
    ID_NUMBER,
    NAME,
    PHONE,
    USCC,
    assert_audit_clean,
    events_since,
    sent_code,
)

ORG_NAME = "国家新闻出版署"


def _count(session: Session) -> int:
    session.flush()
    return int(session.scalar(select(func.count()).select_from(Verification)) or 0)


def test_an_id_card_is_checked_at_once_with_the_age_and_only_masked_values_shown(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    started = service.start_verification(
        app_ctx, user.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=env, client_ip=None
    )
    row = started.verification
    assert (row.status, row.result_code, row.provider) == ("verified", "local.format_valid", "local")
    assert row.age_at_verification == 76  # born 1949-12-31, checked on 2026-11-29
    assert row.masked == {"name": "张**", "id_number": "110***********002X"}
    context = str(row.app_id)
    assert vault.open_sealed(env.keyring, row.name_sealed or "", kind=vault.PiKind.NAME, context=context) == NAME
    opened = vault.open_sealed(env.keyring, row.id_number_sealed or "", kind=vault.PiKind.ID_NUMBER, context=context)
    assert opened == ID_NUMBER
    assert row.phone_sealed is None
    assert row.otp_digest is None
    assert service.verified_methods(app_ctx, user.id) == {rules.Method.ID_CARD}
    assert events_since(session, audit_mark) == ["identity.verification.succeeded"]
    assert_audit_clean(session, audit_mark, NAME, ID_NUMBER, ID_NUMBER.lower())


def test_a_lower_case_check_character_is_the_same_number(
    app_ctx: Ctx, user: accounts.EndUser, env: IdentityEnv
) -> None:
    lower = service.start_verification(
        app_ctx, user.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER.lower()), env=env, client_ip=None
    ).verification
    upper = service.start_verification(
        app_ctx, user.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=env, client_ip=None
    ).verification
    assert lower.id_number_index == upper.id_number_index


def test_an_invalid_id_number_raises_its_code_before_anything_is_written(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    before = _count(session)
    with pytest.raises(IdNumberChecksumMismatch) as refused:
        service.start_verification(
            app_ctx,
            user.id,
            IdCardStart(method="id_card", name=NAME, id_number="110105194912310021"),
            env=env,
            client_ip=None,
        )
    assert "110105194912310021" not in str(refused.value.fields) + str(refused.value.detail)
    assert _count(session) == before
    assert events_since(session, audit_mark) == []


def test_an_organisation_verifies_by_uscc_and_code_and_may_then_use_its_protected_name(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    start = OrganizationStart(method="organization", org_name=ORG_NAME, uscc=USCC, phone=PHONE)
    row = service.start_verification(app_ctx, user.id, start, env=env, client_ip=None).verification
    assert (row.status, row.org_name) == ("pending", ORG_NAME)
    assert row.masked == {"phone": "138****8000", "uscc": "9111**********M005", "org_name": ORG_NAME}
    opened = vault.open_sealed(env.keyring, row.uscc_sealed or "", kind=vault.PiKind.USCC, context=str(row.app_id))
    assert opened == USCC
    hits = account_rules.impersonation_hits(ORG_NAME)
    assert hits  # the name holds protected terms (国家 at the start, 新闻)
    assert not account_rules.allowed_for_organisation(hits, user.verified_org_name)

    confirmed = service.confirm_verification(app_ctx, row.id, sent_code(session, row.id), env=env)

    assert confirmed.status == "verified"
    assert user.verified_org_name == ORG_NAME
    assert account_rules.allowed_for_organisation(hits, user.verified_org_name)
    assert account_rules.allowed_for_organisation(account_rules.impersonation_hits(f"{ORG_NAME}官方"), ORG_NAME)
    foreign = account_rules.impersonation_hits("人民日报")
    assert foreign
    assert not account_rules.allowed_for_organisation(foreign, user.verified_org_name)
    assert service.verified_methods(app_ctx, user.id) == {rules.Method.ORGANIZATION}
    assert events_since(session, audit_mark) == [
        "identity.verification.started",
        "accounts.user.organisation_recorded",
        "identity.verification.succeeded",
    ]
    assert_audit_clean(session, audit_mark, PHONE, USCC)


def test_an_invalid_uscc_raises_its_code_before_anything_is_written(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv
) -> None:
    before = _count(session)
    bad = USCC[:-1] + ("6" if USCC[-1] != "6" else "7")
    with pytest.raises(UsccChecksumMismatch):
        service.start_verification(
            app_ctx,
            user.id,
            OrganizationStart(method="organization", org_name=ORG_NAME, uscc=bad, phone=PHONE),
            env=env,
            client_ip=None,
        )
    assert _count(session) == before
