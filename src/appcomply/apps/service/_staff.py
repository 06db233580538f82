"""Staff: accounts with roles, console log-in with lockout, server-side sessions, personal API tokens."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from appcomply import audit
from appcomply.apps import rules
from appcomply.apps.errors import InvalidToken, RolesNotHeld, StaffNotFound, TokenNotFound, UsernameTaken, WeakPassword
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import Staff, StaffSession, StaffToken
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id

_hasher = PasswordHasher()
# Verifying against a throw-away hash when the username is unknown keeps both paths equally slow, so
# response time does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def staff_actor(staff: Staff, roles: frozenset[Role] | None = None) -> Actor:
    held = frozenset(Role(r) for r in staff.roles)
    return Actor(
        kind=ActorKind.STAFF,
        label=f"staff:{staff.username}",
        id=staff.id,
        # A token narrows its owner's roles; an admin's token may carry any role (admin implies all).
        roles=held if roles is None else roles & rules.grantable_roles(staff.roles),
    )


def _subject(staff: Staff) -> audit.Subject:
    return audit.Subject("staff", str(staff.id))


def create_staff(ctx: Ctx, *, username: str, display_name: str, password: str, roles: list[Role]) -> Staff:
    """Create a staff account with an argon2 password hash. Emits apps.staff.created."""
    problem = rules.password_problem(password, username=username)
    if problem:
        raise WeakPassword(f"password refused: {problem}")
    if find_staff(ctx, username) is not None:
        raise UsernameTaken(f"username '{username}' is taken", username=username)
    staff = Staff(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        roles=sorted({r.value for r in roles}),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(staff)
    ctx.session.flush()
    audit.record(
        ctx, AppsEvent.STAFF_CREATED, subject=_subject(staff), data={"username": username, "roles": staff.roles}
    )
    return staff


def set_staff_password(ctx: Ctx, username: str, *, password: str) -> Staff:
    """Replace a staff member's password, clear lockout and end their sessions. Emits apps.staff.password_set."""
    staff = find_staff(ctx, username)
    if staff is None:
        raise StaffNotFound(f"no staff member '{username}'", username=username)
    problem = rules.password_problem(password, username=username)
    if problem:
        raise WeakPassword(f"password refused: {problem}")
    now = ctx.clock.now()
    staff.password_hash = _hasher.hash(password)
    staff.failed_logins, staff.locked_until = 0, None
    for live in ctx.session.scalars(
        select(StaffSession).where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
    ):
        live.ended_at = now
    audit.record(ctx, AppsEvent.STAFF_PASSWORD_SET, subject=_subject(staff), data={"username": username})
    return staff


def find_staff(ctx: Ctx, username: str) -> Staff | None:
    return ctx.session.scalars(select(Staff).where(Staff.username == username)).first()


def get_staff(ctx: Ctx) -> Staff:
    """The staff member who is acting."""
    staff = ctx.session.get(Staff, ctx.actor.id) if ctx.actor.kind is ActorKind.STAFF else None
    if staff is None:
        raise StaffNotFound("the caller is not a staff member")
    return staff


def list_staff(ctx: Ctx) -> list[Staff]:
    return list(ctx.session.scalars(select(Staff).order_by(Staff.username)))


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid_credentials"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    token: str | None = None
    csrf_token: str | None = None
    staff: Staff | None = None
    locked_until: dt.datetime | None = None


