"""Tenant use cases: create and change an app, its features and licences; read them scoped to the caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from operator import attrgetter
from typing import Final

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from appcomply import audit
from appcomply.apps import rules
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
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import App, Feature, Licence
from appcomply.apps.schemas import (
    AppCreate,
    AppRead,
    AppTypeRef,
    AppUpdate,
    EntityRead,
    FeatureCreate,
    FeatureRead,
    FeatureUpdate,
    LicenceCreate,
    LicenceRead,
)
from appcomply.db.cache import KeyedCache
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx


def get_catalogue() -> rules.Catalogue:
    return rules.load_catalogue()


def _checked_types(codes: Sequence[int]) -> list[int]:
    unknown = get_catalogue().unknown_codes(codes)
    if unknown:
        raise UnknownAppType(f"unknown app type codes {unknown}; the catalogue has codes 1–39", codes=unknown)
    return sorted(set(codes))


def _checked_uscc(code: str) -> str:
    problem = rules.uscc_problem(code)
    if problem:
        raise InvalidUscc(f"entity_uscc is not a valid unified social credit code: {problem}")
    return rules.normalise_uscc(code)


def ensure_app_access(ctx: Ctx, app_id: uuid.UUID) -> None:
    """An app's key reaches only its own app; to it, other apps do not exist (404, not 403)."""
    if ctx.actor.kind is ActorKind.APP and ctx.actor.app_id != app_id:
        raise AppNotFound("no such app", app_id=str(app_id))


def get_app(ctx: Ctx, app_id: uuid.UUID) -> App:
    ensure_app_access(ctx, app_id)
    app = ctx.session.get(App, app_id)
    if app is None:
        raise AppNotFound("no such app", app_id=str(app_id))
    return app


def find_app_by_slug(ctx: Ctx, slug: str) -> App | None:
    return ctx.session.scalars(select(App).where(App.slug == slug)).first()


_ID_BY_SLUG: Final = KeyedCache[str, uuid.UUID | None](App, key_of=attrgetter("slug"))
_BY_SLUG: Final = select(App.id).where(App.slug == bindparam("slug"))


def app_id_by_slug(ctx: Ctx, slug: str) -> uuid.UUID | None:
    """The id of the app with this slug, from the process's memory while fresh (public intake needs only the id)."""
    return _ID_BY_SLUG.get(ctx.session, slug, lambda: ctx.session.connection().scalar(_BY_SLUG, {"slug": slug}))


def get_app_by_slug(ctx: Ctx, slug: str) -> App:
    app = find_app_by_slug(ctx, slug)
    if app is None:
        raise AppNotFound("no such app", slug=slug)
    ensure_app_access(ctx, app.id)
    return app


def list_apps(ctx: Ctx, *, limit: int = 50, after: uuid.UUID | None = None, query: str | None = None) -> list[App]:
    """Apps in creation order (UUIDv7 ids sort by time), keyset-paginated; an app key sees only its app."""
    stmt = select(App).order_by(App.id).limit(limit)
    if after is not None:
        stmt = stmt.where(App.id > after)
    if query:
        # autoescape: the search text is literal, so "_" or "%" do not turn into wildcards matching every app.
        stmt = stmt.where(
            App.name.icontains(query, autoescape=True)
            | App.slug.icontains(query, autoescape=True)
            | App.entity_name.icontains(query, autoescape=True)
        )
    if ctx.actor.kind is ActorKind.APP:
        stmt = stmt.where(App.id == ctx.actor.app_id)
    return list(ctx.session.scalars(stmt))


