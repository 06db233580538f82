"""Service gating under the app's policy (IDV-07), revealing a sealed value, and re-encrypting under a new key."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appcomply import accounts, vault
from appcomply.apps.models import App
from appcomply.bootstrap import Services
from appcomply.identity import rules, service
from appcomply.identity.errors import NothingToReveal, RevealReasonRequired, VerificationNotFound
from appcomply.identity.models import Verification
from appcomply.identity.schemas import IdCardStart, OrganizationStart, PhoneStart
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app
from tests.integration.identity._helpers import (
    E164,
    ID_NUMBER,
    NAME,
    PHONE,
    USCC,
    assert_audit_clean,
    entries_since,
    sent_code,
)

A = rules.Action
R = rules.Requirement


def _decisions(ctx: Ctx, user: accounts.EndUser) -> dict[str, tuple[bool, str | None]]:
    return {p.action.value: (p.allowed, p.reason) for p in service.get_permissions(ctx, user.id).permissions}


def _verify_phone(ctx: Ctx, user: accounts.EndUser, env: IdentityEnv, phone: str = PHONE) -> Verification:
    row = service.start_verification(
        ctx, user.id, PhoneStart(method="phone", phone=phone), env=env, client_ip=None
    ).verification
    return service.confirm_verification(ctx, row.id, sent_code(ctx.session, row.id), env=env)


def test_the_default_policy_lets_an_unverified_user_only_browse(app_ctx: Ctx, user: accounts.EndUser) -> None:
    decisions = _decisions(app_ctx, user)
    assert decisions.pop("browse") == (True, None)
    assert decisions.pop("live_stream") == (False, "identity.id_card_required")
    assert set(decisions.values()) == {(False, "identity.unverified")}


def test_a_custom_policy_is_audited_with_before_and_after_and_none_allows_the_unverified(
    ctx: Ctx, app_ctx: Ctx, session: Session, app: App, user: accounts.EndUser, audit_mark: int
) -> None:
    service.set_policy(ctx, app.id, {A.PUBLISH: R.NONE, A.COMMENT: R.ID_CARD, A.MESSAGE: R.VERIFIED})
    assert service.get_policy(ctx, app.id)[A.PUBLISH] is R.NONE
    decisions = _decisions(app_ctx, user)
    assert decisions["publish"] == (True, None)
    assert decisions["comment"] == (False, "identity.id_card_required")
    assert decisions["message"] == (False, "identity.unverified")
    entry = entries_since(session, audit_mark)[-1]
    assert (entry.event, entry.subject_id, entry.app_id) == ("identity.policy.changed", str(app.id), app.id)
    # MESSAGE was already `verified`: an unchanged action is not reported as a change.
    assert entry.data == {
        "changed": {"publish": {"from": "verified", "to": "none"}, "comment": {"from": "verified", "to": "id_card"}}
    }


def test_setting_the_same_policy_again_changes_nothing_and_audits_nothing(
    ctx: Ctx, session: Session, app: App, audit_mark: int
) -> None:
    service.set_policy(ctx, app.id, {A.PUBLISH: R.NONE})
    mark = entries_since(session, audit_mark)[-1].id
    service.set_policy(ctx, app.id, {A.PUBLISH: R.NONE})
    assert entries_since(session, mark) == []


def test_a_verified_phone_opens_the_verified_actions_but_not_live_streaming(
    app_ctx: Ctx, user: accounts.EndUser, env: IdentityEnv
) -> None:
    _verify_phone(app_ctx, user, env)
    decisions = _decisions(app_ctx, user)
    assert decisions.pop("live_stream") == (False, "identity.id_card_required")
    assert set(decisions.values()) == {(True, None)}


@pytest.mark.parametrize(
    ("status", "browse", "publish"),
    [
        ("closed", (False, "accounts.closed"), (False, "accounts.closed")),
        ("restricted", (True, None), (False, "accounts.restricted")),
    ],
)
def test_a_closed_or_restricted_account_is_denied_whatever_it_verified(
    app_ctx: Ctx,
    session: Session,
    user: accounts.EndUser,
    env: IdentityEnv,
    status: str,
    browse: tuple[bool, str | None],
    publish: tuple[bool, str | None],
) -> None:
    service.start_verification(
        app_ctx, user.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=env, client_ip=None
    )
    user.status = status  # sanctions have no use case yet; the gate must honour the column already
    session.flush()
    decisions = _decisions(app_ctx, user)
    assert decisions["browse"] == browse
    assert decisions["publish"] == publish
    assert decisions["live_stream"] == publish


VAULT_OFFICER = Actor(kind=ActorKind.STAFF, label="staff:vault-officer", roles=frozenset({Role.VAULT}))
REASON = "Police request 2026-0042, case file 17"


def test_revealing_returns_the_clear_value_and_audits_the_field_and_reason_but_not_the_value(
    ctx: Ctx, app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    row = _verify_phone(app_ctx, user, env)
    officer = dataclasses.replace(ctx, actor=VAULT_OFFICER)
    assert service.reveal_value(officer, row.id, field="phone", reason=REASON, env=env) == E164
    entry = entries_since(session, audit_mark)[-1]
    assert (entry.event, entry.subject_id, entry.actor_label) == (
        "identity.value.revealed",
        str(row.id),
        "staff:vault-officer",
    )
    assert entry.data["field"] == "phone"
    assert entry.data["reason"] == REASON
    assert PHONE not in json.dumps(entry.data)
    assert_audit_clean(session, audit_mark, PHONE)


def test_a_field_the_verification_does_not_hold_cannot_be_revealed(
    ctx: Ctx, app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int
) -> None:
    row = _verify_phone(app_ctx, user, env)
    mark = entries_since(session, audit_mark)[-1].id
    with pytest.raises(NothingToReveal):
        service.reveal_value(
            dataclasses.replace(ctx, actor=VAULT_OFFICER), row.id, field="id_number", reason=REASON, env=env
        )
    assert entries_since(session, mark) == []


def test_an_apps_key_cannot_reveal_another_apps_values(
    ctx: Ctx, app_ctx: Ctx, user: accounts.EndUser, env: IdentityEnv
) -> None:
    row = _verify_phone(app_ctx, user, env)
    other = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:other", app_id=make_app(ctx).id))
    with pytest.raises(VerificationNotFound):
        service.reveal_value(other, row.id, field="phone", reason=REASON, env=env)


SEALED = ("phone_sealed", "name_sealed", "id_number_sealed", "uscc_sealed")
KINDS = {
    "phone_sealed": vault.PiKind.PHONE,
    "name_sealed": vault.PiKind.NAME,
    "id_number_sealed": vault.PiKind.ID_NUMBER,
    "uscc_sealed": vault.PiKind.USCC,
}


def _opened(row: Verification, keyring: vault.Keyring) -> dict[str, str]:
    return {
        column: vault.open_sealed(keyring, getattr(row, column), kind=KINDS[column], context=str(row.app_id))
        for column in SEALED
        if getattr(row, column) is not None
    }


def test_rotating_keys_re_encrypts_every_sealed_value_under_the_new_key(
    app_ctx: Ctx, session: Session, user: accounts.EndUser, services: Services, env: IdentityEnv, audit_mark: int
) -> None:
    _verify_phone(app_ctx, user, env)
    service.start_verification(
        app_ctx, user.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=env, client_ip=None
    )
    service.start_verification(
        app_ctx,
        user.id,
        OrganizationStart(method="organization", org_name="某某科技有限公司", uscc=USCC, phone="13900139000"),
        env=env,
        client_ip=None,
    )
    session.flush()
    rows = list(session.scalars(select(Verification)))
    before = {row.id: _opened(row, env.keyring) for row in rows}
    sealed_values = sum(len(values) for values in before.values())
    assert sealed_values == 5  # a phone; a name and an ID number; a USCC and a phone
    old_kid = env.keyring.current
    new_line = vault.generate_key_line("k2027")
    old_line = services.settings.vault.keys.get_secret_value()  # the old keys, unchanged, after the new one
    rotated = dataclasses.replace(env, keyring=vault.Keyring.parse(f"{new_line},{old_line}"))
    assert rotated.keyring.current == "k2027"

    count = service.rotate_keys(app_ctx, env=rotated, batch=2)  # small batches: the paging is exercised too

    assert count == sealed_values
    session.expire_all()
    for row in session.scalars(select(Verification)):
        assert [c for c in SEALED if getattr(row, c) and vault.needs_rewrap(rotated.keyring, getattr(row, c))] == []
        assert _opened(row, rotated.keyring) == before[row.id]
    new_only = vault.Keyring.parse(new_line)  # the old key can now be retired
    assert all(_opened(row, new_only) == before[row.id] for row in session.scalars(select(Verification)))
    entry = entries_since(session, audit_mark)[-1]
    assert (entry.event, entry.data) == (
        "identity.keys.rotated",
        {"values_rewrapped": sealed_values, "current_key": "k2027"},
    )
    assert old_kid != "k2027"
    assert service.rotate_keys(app_ctx, env=rotated) == 0  # nothing left under the old key
    assert_audit_clean(session, audit_mark, PHONE, NAME, ID_NUMBER, USCC)


@pytest.mark.parametrize("reason", ["", "   ", "because"])
def test_a_reveal_without_a_stated_reason_is_refused_whoever_calls_the_use_case(
    ctx: Ctx, app_ctx: Ctx, session: Session, user: accounts.EndUser, env: IdentityEnv, audit_mark: int, reason: str
) -> None:
    # The JSON API and the console validate the reason; the use case must not rely on every caller doing so.
    row = _verify_phone(app_ctx, user, env)
    mark = entries_since(session, audit_mark)[-1].id
    with pytest.raises(RevealReasonRequired):
        service.reveal_value(
            dataclasses.replace(ctx, actor=VAULT_OFFICER), row.id, field="phone", reason=reason, env=env
        )
    assert entries_since(session, mark) == []
