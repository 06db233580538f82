"""Tenant use cases on a real database: apps, features, licences, listing, and app-key scoping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from appcomply.apps import service
from appcomply.apps.errors import (
    AppNotFound,
    FeatureNameTaken,
    FeatureNotFound,
    InvalidSlug,
    InvalidUscc,
    LicenceNotFound,
    LicenceTaken,
    SlugTaken,
    UnknownAppType,
)
from appcomply.apps.models import App, Feature, Licence
from appcomply.apps.rules import LicenceKind, ServiceKind
from appcomply.apps.schemas import AppUpdate, FeatureCreate, FeatureUpdate, LicenceCreate
from appcomply.audit.models import AuditEntry
from appcomply.db.session import transaction
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from tests.factories.apps import VALID_USCC, AppCreateFactory, make_app

OTHER_USCC = "91110000600037341L"  # python-stdnum's valid corner case


def _mark(session: Session) -> int:
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def _entries_after(session: Session, mark: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.id > mark).order_by(AuditEntry.id)))


def _app_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(App)) or 0


def _as_app(ctx: Ctx, app: App) -> Ctx:
    actor = Actor(kind=ActorKind.APP, label=f"app:{app.slug}", id=new_id(), app_id=app.id)
    return Ctx(session=ctx.session, clock=ctx.clock, actor=actor, request_id="app-key")


def _feature(name: str = "评论", **overrides: Any) -> FeatureCreate:
    return FeatureCreate(name=name, service_kind=overrides.pop("service_kind", ServiceKind.TEXT), **overrides)


# --- create_app -------------------------------------------------------------------------------------------------


def test_creating_an_app_stores_normalised_values_and_audits_a_snapshot(ctx: Ctx, session: Session) -> None:
    mark = _mark(session)
    body = AppCreateFactory.build(
        slug="shequ",
        entity_uscc="91 110108-ma01dfm005",
        app_types=[4, 3, 4],
        service_kinds=[ServiceKind.TEXT, ServiceKind.FORUM, ServiceKind.TEXT],
    )
    app = service.create_app(ctx, body)
    assert (app.entity_uscc, app.app_types, app.service_kinds) == (VALID_USCC, [3, 4], ["forum", "text"])
    assert app.created_at == app.updated_at == ctx.clock.now()
    [entry] = _entries_after(session, mark)
    assert (entry.event, entry.subject_kind, entry.subject_id) == ("apps.app.created", "app", str(app.id))
    assert (entry.app_id, entry.actor_label, entry.request_id) == (app.id, "cli", "test")
    assert entry.data == {
        "slug": "shequ",
        "name": body.name,
        "entity_name": body.entity_name,
        "entity_uscc": VALID_USCC,
        "app_types": [3, 4],
        "service_kinds": ["forum", "text"],
    }


def test_initial_features_and_licences_are_created_and_audited_with_the_app(ctx: Ctx, session: Session) -> None:
    mark = _mark(session)
    body = AppCreateFactory.build(
        features=[_feature("评论", public_opinion=True), _feature("私信", service_kind=ServiceKind.INSTANT_MESSAGING)],
        licences=[LicenceCreate(kind=LicenceKind.ICP_FILING, number="京ICP备12345678号-1")],
    )
    app = service.create_app(ctx, body)
    assert [e.event for e in _entries_after(session, mark)] == [
        "apps.app.created",
        "apps.feature.added",
        "apps.feature.added",
        "apps.licence.added",
    ]
    read = service.app_read(ctx, app)
    assert [(f.name, f.public_opinion) for f in read.features] == [("私信", False), ("评论", True)]
    assert [(lic.kind, lic.number) for lic in read.licences] == [(LicenceKind.ICP_FILING, "京ICP备12345678号-1")]
    assert [(t.code, t.name_zh) for t in read.app_types] == [(4, "网络社区类")]


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"app_types": [4, 40, 0, 40]}, UnknownAppType, "apps.app_type.unknown"),
        ({"entity_uscc": "91110108MA01DFM006"}, InvalidUscc, "apps.uscc.invalid"),
        ({"entity_uscc": "9111010SMA01DFM005"}, InvalidUscc, "apps.uscc.invalid"),
        ({"slug": "Shequ"}, InvalidSlug, "apps.slug.invalid"),
        ({"slug": "shequ\n"}, InvalidSlug, "apps.slug.invalid"),
        ({"slug": "admin"}, InvalidSlug, "apps.slug.invalid"),
    ],
)
def test_invalid_app_data_is_refused_before_anything_is_written(
    ctx: Ctx, session: Session, overrides: dict[str, Any], error: type[Exception], code: str
) -> None:
    mark, apps_before = _mark(session), _app_count(session)
    with pytest.raises(error) as raised:
        service.create_app(ctx, AppCreateFactory.build(**overrides))
    assert getattr(raised.value, "code", None) == code
    assert (_mark(session), _app_count(session)) == (mark, apps_before)


def test_unknown_app_types_are_named_in_the_error(ctx: Ctx) -> None:
    with pytest.raises(UnknownAppType) as raised:
        service.create_app(ctx, AppCreateFactory.build(app_types=[4, 40, 0, 40]))
    assert raised.value.fields == {"codes": [0, 40]}


def test_a_taken_slug_is_refused(ctx: Ctx, session: Session) -> None:
    make_app(ctx, slug="shequ")
    mark = _mark(session)
    with pytest.raises(SlugTaken) as raised:
        service.create_app(ctx, AppCreateFactory.build(slug="shequ"))
    assert raised.value.fields == {"slug": "shequ"}
    assert _mark(session) == mark


def test_a_slug_taken_between_the_check_and_the_insert_is_slug_taken_and_rolls_back(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session]
) -> None:
    mark, apps_before = _mark(session), _app_count(session)

    def competing_request(racing: Session, *_: object) -> None:
        # Another request's row lands after our "is it free?" query and before our INSERT.
        racing.connection().execute(
            insert(cast(Table, App.__table__)).values(
                id=new_id(),
                slug="raced",
                name="Other",
                entity_name="Other Co",
                entity_uscc=VALID_USCC,
                app_types=[],
                service_kinds=[],
                created_at=ctx.clock.now(),
                updated_at=ctx.clock.now(),
            )
        )

    def request() -> None:
        with transaction(session_factory) as racing:
            event.listen(racing, "before_flush", competing_request, once=True)
            racing_ctx = Ctx(session=racing, clock=ctx.clock, actor=ctx.actor, request_id="race")
            service.create_app(racing_ctx, AppCreateFactory.build(slug="raced", features=[_feature()]))

    with pytest.raises(SlugTaken) as raised:
        request()
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert raised.value.fields == {"slug": "raced"}
    # transaction() rolled the unit of work back: no app, no feature, no audit entry, and the database is usable.
    assert (_mark(session), _app_count(session)) == (mark, apps_before)
    assert session.scalar(select(func.count()).select_from(Feature)) == 0
    assert make_app(ctx, slug="raced").slug == "raced"


# --- update_app -------------------------------------------------------------------------------------------------


def test_an_update_records_each_changed_field_before_and_after(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    app = make_app(ctx, name="旧名", app_types=[4])
    created_at = app.created_at
    clock.advance(dt.timedelta(hours=1))
    mark = _mark(session)
    service.update_app(
        ctx,
        app.id,
        AppUpdate(
            name="新名",
            entity_name=app.entity_name,  # unchanged: must not be listed
            entity_uscc="91110000600037341l",
            app_types=[3, 4, 3],
            service_kinds=[ServiceKind.NEWS],
        ),
    )
    [entry] = _entries_after(session, mark)
    assert (entry.event, entry.subject_id, entry.app_id) == ("apps.app.updated", str(app.id), app.id)
    assert entry.data == {
        "changed": {
            "name": {"from": "旧名", "to": "新名"},
            "entity_uscc": {"from": VALID_USCC, "to": OTHER_USCC},
            "app_types": {"from": [4], "to": [3, 4]},
            "service_kinds": {"from": ["forum"], "to": ["news"]},
        }
    }
    assert (app.updated_at, app.created_at) == (clock.now(), created_at)


def test_an_update_that_changes_nothing_writes_no_audit_entry(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    app = make_app(ctx)
    updated_at = app.updated_at
    clock.advance(dt.timedelta(minutes=5))
    mark = _mark(session)
    service.update_app(ctx, app.id, AppUpdate())
    service.update_app(
        ctx,
        app.id,
        AppUpdate(name=app.name, entity_uscc=app.entity_uscc.lower(), app_types=app.app_types, service_kinds=["forum"]),
    )
    assert _entries_after(session, mark) == []
    assert app.updated_at == updated_at


@pytest.mark.parametrize(
    ("update", "error"),
    [
        (AppUpdate(name="新名", entity_uscc="91110108MA01DFM006"), InvalidUscc),
        (AppUpdate(name="新名", app_types=[99]), UnknownAppType),
    ],
)
def test_a_refused_update_changes_nothing(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], update: AppUpdate, error: type[Exception]
) -> None:
    app = make_app(ctx, name="旧名")
    session.flush()
    mark = _mark(session)
    with pytest.raises(error), transaction(session_factory) as other:
        service.update_app(Ctx(session=other, clock=ctx.clock, actor=ctx.actor, request_id="upd"), app.id, update)
    session.refresh(app)
    assert app.name == "旧名"
    assert _mark(session) == mark


def test_updating_an_unknown_app_is_app_not_found(ctx: Ctx) -> None:
    missing = new_id()
    with pytest.raises(AppNotFound) as raised:
        service.update_app(ctx, missing, AppUpdate(name="x"))
    assert raised.value.fields == {"app_id": str(missing)}


# --- lookup and scoping ------------------------------------------------------------------------------------------


def test_apps_are_found_by_id_and_slug(ctx: Ctx) -> None:
    app = make_app(ctx, slug="findme")
    assert service.get_app(ctx, app.id) is app
    assert service.get_app_by_slug(ctx, "findme") is app
    assert service.find_app_by_slug(ctx, "findme") is app
    assert service.find_app_by_slug(ctx, "nosuch") is None
    with pytest.raises(AppNotFound) as raised:
        service.get_app_by_slug(ctx, "nosuch")
    assert raised.value.fields == {"slug": "nosuch"}
    with pytest.raises(AppNotFound):
        service.get_app(ctx, new_id())


def test_an_app_key_sees_its_own_app_and_no_other(ctx: Ctx) -> None:
    mine, other = make_app(ctx), make_app(ctx)
    as_mine = _as_app(ctx, mine)
    assert service.get_app(as_mine, mine.id) is mine
    assert service.get_app_by_slug(as_mine, mine.slug) is mine
    assert service.list_apps(as_mine) == [mine]
    assert service.list_apps(as_mine, query=other.slug) == []
    foreign: list[Callable[[], object]] = [
        lambda: service.get_app(as_mine, other.id),
        lambda: service.get_app_by_slug(as_mine, other.slug),
        lambda: service.update_app(as_mine, other.id, AppUpdate(name="hijacked")),
        lambda: service.list_features(as_mine, other.id),
        lambda: service.list_licences(as_mine, other.id),
        lambda: service.add_feature(as_mine, other.id, _feature()),
        lambda: service.add_licence(as_mine, other.id, LicenceCreate(kind=LicenceKind.OTHER, number="1")),
    ]
    for call in foreign:
        with pytest.raises(AppNotFound) as raised:
            call()
        assert raised.value.code == "apps.app.not_found"
    assert other.name != "hijacked"


def test_a_staff_or_system_actor_sees_every_app(ctx: Ctx) -> None:
    first, second = make_app(ctx), make_app(ctx)
    assert service.list_apps(ctx) == [first, second]


# --- list_apps -------------------------------------------------------------------------------------------------


def test_apps_are_listed_in_creation_order_page_by_page(ctx: Ctx) -> None:
    created = [make_app(ctx, slug=f"page-{n}") for n in range(5)]
    first = service.list_apps(ctx, limit=2)
    second = service.list_apps(ctx, limit=2, after=first[-1].id)
    third = service.list_apps(ctx, limit=2, after=second[-1].id)
    assert first + second + third == created
    assert service.list_apps(ctx, limit=2, after=third[-1].id) == []


def test_a_query_matches_name_slug_or_entity_case_insensitively(ctx: Ctx) -> None:
    by_name = make_app(ctx, slug="alpha", name="Moon Chat", entity_name="甲公司")
    by_slug = make_app(ctx, slug="moonshot", name="火箭", entity_name="乙公司")
    by_entity = make_app(ctx, slug="gamma", name="丙", entity_name="MOON Holdings")
    make_app(ctx, slug="delta", name="Sun", entity_name="丁公司")
    assert service.list_apps(ctx, query="moon") == [by_name, by_slug, by_entity]
    assert service.list_apps(ctx, query="甲") == [by_name]
    assert service.list_apps(ctx, query="moon", after=by_name.id, limit=1) == [by_slug]


def test_like_wildcards_in_a_query_match_literally(ctx: Ctx) -> None:
    make_app(ctx, slug="plain", name="Plain")
    percent = make_app(ctx, slug="percent", name="100% Fun")
    assert service.list_apps(ctx, query="_") == []
    assert service.list_apps(ctx, query="%") == [percent]


# --- features ------------------------------------------------------------------------------------------------------


def test_a_feature_is_added_updated_and_removed_with_an_audit_entry_each(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    mark = _mark(session)
    feature = service.add_feature(ctx, app.id, _feature("评论", description="Comments under posts"))
    service.update_feature(ctx, app.id, feature.id, FeatureUpdate(public_opinion=True, service_kind=ServiceKind.FORUM))
    service.remove_feature(ctx, app.id, feature.id)
    added, updated, removed = _entries_after(session, mark)
    assert (added.event, added.subject_kind, added.subject_id) == ("apps.feature.added", "feature", str(feature.id))
    assert added.data == {"name": "评论", "service_kind": "text", "public_opinion": False}
    assert updated.event == "apps.feature.updated"
    assert updated.data == {
        "changed": {"public_opinion": {"from": False, "to": True}, "service_kind": {"from": "text", "to": "forum"}}
    }
    assert (removed.event, removed.subject_id, removed.data) == (
        "apps.feature.removed",
        str(feature.id),
        {"name": "评论"},
    )
    assert {e.app_id for e in (added, updated, removed)} == {app.id}
    assert service.list_features(ctx, app.id) == []


def test_a_feature_update_that_changes_nothing_writes_no_audit_entry(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    feature = service.add_feature(ctx, app.id, _feature("评论"))
    mark = _mark(session)
    service.update_feature(ctx, app.id, feature.id, FeatureUpdate())
    service.update_feature(ctx, app.id, feature.id, FeatureUpdate(name="评论", service_kind=ServiceKind.TEXT))
    assert _entries_after(session, mark) == []


def test_feature_names_are_unique_within_an_app_but_not_across_apps(ctx: Ctx, session: Session) -> None:
    app, other = make_app(ctx), make_app(ctx)
    service.add_feature(ctx, app.id, _feature("评论"))
    second = service.add_feature(ctx, app.id, _feature("私信"))
    mark = _mark(session)
    with pytest.raises(FeatureNameTaken), session.begin_nested():
        service.add_feature(ctx, app.id, _feature("评论", service_kind=ServiceKind.VIDEO))
    with pytest.raises(FeatureNameTaken), session.begin_nested():
        service.update_feature(ctx, app.id, second.id, FeatureUpdate(name="评论"))
    assert _mark(session) == mark
    assert service.add_feature(ctx, other.id, _feature("评论")).app_id == other.id
    assert [f.name for f in service.list_features(ctx, app.id)] == ["私信", "评论"]


def test_a_feature_of_another_app_is_not_found(ctx: Ctx) -> None:
    app, other = make_app(ctx), make_app(ctx)
    foreign = service.add_feature(ctx, other.id, _feature())
    for feature_id in (foreign.id, new_id()):
        with pytest.raises(FeatureNotFound) as raised:
            service.update_feature(ctx, app.id, feature_id, FeatureUpdate(name="x"))
        assert raised.value.fields == {"feature_id": str(feature_id)}
        with pytest.raises(FeatureNotFound):
            service.remove_feature(ctx, app.id, feature_id)
    assert foreign.name == "评论"
    assert service.list_features(ctx, other.id) == [foreign]


# --- licences ------------------------------------------------------------------------------------------------------


def test_a_licence_is_added_and_removed_with_an_audit_entry_each(ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    mark = _mark(session)
    licence = service.add_licence(
        ctx, app.id, LicenceCreate(kind=LicenceKind.ICP_LICENCE, number="京B2-20200001", scope="信息服务业务")
    )
    service.remove_licence(ctx, app.id, licence.id)
    added, removed = _entries_after(session, mark)
    assert (added.event, added.subject_kind, added.subject_id) == ("apps.licence.added", "licence", str(licence.id))
    assert added.data == removed.data == {"kind": "icp_licence", "number": "京B2-20200001"}
    assert removed.event == "apps.licence.removed"
    assert service.list_licences(ctx, app.id) == []


def test_the_same_licence_cannot_be_recorded_twice_for_an_app(ctx: Ctx, session: Session) -> None:
    app, other = make_app(ctx), make_app(ctx)
    number = "京ICP备12345678号-1"
    service.add_licence(ctx, app.id, LicenceCreate(kind=LicenceKind.ICP_FILING, number=number))
    mark = _mark(session)
    with pytest.raises(LicenceTaken) as raised, session.begin_nested():
        service.add_licence(ctx, app.id, LicenceCreate(kind=LicenceKind.ICP_FILING, number=number))
    assert raised.value.code == "apps.licence.duplicate"
    assert _mark(session) == mark
    # The same number under another kind, or in another app, is a different record.
    service.add_licence(ctx, app.id, LicenceCreate(kind=LicenceKind.APP_FILING, number=number))
    service.add_licence(ctx, other.id, LicenceCreate(kind=LicenceKind.ICP_FILING, number=number))
    assert [lic.kind for lic in service.list_licences(ctx, app.id)] == ["app_filing", "icp_filing"]


def test_a_licence_of_another_app_is_not_found(ctx: Ctx, session: Session) -> None:
    app, other = make_app(ctx), make_app(ctx)
    foreign = service.add_licence(ctx, other.id, LicenceCreate(kind=LicenceKind.OTHER, number="X-1"))
    for licence_id in (foreign.id, new_id()):
        with pytest.raises(LicenceNotFound) as raised:
            service.remove_licence(ctx, app.id, licence_id)
        assert raised.value.fields == {"licence_id": str(licence_id)}
    assert session.get(Licence, foreign.id) is foreign


def test_app_read_is_what_the_api_returns(ctx: Ctx) -> None:
    app = make_app(ctx, app_types=[3, 4], service_kinds=[ServiceKind.FORUM, ServiceKind.TEXT])
    read = service.app_read(ctx, app)
    assert (read.id, read.slug, read.entity.uscc) == (app.id, app.slug, VALID_USCC)
    assert [t.name_zh for t in read.app_types] == ["即时通信类", "网络社区类"]
    assert read.service_kinds == [ServiceKind.FORUM, ServiceKind.TEXT]
    assert (read.features, read.licences) == ([], [])