def create_app(ctx: Ctx, data: AppCreate) -> App:
    """Register an app (the tenant) with its initial features and licences. Emits apps.app.created."""
    problem = rules.slug_problem(data.slug)
    if problem:
        raise InvalidSlug(f"slug '{data.slug}' is invalid: {problem}")
    if find_app_by_slug(ctx, data.slug) is not None:
        raise SlugTaken(f"slug '{data.slug}' is already used by another app", slug=data.slug)
    now = ctx.clock.now()
    app = App(
        slug=data.slug,
        name=data.name,
        entity_name=data.entity_name,
        entity_uscc=_checked_uscc(data.entity_uscc),
        app_types=_checked_types(data.app_types),
        service_kinds=sorted({kind.value for kind in data.service_kinds}),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(app)
    _flush_unique(ctx, SlugTaken(f"slug '{data.slug}' is already used by another app", slug=data.slug))
    audit.record(ctx, AppsEvent.APP_CREATED, subject=_ref(app), app_id=app.id, data=_snapshot(app))
    for feature in data.features:
        add_feature(ctx, app.id, feature)
    for licence in data.licences:
        add_licence(ctx, app.id, licence)
    return app


def update_app(ctx: Ctx, app_id: uuid.UUID, data: AppUpdate) -> App:
    """Change an app's descriptive fields. Emits apps.app.updated with the changed fields, before and after."""
    app = get_app(ctx, app_id)
    before = _snapshot(app)
    if data.name is not None:
        app.name = data.name
    if data.entity_name is not None:
        app.entity_name = data.entity_name
    if data.entity_uscc is not None:
        app.entity_uscc = _checked_uscc(data.entity_uscc)
    if data.app_types is not None:
        app.app_types = _checked_types(data.app_types)
    if data.service_kinds is not None:
        app.service_kinds = sorted({kind.value for kind in data.service_kinds})
    after = _snapshot(app)
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if changed:
        app.updated_at = ctx.clock.now()
        audit.record(ctx, AppsEvent.APP_UPDATED, subject=_ref(app), app_id=app.id, data={"changed": changed})
    return app


def list_features(ctx: Ctx, app_id: uuid.UUID) -> list[Feature]:
    ensure_app_access(ctx, app_id)
    return list(ctx.session.scalars(select(Feature).where(Feature.app_id == app_id).order_by(Feature.name)))


def add_feature(ctx: Ctx, app_id: uuid.UUID, data: FeatureCreate) -> Feature:
    """Declare a feature of the app. Emits apps.feature.added."""
    get_app(ctx, app_id)
    feature = Feature(
        app_id=app_id,
        name=data.name,
        service_kind=data.service_kind.value,
        public_opinion=data.public_opinion,
        description=data.description,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(feature)
    _flush_unique(ctx, FeatureNameTaken(f"the app already has a feature named '{data.name}'"))
    audit.record(
        ctx,
        AppsEvent.FEATURE_ADDED,
        subject=audit.Subject("feature", str(feature.id)),
        app_id=app_id,
        data={"name": feature.name, "service_kind": feature.service_kind, "public_opinion": feature.public_opinion},
    )
    return feature


def _get_feature(ctx: Ctx, app_id: uuid.UUID, feature_id: uuid.UUID) -> Feature:
    get_app(ctx, app_id)
    feature = ctx.session.get(Feature, feature_id)
    if feature is None or feature.app_id != app_id:
        raise FeatureNotFound("no such feature in this app", feature_id=str(feature_id))
    return feature


def update_feature(ctx: Ctx, app_id: uuid.UUID, feature_id: uuid.UUID, data: FeatureUpdate) -> Feature:
    """Change a feature. Emits apps.feature.updated; turning on public_opinion is what Art 14 assessments key on."""
    feature = _get_feature(ctx, app_id, feature_id)
    changes = data.model_dump(exclude_none=True, mode="json")
    changed = {k: {"from": getattr(feature, k), "to": v} for k, v in changes.items() if getattr(feature, k) != v}
    for key, value in changes.items():
        setattr(feature, key, value)
    if changed:
        _flush_unique(ctx, FeatureNameTaken(f"the app already has a feature named '{feature.name}'"))
        audit.record(
            ctx,
            AppsEvent.FEATURE_UPDATED,
            subject=audit.Subject("feature", str(feature.id)),
            app_id=app_id,
            data={"changed": changed},
        )
    return feature


def remove_feature(ctx: Ctx, app_id: uuid.UUID, feature_id: uuid.UUID) -> None:
    """Remove a feature. Emits apps.feature.removed."""
    feature = _get_feature(ctx, app_id, feature_id)
    ctx.session.delete(feature)
    audit.record(
        ctx,
        AppsEvent.FEATURE_REMOVED,
        subject=audit.Subject("feature", str(feature_id)),
        app_id=app_id,
        data={"name": feature.name},
    )


def list_licences(ctx: Ctx, app_id: uuid.UUID) -> list[Licence]:
    ensure_app_access(ctx, app_id)
    return list(ctx.session.scalars(select(Licence).where(Licence.app_id == app_id).order_by(Licence.kind)))


def add_licence(ctx: Ctx, app_id: uuid.UUID, data: LicenceCreate) -> Licence:
    """Record a licence or filing number the app holds. Emits apps.licence.added."""
    get_app(ctx, app_id)
    licence = Licence(
        app_id=app_id,
        kind=data.kind.value,
        number=data.number,
        scope=data.scope,
        expires_on=data.expires_on,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(licence)
    _flush_unique(ctx, LicenceTaken(f"the app already records {data.kind.value} number '{data.number}'"))
    audit.record(
        ctx,
        AppsEvent.LICENCE_ADDED,
        subject=audit.Subject("licence", str(licence.id)),
        app_id=app_id,
        data={"kind": licence.kind, "number": licence.number},
    )
    return licence


def remove_licence(ctx: Ctx, app_id: uuid.UUID, licence_id: uuid.UUID) -> None:
    """Remove a licence record. Emits apps.licence.removed."""
    get_app(ctx, app_id)
    licence = ctx.session.get(Licence, licence_id)
    if licence is None or licence.app_id != app_id:
        raise LicenceNotFound("no such licence in this app", licence_id=str(licence_id))
    ctx.session.delete(licence)
    audit.record(
        ctx,
        AppsEvent.LICENCE_REMOVED,
        subject=audit.Subject("licence", str(licence_id)),
        app_id=app_id,
        data={"kind": licence.kind, "number": licence.number},
    )


def app_read(ctx: Ctx, app: App) -> AppRead:
    catalogue = get_catalogue()
    return AppRead(
        id=app.id,
        slug=app.slug,
        name=app.name,
        entity=EntityRead(name=app.entity_name, uscc=app.entity_uscc),
        app_types=[
            AppTypeRef(code=code, name_zh=catalogue.get(code).name_zh, name_en=catalogue.get(code).name_en)
            for code in app.app_types
        ],
        service_kinds=[rules.ServiceKind(kind) for kind in app.service_kinds],
        features=[FeatureRead.model_validate(f) for f in list_features(ctx, app.id)],
        licences=[LicenceRead.model_validate(lic) for lic in list_licences(ctx, app.id)],
        created_at=app.created_at,
        updated_at=app.updated_at,
    )


def _flush_unique(ctx: Ctx, error: Exception) -> None:
    # Two requests can pass the "is it free?" query together; the unique constraint decides. The error
    # aborts the whole unit of work, which transaction() rolls back: nothing partial is written.
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        raise error from exc


def _ref(app: App) -> audit.Subject:
    return audit.Subject("app", str(app.id))


def _snapshot(app: App) -> dict[str, object]:
    return {
        "slug": app.slug,
        "name": app.name,
        "entity_name": app.entity_name,
        "entity_uscc": app.entity_uscc,
        "app_types": list(app.app_types),
        "service_kinds": list(app.service_kinds),
    }
