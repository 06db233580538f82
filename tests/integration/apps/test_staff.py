"""Staff on a real database: argon2 passwords, log-in outcomes and lockout, console sessions, personal tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply.apps import LoginOutcome, LoginResult, service
from appcomply.apps.errors import InvalidToken, RolesNotHeld, StaffNotFound, TokenNotFound, UsernameTaken, WeakPassword
from appcomply.apps.models import Staff, StaffSession, StaffToken
from appcomply.apps.rules import secret_digest
from appcomply.audit.models import AuditEntry
from appcomply.db.session import transaction
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from tests.factories.apps import STAFF_PASSWORD, authenticator, make_app, make_staff

LOCKOUT = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=8)
MAX_FAILURES = 3


def _mark(session: Session) -> int:
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def _events_after(session: Session, mark: int) -> list[str]:
    return list(session.scalars(select(AuditEntry.event).where(AuditEntry.id > mark).order_by(AuditEntry.id)))


def _log_in(ctx: Ctx, username: str, password: str = STAFF_PASSWORD) -> LoginResult:
    return service.log_in(
        ctx, username=username, password=password, max_failures=MAX_FAILURES, lockout=LOCKOUT, session_ttl=SESSION_TTL
    )


def _stored(session: Session, model: Any, row_id: object) -> dict[str, Any]:
    table = cast(Table, model.__table__)
    return dict(session.connection().execute(select(table).where(table.c.id == row_id)).one()._asdict())


def _as(ctx: Ctx, actor: Actor) -> Ctx:
    return Ctx(session=ctx.session, clock=ctx.clock, actor=actor, request_id="as")


# --- accounts -----------------------------------------------------------------------------------------------------


def test_a_staff_member_is_stored_with_an_argon2_hash_and_never_the_password(ctx: Ctx, session: Session) -> None:
    mark = _mark(session)
    staff = service.create_staff(
        ctx, username="alice", display_name="Alice", password=STAFF_PASSWORD, roles=[Role.SECURITY, Role.REVIEWER]
    )
    row = _stored(session, Staff, staff.id)
    assert row["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(row["password_hash"], STAFF_PASSWORD)
    assert all(STAFF_PASSWORD not in str(value) for value in row.values())
    assert (row["roles"], row["active"], row["failed_logins"], row["locked_until"]) == (
        ["reviewer", "security"],
        True,
        0,
        None,
    )
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.id > mark))
    assert (entry.event, entry.subject_kind, entry.subject_id) == ("apps.staff.created", "staff", str(staff.id))
    assert entry.data == {"username": "alice", "roles": ["reviewer", "security"]}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("xx-alice-2026-xx", "must not contain the username"),
        ("aaaabbbbaaaabbbb", "more varied characters"),
    ],
)
def test_a_weak_password_is_refused_and_nothing_is_stored(
    ctx: Ctx, session: Session, password: str, reason: str
) -> None:
    mark = _mark(session)
    with pytest.raises(WeakPassword, match=reason) as raised:
        service.create_staff(ctx, username="alice", display_name="Alice", password=password, roles=[Role.ADMIN])
    assert password not in raised.value.detail
    assert service.find_staff(ctx, "alice") is None
    assert _mark(session) == mark


def test_a_username_can_be_taken_only_once(ctx: Ctx) -> None:
    make_staff(ctx, Role.REVIEWER, username="alice")
    with pytest.raises(UsernameTaken) as raised:
        make_staff(ctx, Role.ADMIN, username="alice")
    assert raised.value.fields == {"username": "alice"}
    assert [s.roles for s in service.list_staff(ctx)] == [["reviewer"]]


def test_staff_are_listed_by_username(ctx: Ctx) -> None:
    for name in ("carol", "alice", "bob"):
        make_staff(ctx, Role.REVIEWER, username=name)
    assert [s.username for s in service.list_staff(ctx)] == ["alice", "bob", "carol"]


def test_the_acting_staff_member_is_found_and_other_actors_are_not_staff(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.COMPLIANCE)
    assert service.get_staff(_as(ctx, service.staff_actor(staff))) is staff
    with pytest.raises(StaffNotFound):
        service.get_staff(ctx)  # the CLI
    with pytest.raises(StaffNotFound):
        service.get_staff(_as(ctx, Actor(kind=ActorKind.STAFF, label="staff:gone", id=new_id())))
    app = make_app(ctx)
    with pytest.raises(StaffNotFound):
        service.get_staff(_as(ctx, Actor(kind=ActorKind.APP, label="app", id=staff.id, app_id=app.id)))


# --- log-in ---------------------------------------------------------------------------------------------------------


def test_a_good_log_in_opens_a_session_and_resets_the_failure_count(
    ctx: Ctx, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    _log_in(ctx, "alice", "wrong password 1")
    assert staff.failed_logins == 1
    mark = _mark(session)
    result = _log_in(ctx, "alice")
    assert (result.outcome, result.staff, result.locked_until) == (LoginOutcome.OK, staff, None)
    assert result.token
    assert result.csrf_token
    assert (staff.failed_logins, staff.locked_until, staff.last_login_at) == (0, None, clock.now())
    stored = session.scalars(select(StaffSession).where(StaffSession.staff_id == staff.id)).one()
    assert stored.token_hash == secret_digest(result.token)
    assert result.token not in str(_stored(session, StaffSession, stored.id))
    assert (stored.expires_at, stored.ended_at, stored.csrf_token) == (
        clock.now() + SESSION_TTL,
        None,
        result.csrf_token,
    )
    assert _events_after(session, mark) == ["apps.staff.logged_in"]
    found = service.authenticate_session(ctx, result.token)
    assert found is not None
    assert found[0] == Actor(kind=ActorKind.STAFF, label="staff:alice", id=staff.id, roles=frozenset({Role.REVIEWER}))


def test_failed_log_ins_are_outcomes_that_commit(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session]
) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    session.flush()
    mark = _mark(session)
    for attempt in (1, 2):
        with transaction(session_factory) as request:
            result = _log_in(Ctx(session=request, clock=ctx.clock, actor=ctx.actor, request_id="r"), "alice", "nope")
        assert (result.outcome, result.token, result.staff) == (LoginOutcome.INVALID, None, None)
        session.refresh(staff)
        assert staff.failed_logins == attempt
    assert _events_after(session, mark) == ["apps.staff.login_failed", "apps.staff.login_failed"]
    assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_the_account_locks_after_max_failures_even_for_the_right_password(
    ctx: Ctx, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    mark = _mark(session)
    outcomes = [_log_in(ctx, "alice", f"wrong password {n}").outcome for n in range(MAX_FAILURES)]
    assert outcomes == [LoginOutcome.INVALID, LoginOutcome.INVALID, LoginOutcome.LOCKED]
    assert staff.locked_until == clock.now() + LOCKOUT
    assert _events_after(session, mark) == ["apps.staff.login_failed"] * 2 + ["apps.staff.locked"]
    clock.advance(LOCKOUT - dt.timedelta(seconds=1))
    result = _log_in(ctx, "alice")
    assert (result.outcome, result.token, result.locked_until) == (LoginOutcome.LOCKED, None, staff.locked_until)
    assert staff.failed_logins == MAX_FAILURES
    assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_the_account_unlocks_once_the_lockout_has_elapsed(ctx: Ctx, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    for n in range(MAX_FAILURES):
        _log_in(ctx, "alice", f"wrong password {n}")
    clock.advance(LOCKOUT)
    result = _log_in(ctx, "alice")
    assert result.outcome is LoginOutcome.OK
    assert (staff.failed_logins, staff.locked_until) == (0, None)


def test_a_wrong_password_after_the_lockout_locks_again_at_once(ctx: Ctx, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    for n in range(MAX_FAILURES):
        _log_in(ctx, "alice", f"wrong password {n}")
    clock.advance(LOCKOUT)
    assert _log_in(ctx, "alice", "still wrong").outcome is LoginOutcome.LOCKED
    assert staff.locked_until == clock.now() + LOCKOUT


def test_an_unknown_or_inactive_user_gets_invalid_credentials(ctx: Ctx, session: Session) -> None:
    staff = make_staff(ctx, Role.ADMIN, username="alice")
    staff.active = False
    mark = _mark(session)
    assert _log_in(ctx, "nobody").outcome is LoginOutcome.INVALID
    assert _log_in(ctx, "alice").outcome is LoginOutcome.INVALID
    assert _events_after(session, mark) == []
    assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_a_hash_with_outdated_parameters_is_upgraded_at_log_in(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    staff.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(STAFF_PASSWORD)
    legacy = staff.password_hash
    assert _log_in(ctx, "alice").outcome is LoginOutcome.OK
    assert staff.password_hash != legacy
    assert not PasswordHasher().check_needs_rehash(staff.password_hash)
    assert PasswordHasher().verify(staff.password_hash, STAFF_PASSWORD)


def test_a_current_hash_is_left_alone_at_log_in(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    current = staff.password_hash
    assert _log_in(ctx, "alice").outcome is LoginOutcome.OK
    assert staff.password_hash == current


# --- sessions and passwords -------------------------------------------------------------------------------------


def test_a_console_session_ends_when_it_expires(ctx: Ctx, clock: FixedClock) -> None:
    make_staff(ctx, Role.REVIEWER, username="alice")
    token = _log_in(ctx, "alice").token
    assert token is not None
    clock.advance(SESSION_TTL - dt.timedelta(seconds=1))
    assert service.authenticate_session(ctx, token) is not None
    clock.advance(dt.timedelta(seconds=1))
    assert service.authenticate_session(ctx, token) is None


def test_a_session_of_a_deactivated_staff_member_is_refused(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    token = _log_in(ctx, "alice").token
    assert token is not None
    staff.active = False
    assert service.authenticate_session(ctx, token) is None
    assert service.authenticate_session(ctx, "no-such-session") is None


def test_logging_out_ends_the_session_and_is_audited(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    token = _log_in(ctx, "alice").token
    other = _log_in(ctx, "alice").token
    assert token is not None
    assert other is not None
    mark = _mark(session)
    service.log_out(ctx, token)
    assert service.authenticate_session(ctx, token) is None
    assert service.authenticate_session(ctx, other) is not None  # only that session ends
    entry = session.scalars(select(AuditEntry).where(AuditEntry.id > mark)).one()
    assert (entry.event, entry.subject_id) == ("apps.staff.logged_out", str(staff.id))
    ended = session.scalars(select(StaffSession).where(StaffSession.token_hash == secret_digest(token))).one()
    assert ended.ended_at == clock.now()


def test_logging_out_an_unknown_or_ended_session_does_nothing(ctx: Ctx, session: Session) -> None:
    make_staff(ctx, Role.REVIEWER, username="alice")
    token = _log_in(ctx, "alice").token
    assert token is not None
    service.log_out(ctx, token)
    mark = _mark(session)
    service.log_out(ctx, token)
    service.log_out(ctx, "no-such-session")
    assert _events_after(session, mark) == []


def test_setting_a_password_ends_sessions_and_clears_the_lockout(ctx: Ctx, session: Session) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    token = _log_in(ctx, "alice").token
    assert token is not None
    for n in range(MAX_FAILURES):
        _log_in(ctx, "alice", f"wrong password {n}")
    assert staff.locked_until is not None
    mark = _mark(session)
    service.set_staff_password(ctx, "alice", password="a brand new passphrase")
    assert staff.failed_logins == 0
    assert staff.locked_until is None
    assert service.authenticate_session(ctx, token) is None
    assert _events_after(session, mark) == ["apps.staff.password_set"]
    assert "a brand new passphrase" not in str(_stored(session, Staff, staff.id))
    assert _log_in(ctx, "alice").outcome is LoginOutcome.INVALID
    assert _log_in(ctx, "alice", "a brand new passphrase").outcome is LoginOutcome.OK


def test_setting_a_password_refuses_unknown_staff_and_weak_passwords(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    current = staff.password_hash
    with pytest.raises(StaffNotFound) as raised:
        service.set_staff_password(ctx, "nobody", password="a brand new passphrase")
    assert raised.value.fields == {"username": "nobody"}
    with pytest.raises(WeakPassword):
        service.set_staff_password(ctx, "alice", password="alice-alice-alice")
    assert staff.password_hash == current


# --- personal tokens ------------------------------------------------------------------------------------------------


def test_a_token_carries_the_requested_subset_of_its_owners_roles(
    ctx: Ctx, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(ctx, Role.REVIEWER, Role.SECURITY, username="alice")
    mark = _mark(session)
    token, secret = service.create_staff_token(
        ctx, staff.id, name="ci", roles=[Role.REVIEWER], expires_in=dt.timedelta(days=90)
    )
    assert secret.startswith("st_")
    row = _stored(session, StaffToken, token.id)
    assert row["token_hash"] == secret_digest(secret)
    assert all(secret not in str(value) for value in row.values())
    assert (row["roles"], token.expires_at) == (["reviewer"], clock.now() + dt.timedelta(days=90))
    entry = session.scalars(select(AuditEntry).where(AuditEntry.id > mark)).one()
    assert (entry.event, entry.data) == (
        "apps.staff_token.created",
        {"name": "ci", "roles": ["reviewer"], "prefix": secret[:10]},
    )
    actor = authenticator(ctx).staff_token(ctx, secret)
    assert (actor.kind, actor.id, actor.label, actor.roles) == (
        ActorKind.STAFF,
        staff.id,
        "staff:alice",
        frozenset({Role.REVIEWER}),
    )


def test_a_token_cannot_carry_roles_its_owner_lacks(ctx: Ctx, session: Session) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    mark = _mark(session)
    with pytest.raises(RolesNotHeld) as raised:
        service.create_staff_token(ctx, staff.id, name="x", roles=[Role.REVIEWER, Role.ADMIN], expires_in=None)
    assert raised.value.fields == {"missing": ["admin"]}
    assert service.list_staff_tokens(ctx, staff.id) == []
    assert _mark(session) == mark


def test_a_token_for_an_unknown_staff_member_is_refused(ctx: Ctx) -> None:
    missing = new_id()
    with pytest.raises(StaffNotFound) as raised:
        service.create_staff_token(ctx, missing, name="x", roles=[Role.REVIEWER], expires_in=None)
    assert raised.value.fields == {"staff_id": str(missing)}


def test_a_token_without_expiry_lives_until_revoked(ctx: Ctx, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.ADMIN, username="alice")
    token, secret = service.create_staff_token(ctx, staff.id, name="x", roles=[Role.ADMIN], expires_in=None)
    assert token.expires_at is None
    clock.advance(dt.timedelta(days=3650))
    assert authenticator(ctx).staff_token(ctx, secret).has_any_role(frozenset({Role.SECURITY}))


def test_an_expired_token_is_refused(ctx: Ctx, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    _, secret = service.create_staff_token(
        ctx, staff.id, name="x", roles=[Role.REVIEWER], expires_in=dt.timedelta(days=1)
    )
    clock.advance(dt.timedelta(days=1) - dt.timedelta(seconds=1))
    authenticator(ctx).staff_token(ctx, secret)
    clock.advance(dt.timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        authenticator(ctx).staff_token(ctx, secret)


def test_a_revoked_token_is_refused_and_cannot_be_revoked_again(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    token, secret = service.create_staff_token(ctx, staff.id, name="x", roles=[Role.REVIEWER], expires_in=None)
    mark = _mark(session)
    service.revoke_staff_token(ctx, staff.id, token.id)
    assert token.revoked_at == clock.now()
    assert _events_after(session, mark) == ["apps.staff_token.revoked"]
    with pytest.raises(InvalidToken):
        authenticator(ctx).staff_token(ctx, secret)
    with pytest.raises(TokenNotFound):
        service.revoke_staff_token(ctx, staff.id, token.id)


def test_a_token_can_be_revoked_only_by_its_owner(ctx: Ctx) -> None:
    alice = make_staff(ctx, Role.REVIEWER, username="alice")
    mallory = make_staff(ctx, Role.REVIEWER, username="mallory")
    token, secret = service.create_staff_token(ctx, alice.id, name="x", roles=[Role.REVIEWER], expires_in=None)
    for token_id in (token.id, new_id()):
        with pytest.raises(TokenNotFound) as raised:
            service.revoke_staff_token(ctx, mallory.id, token_id)
        assert raised.value.fields == {"token_id": str(token_id)}
    assert token.revoked_at is None
    assert authenticator(ctx).staff_token(ctx, secret).id == alice.id


def test_a_tokens_roles_shrink_when_its_owner_loses_a_role(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, Role.SECURITY, username="alice")
    _, secret = service.create_staff_token(
        ctx, staff.id, name="x", roles=[Role.REVIEWER, Role.SECURITY], expires_in=None
    )
    staff.roles = ["reviewer"]
    assert authenticator(ctx).staff_token(ctx, secret).roles == frozenset({Role.REVIEWER})
    staff.roles = ["compliance"]
    actor = authenticator(ctx).staff_token(ctx, secret)
    assert actor.roles == frozenset()
    assert not actor.has_any_role(frozenset(Role))


def test_a_token_of_a_deactivated_owner_is_refused(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    _, secret = service.create_staff_token(ctx, staff.id, name="x", roles=[Role.REVIEWER], expires_in=None)
    staff.active = False
    with pytest.raises(InvalidToken, match="inactive"):
        authenticator(ctx).staff_token(ctx, secret)
    with pytest.raises(InvalidToken):
        authenticator(ctx).staff_token(ctx, "st_unknown")


def test_token_use_is_recorded_at_most_once_a_minute(ctx: Ctx, clock: FixedClock) -> None:
    staff = make_staff(ctx, Role.REVIEWER, username="alice")
    token, secret = service.create_staff_token(ctx, staff.id, name="x", roles=[Role.REVIEWER], expires_in=None)
    first_use = clock.now()
    authenticator(ctx).staff_token(ctx, secret)
    clock.advance(dt.timedelta(seconds=59))
    authenticator(ctx).staff_token(ctx, secret)
    ctx.session.refresh(token)  # the use is written by an UPDATE statement, not through the loaded object
    assert token.last_used_at == first_use
    clock.advance(dt.timedelta(seconds=1))
    authenticator(ctx).staff_token(ctx, secret)
    ctx.session.refresh(token)
    assert token.last_used_at == clock.now()


def test_tokens_are_listed_per_owner_in_creation_order(ctx: Ctx, clock: FixedClock) -> None:
    alice, bob = make_staff(ctx, Role.REVIEWER, username="alice"), make_staff(ctx, Role.REVIEWER, username="bob")
    first, _ = service.create_staff_token(ctx, alice.id, name="first", roles=[Role.REVIEWER], expires_in=None)
    clock.advance(dt.timedelta(seconds=1))
    second, _ = service.create_staff_token(ctx, alice.id, name="second", roles=[Role.REVIEWER], expires_in=None)
    service.create_staff_token(ctx, bob.id, name="bobs", roles=[Role.REVIEWER], expires_in=None)
    assert service.list_staff_tokens(ctx, alice.id) == [first, second]


def test_staff_actor_narrows_to_the_given_roles(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.REVIEWER, Role.SECURITY, username="alice")
    assert service.staff_actor(staff).roles == frozenset({Role.REVIEWER, Role.SECURITY})
    assert service.staff_actor(staff, frozenset({Role.SECURITY, Role.ADMIN})).roles == frozenset({Role.SECURITY})


def test_an_admin_token_may_carry_a_lesser_role_and_then_holds_only_that_role(ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.ADMIN, username="root")
    _, secret = service.create_staff_token(ctx, staff.id, name="ci", roles=[Role.REVIEWER], expires_in=None)
    actor = authenticator(ctx).staff_token(ctx, secret)
    assert actor.roles == frozenset({Role.REVIEWER})
    assert not actor.has_any_role(frozenset({Role.SECURITY}))
