"""Account use cases: register an app's end user, read users scoped to the caller, record an organisation name."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from appcomply import apps, audit
from appcomply.accounts import rules
from appcomply.accounts.errors import (
    AppContextRequired,
    ExternalRefTaken,
    ImpersonatingNickname,
    NicknameTermInvalid,
    NicknameTermNotFound,
    NicknameTermTaken,
    UserNotFound,
)
from appcomply.accounts.events import AccountsEvent
from appcomply.accounts.models import EndUser, NicknameTerm
from appcomply.accounts.schemas import UserCreate
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx


def _subject(user: EndUser) -> audit.Subject:
    return audit.Subject("end_user", str(user.id))


def register_user(ctx: Ctx, data: UserCreate) -> EndUser:
    """Register an end user of the calling app. Emits accounts.user.registered.

    A nickname imitating party and state organs or news media is refused (ImpersonatingNickname): a new account
    cannot yet be verified as the organisation that would be entitled to it.
    """
    app_id = ctx.actor.app_id
    if ctx.actor.kind is not ActorKind.APP or app_id is None:
        raise AppContextRequired("users are registered by the app's backend with its API key")
    _check_nickname(ctx, app_id, data.nickname, verified_org_name=None)
    if find_user_by_ref(ctx, app_id, data.external_ref) is not None:
        raise ExternalRefTaken("this external_ref is already registered in the app")
    now = ctx.clock.now()
    user = EndUser(
        app_id=app_id,
        external_ref=data.external_ref,
        nickname=data.nickname,
        avatar_url=str(data.avatar_url) if data.avatar_url else None,
        status=rules.AccountStatus.ACTIVE.value,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(user)
    try:
        ctx.session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same external_ref won the race
        raise ExternalRefTaken("this external_ref is already registered in the app") from exc
    audit.record(
        ctx, AccountsEvent.USER_REGISTERED, subject=_subject(user), app_id=app_id, data={"nickname": user.nickname}
    )
    return user


def _check_nickname(ctx: Ctx, app_id: uuid.UUID, nickname: str, *, verified_org_name: str | None) -> None:
    hits = rules.impersonation_hits(nickname, extra_terms=_app_terms(ctx, app_id))
    if hits and not rules.allowed_for_organisation(hits, verified_org_name):
        terms, categories = [hit.term for hit in hits], [hit.category for hit in hits]
        raise ImpersonatingNickname("the nickname contains protected terms", terms=terms, categories=categories)


def _app_terms(ctx: Ctx, app_id: uuid.UUID) -> tuple[rules.ProtectedTerm, ...]:
    rows = ctx.session.scalars(select(NicknameTerm).where(NicknameTerm.app_id == app_id).order_by(NicknameTerm.term))
    return tuple(rules.ProtectedTerm(term=row.term, category=row.category) for row in rows)


def change_nickname(ctx: Ctx, user_id: uuid.UUID, nickname: str) -> EndUser:
    """Change a user's public nickname. Protected terms pass only for an organisation verified for that name.

    Emits accounts.user.nickname_changed. ImpersonatingNickname otherwise.
    """
    user = get_user(ctx, user_id)
    if nickname == user.nickname:
        return user
    _check_nickname(ctx, user.app_id, nickname, verified_org_name=user.verified_org_name)
    before, user.nickname, user.updated_at = user.nickname, nickname, ctx.clock.now()
    data = {"from": before, "to": nickname}
    audit.record(ctx, AccountsEvent.NICKNAME_CHANGED, subject=_subject(user), app_id=user.app_id, data=data)
    return user


def list_nickname_terms(ctx: Ctx, app_id: uuid.UUID) -> list[NicknameTerm]:
    apps.get_app(ctx, app_id)
    stmt = select(NicknameTerm).where(NicknameTerm.app_id == app_id).order_by(NicknameTerm.term)
    return list(ctx.session.scalars(stmt))


def add_nickname_term(ctx: Ctx, app_id: uuid.UUID, *, term: str, category: str) -> NicknameTerm:
    """Protect one more term in this app's nicknames. Emits accounts.nickname_term.added."""
    apps.get_app(ctx, app_id)
    if not rules.normalise_nickname(term):
        raise NicknameTermInvalid("the term has no letters or digits")
    row = NicknameTerm(
        app_id=app_id, term=term, category=category, added_by=ctx.actor.label, created_at=ctx.clock.now()
    )
    ctx.session.add(row)
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        raise NicknameTermTaken(f"'{term}' is already protected in this app") from exc
    data = {"term": term, "category": category}
    audit.record(ctx, AccountsEvent.NICKNAME_TERM_ADDED, subject=_term_ref(row), app_id=app_id, data=data)
    return row


