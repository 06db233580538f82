"""register_user: only an app's key registers; impersonating nicknames and duplicate references are refused."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts
from appcomply.accounts import service
from appcomply.accounts.errors import AppContextRequired
from appcomply.accounts.models import EndUser
from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.context import Ctx
from tests.factories.apps import make_app


@pytest.fixture
def app_ctx(ctx: Ctx) -> Ctx:
    app = make_app(ctx)
    return dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:test", app_id=app.id))


def _count(session: Session, model: type[object]) -> int:
    session.flush()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_user_is_registered_active_in_the_calling_app_and_audited(app_ctx: Ctx, session: Session) -> None:
    user = accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="快乐的鱼"))
    assert (user.app_id, user.status, user.verified_org_name) == (app_ctx.actor.app_id, "active", None)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.event, entry.subject_id, entry.app_id) == ("accounts.user.registered", str(user.id), user.app_id)


@pytest.mark.parametrize(
    ("nickname", "term"),
    [("中国日报官方", "中国"), ("人民法院小助手", "法院"), ("中 国·日\u200b报", "中国"), ("新华社记者", "新华社")],
)
def test_an_impersonating_nickname_is_refused_with_its_terms(
    app_ctx: Ctx, session: Session, nickname: str, term: str
) -> None:
    before = (_count(session, EndUser), _count(session, AuditEntry))
    with pytest.raises(accounts.ImpersonatingNickname) as refused:
        accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname=nickname))
    assert refused.value.code == "accounts.nickname.impersonation"
    assert term in refused.value.fields["terms"]
    assert len(refused.value.fields["categories"]) == len(refused.value.fields["terms"])
    assert (_count(session, EndUser), _count(session, AuditEntry)) == before


def test_an_ordinary_nickname_with_a_state_word_inside_is_allowed(app_ctx: Ctx) -> None:
    # 中国 and 国家 count only at the start of a name: "爱中国的鱼" is no organisation's name.
    user = accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="爱中国的鱼"))
    assert user.nickname == "爱中国的鱼"


def test_a_duplicate_external_ref_is_refused_in_the_same_app_but_not_in_another(ctx: Ctx, app_ctx: Ctx) -> None:
    accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="鱼"))
    with pytest.raises(accounts.ExternalRefTaken):
        accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="另一条鱼"))
    other = make_app(ctx)
    other_ctx = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:other", app_id=other.id))
    assert accounts.register_user(other_ctx, accounts.UserCreate(external_ref="u-1", nickname="鱼")).app_id == other.id


def test_a_concurrent_duplicate_that_passes_the_lookup_is_caught_by_the_unique_constraint(
    app_ctx: Ctx, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="鱼"))
    session.flush()
    # The race: the other request's row is not yet visible when this one looks, so only the constraint sees it.
    monkeypatch.setattr(service, "find_user_by_ref", lambda *_args, **_kw: None)
    with pytest.raises(accounts.ExternalRefTaken) as refused, session.begin_nested():
        accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="另一条鱼"))
    assert refused.value.code == "accounts.user.external_ref_taken"
    assert _count(session, EndUser) == 1


@pytest.mark.parametrize(
    "actor",
    [
        Actor(kind=ActorKind.SYSTEM, label="cli", roles=frozenset({Role.ADMIN})),
        Actor(kind=ActorKind.STAFF, label="admin", roles=frozenset({Role.ADMIN})),
        Actor(kind=ActorKind.APP, label="key:broken", app_id=None),
    ],
    ids=["cli", "staff-admin", "app-without-app-id"],
)
def test_only_an_apps_key_registers_users(ctx: Ctx, session: Session, actor: Actor) -> None:
    with pytest.raises(AppContextRequired):
        accounts.register_user(
            dataclasses.replace(ctx, actor=actor), accounts.UserCreate(external_ref="u-1", nickname="鱼")
        )
    assert _count(session, EndUser) == 0


def test_an_apps_key_sees_only_its_own_users(ctx: Ctx, app_ctx: Ctx) -> None:
    user = accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-1", nickname="鱼"))
    other = make_app(ctx)
    other_ctx = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="key:other", app_id=other.id))
    with pytest.raises(accounts.UserNotFound):
        accounts.get_user(other_ctx, user.id)
    assert accounts.get_user(ctx, user.id) is user  # staff and the CLI see every app's users