def log_in(
    ctx: Ctx, *, username: str, password: str, max_failures: int, lockout: dt.timedelta, session_ttl: dt.timedelta
) -> LoginResult:
    """Check a console log-in. Failures are outcomes, not exceptions (D5): the failure count must commit.

    After `max_failures` consecutive failures the account locks for `lockout`. Emits apps.staff.logged_in,
    apps.staff.login_failed or apps.staff.locked.
    """
    now = ctx.clock.now()
    staff = find_staff(ctx, username)
    if staff is None or not staff.active:
        _verify(_DUMMY_HASH, password)
        return LoginResult(LoginOutcome.INVALID)
    if staff.locked_until is not None and staff.locked_until > now:
        return LoginResult(LoginOutcome.LOCKED, locked_until=staff.locked_until)
    if not _verify(staff.password_hash, password):
        staff.failed_logins += 1
        staff.locked_until = rules.lockout_until(
            staff.failed_logins, now=now, max_failures=max_failures, lockout=lockout
        )
        event = AppsEvent.STAFF_LOCKED if staff.locked_until else AppsEvent.STAFF_LOGIN_FAILED
        audit.record(ctx, event, subject=_subject(staff), data={"failures": staff.failed_logins})
        if staff.locked_until:
            return LoginResult(LoginOutcome.LOCKED, locked_until=staff.locked_until)
        return LoginResult(LoginOutcome.INVALID)
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    staff.failed_logins, staff.locked_until, staff.last_login_at = 0, None, now
    token = secrets.token_urlsafe(32)
    session = StaffSession(
        id=new_id(),
        staff_id=staff.id,
        token_hash=rules.secret_digest(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + session_ttl,
    )
    ctx.session.add(session)
    audit.record(ctx, AppsEvent.STAFF_LOGGED_IN, subject=_subject(staff), data={"session": str(session.id)})
    return LoginResult(LoginOutcome.OK, token=token, csrf_token=session.csrf_token, staff=staff)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_session(ctx: Ctx, token: str) -> tuple[Actor, StaffSession] | None:
    """The staff actor behind a console session cookie, or None if the session is unknown or over."""
    row = ctx.session.scalars(select(StaffSession).where(StaffSession.token_hash == rules.secret_digest(token))).first()
    if row is None or row.ended_at is not None or row.expires_at <= ctx.clock.now():
        return None
    staff = ctx.session.get_one(Staff, row.staff_id)  # deleting staff cascades to their sessions
    if not staff.active:
        return None
    return staff_actor(staff), row


def log_out(ctx: Ctx, token: str) -> None:
    """End the console session behind a cookie token (unknown or ended: nothing to do). Emits apps.staff.logged_out."""
    found = authenticate_session(ctx, token)
    if found is None:
        return
    session = found[1]
    session.ended_at = ctx.clock.now()
    audit.record(
        ctx,
        AppsEvent.STAFF_LOGGED_OUT,
        subject=audit.Subject("staff", str(session.staff_id)),
        data={"session": str(session.id)},
    )


def create_staff_token(
    ctx: Ctx, staff_id: uuid.UUID, *, name: str, roles: list[Role], expires_in: dt.timedelta | None
) -> tuple[StaffToken, str]:
    """Issue a personal API token carrying a subset of the owner's roles. Emits apps.staff_token.created."""
    staff = ctx.session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound("no such staff member", staff_id=str(staff_id))
    wanted = frozenset(roles)
    missing = wanted - rules.grantable_roles(staff.roles)
    if missing:
        raise RolesNotHeld("a token cannot carry roles its owner does not hold", missing=sorted(missing))
    secret = rules.new_secret(rules.STAFF_TOKEN_PREFIX)
    now = ctx.clock.now()
    token = StaffToken(
        staff_id=staff.id,
        name=name,
        prefix=secret[:10],
        token_hash=rules.secret_digest(secret),
        roles=sorted(r.value for r in wanted),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    ctx.session.add(token)
    ctx.session.flush()
    audit.record(
        ctx,
        AppsEvent.STAFF_TOKEN_CREATED,
        subject=audit.Subject("staff_token", str(token.id)),
        data={"name": name, "roles": token.roles, "prefix": token.prefix},
    )
    return token, secret


def list_staff_tokens(ctx: Ctx, staff_id: uuid.UUID) -> list[StaffToken]:
    return list(
        ctx.session.scalars(select(StaffToken).where(StaffToken.staff_id == staff_id).order_by(StaffToken.created_at))
    )


def revoke_staff_token(ctx: Ctx, staff_id: uuid.UUID, token_id: uuid.UUID) -> StaffToken:
    """Revoke one of the caller's own tokens. Emits apps.staff_token.revoked."""
    token = ctx.session.get(StaffToken, token_id)
    if token is None or token.staff_id != staff_id or token.revoked_at is not None:
        raise TokenNotFound("no such live token", token_id=str(token_id))
    token.revoked_at = ctx.clock.now()
    audit.record(ctx, AppsEvent.STAFF_TOKEN_REVOKED, subject=audit.Subject("staff_token", str(token.id)), data={})
    return token


def find_staff_token(ctx: Ctx, secret: str) -> tuple[Actor, StaffToken]:
    """The staff actor for a live personal token and the token: roles are the token's, less any the owner has since
    lost. InvalidToken for an unknown, expired or revoked token, or an inactive owner."""
    token = ctx.session.scalars(select(StaffToken).where(StaffToken.token_hash == rules.secret_digest(secret))).first()
    now = ctx.clock.now()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        raise InvalidToken("the token is unknown, expired or revoked")
    staff = ctx.session.get_one(Staff, token.staff_id)  # deleting staff cascades to their tokens
    if not staff.active:
        raise InvalidToken("the token's owner is inactive")
    return staff_actor(staff, frozenset(Role(r) for r in token.roles)), token


def touch_staff_token(ctx: Ctx, token_id: uuid.UUID, now: dt.datetime) -> None:
    """Record a use of the token (not audited: it is not a decision)."""
    ctx.session.execute(update(StaffToken).where(StaffToken.id == token_id).values(last_used_at=now))