def remove_nickname_term(ctx: Ctx, app_id: uuid.UUID, term_id: uuid.UUID) -> None:
    """Stop protecting one of the app's own terms (the packaged list stays). Emits accounts.nickname_term.removed."""
    apps.get_app(ctx, app_id)
    row = ctx.session.get(NicknameTerm, term_id)
    if row is None or row.app_id != app_id:
        raise NicknameTermNotFound("no such protected term in this app", term_id=str(term_id))
    ctx.session.delete(row)
    data = {"term": row.term}
    audit.record(ctx, AccountsEvent.NICKNAME_TERM_REMOVED, subject=_term_ref(row), app_id=app_id, data=data)


def _term_ref(row: NicknameTerm) -> audit.Subject:
    return audit.Subject("nickname_term", str(row.id))


def find_user_by_ref(ctx: Ctx, app_id: uuid.UUID, external_ref: str) -> EndUser | None:
    stmt = select(EndUser).where(EndUser.app_id == app_id, EndUser.external_ref == external_ref)
    return ctx.session.scalars(stmt).first()


def get_user(ctx: Ctx, user_id: uuid.UUID) -> EndUser:
    """The user, if the caller may see it: an app key sees only its app's users (others do not exist to it)."""
    user = ctx.session.get(EndUser, user_id)
    if user is None or not visible(ctx, user.app_id):
        raise UserNotFound("no such user", user_id=str(user_id))
    return user


def visible(ctx: Ctx, app_id: uuid.UUID) -> bool:
    """Whether the caller may see a user of `app_id`: an app key sees only its app's users; staff see every app's."""
    return ctx.actor.kind is not ActorKind.APP or app_id == ctx.actor.app_id


def list_users(ctx: Ctx, app_id: uuid.UUID, *, limit: int = 50, after: uuid.UUID | None = None) -> list[EndUser]:
    stmt = select(EndUser).where(EndUser.app_id == app_id).order_by(EndUser.id).limit(limit)
    if after is not None:
        stmt = stmt.where(EndUser.id > after)
    return list(ctx.session.scalars(stmt))


def record_verified_organisation(ctx: Ctx, user: EndUser, org_name: str) -> None:
    """Record the organisation the account verified as (for the nickname policy).

    Emits accounts.user.organisation_recorded.
    """
    if user.verified_org_name == org_name:
        return
    user.verified_org_name = org_name
    user.updated_at = ctx.clock.now()
    audit.record(
        ctx,
        AccountsEvent.ORGANISATION_RECORDED,
        subject=_subject(user),
        app_id=user.app_id,
        data={"org_name": org_name},
    )


# --- the data subject (PIPL Arts 45, 47) ----------------------------------------------------------------------------

ERASED_NICKNAME = "已注销用户"


def export_user(ctx: Ctx, user_id: uuid.UUID) -> dict[str, object]:
    """The account as held: nickname, external ref, avatar, status and dates."""
    user = get_user(ctx, user_id)
    return {
        "id": str(user.id), "external_ref": user.external_ref, "nickname": user.nickname,
        "avatar_url": user.avatar_url, "status": user.status, "verified_org_name": user.verified_org_name,
        "created_at": user.created_at.isoformat(), "updated_at": user.updated_at.isoformat(),
    }  # fmt: skip


def erase_user(ctx: Ctx, user_id: uuid.UUID, *, cancel: bool = False) -> list[str]:
    """Anonymise the profile: nickname, external ref (made unique and meaningless) and avatar; with `cancel` the
    account is deregistered (status cancelled). The row itself stays, so the other modules' pseudonymised evidence
    keeps its key. Emits accounts.user.erased. Returns what was kept and why."""
    user = get_user(ctx, user_id)
    user.nickname, user.external_ref, user.avatar_url = ERASED_NICKNAME, f"erased:{user.id}", None
    if cancel:
        user.status = rules.AccountStatus.CANCELLED.value
    user.updated_at = ctx.clock.now()
    ctx.session.flush()
    audit.record(
        ctx, AccountsEvent.USER_ERASED, subject=_subject(user), app_id=user.app_id,
        data={"status": user.status, "cancelled": cancel},
    )  # fmt: skip
    return [
        "accounts: the account row under a meaningless reference (status and dates), so the pseudonymised "
        "evidence below stays attached to one subject"
    ]
