"""JSON API of the apps module: apps (staff), their features, licences and API keys; the type catalogue; tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from appcomply.apps import service
from appcomply.apps.schemas import (
    NO_NUL,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AppCreate,
    AppPage,
    AppRead,
    AppSummary,
    AppUpdate,
    CatalogueRead,
    FeatureCreate,
    FeatureRead,
    FeatureUpdate,
    LicenceCreate,
    LicenceRead,
    StaffRead,
    StaffTokenCreate,
    StaffTokenCreated,
    StaffTokenRead,
)
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.openapi import GUARDED, WITH_BODY, problem_responses
from appcomply.web.security import ADMIN, ANY_STAFF, Guard

router = APIRouter(prefix="/v1", tags=["apps"], responses=problem_responses(*GUARDED))

AdminCtx = Annotated[Ctx, Depends(ADMIN)]
StaffCtx = Annotated[Ctx, Depends(ANY_STAFF)]
# Staff of any role, or the app's own API key (other apps' keys get 404 from the service's scope check).
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]
ComplianceCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]


@router.get("/apps", response_model=AppPage, summary="List apps", responses=problem_responses(422))
def list_apps(
    ctx: ReaderCtx,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    after: Annotated[uuid.UUID | None, Query(description="Cursor: the `next_cursor` of the previous page.")] = None,
    q: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="Filter by name, slug or entity.")
    ] = None,
) -> AppPage:
    """Apps in creation order. An app API key sees only its own app."""
    rows = service.list_apps(ctx, limit=limit + 1, after=after, query=q)
    page = rows[:limit]
    items = [
        AppSummary(
            id=a.id, slug=a.slug, name=a.name, entity_name=a.entity_name, app_types=a.app_types, created_at=a.created_at
        )
        for a in page
    ]
    return AppPage(items=items, next_cursor=page[-1].id if len(rows) > limit else None)


@router.post(
    "/apps",
    response_model=AppRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register an app",
    responses=problem_responses(*WITH_BODY, 409),
)
def create_app(ctx: AdminCtx, body: AppCreate) -> AppRead:
    """Register an app (tenant) with its operating entity, types, features and licences."""
    return service.app_read(ctx, service.create_app(ctx, body))


@router.get("/apps/{app_id}", response_model=AppRead, summary="Read an app", responses=problem_responses(404, 422))
def read_app(ctx: ReaderCtx, app_id: uuid.UUID) -> AppRead:
    """One app with its types, features and licences."""
    return service.app_read(ctx, service.get_app(ctx, app_id))


@router.patch(
    "/apps/{app_id}", response_model=AppRead, summary="Update an app", responses=problem_responses(*WITH_BODY, 404)
)
def update_app(ctx: AdminCtx, app_id: uuid.UUID, body: AppUpdate) -> AppRead:
    """Change name, operating entity, types or service kinds; only the fields sent change."""
    return service.app_read(ctx, service.update_app(ctx, app_id, body))


@router.post(
    "/apps/{app_id}/features",
    response_model=FeatureRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a feature",
    responses=problem_responses(*WITH_BODY, 404, 409),
)
def add_feature(ctx: AdminCtx, app_id: uuid.UUID, body: FeatureCreate) -> FeatureRead:
    """Declare a feature; mark public-opinion attributes for the Art 14 assessment."""
    return FeatureRead.model_validate(service.add_feature(ctx, app_id, body))


@router.patch(
    "/apps/{app_id}/features/{feature_id}",
    response_model=FeatureRead,
    summary="Update a feature",
    responses=problem_responses(*WITH_BODY, 404, 409),
)
def update_feature(ctx: AdminCtx, app_id: uuid.UUID, feature_id: uuid.UUID, body: FeatureUpdate) -> FeatureRead:
    """Change a feature's name, service kind, public-opinion flag or description."""
    return FeatureRead.model_validate(service.update_feature(ctx, app_id, feature_id, body))


@router.delete(
    "/apps/{app_id}/features/{feature_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a feature",
    responses=problem_responses(404, 422),
)
def remove_feature(ctx: AdminCtx, app_id: uuid.UUID, feature_id: uuid.UUID) -> Response:
    """Remove a feature from the app."""
    service.remove_feature(ctx, app_id, feature_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/apps/{app_id}/licences",
    response_model=LicenceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a licence",
    responses=problem_responses(*WITH_BODY, 404, 409),
)
def add_licence(ctx: AdminCtx, app_id: uuid.UUID, body: LicenceCreate) -> LicenceRead:
    """Record a licence or filing number (shown in-app per AGR-04)."""
    return LicenceRead.model_validate(service.add_licence(ctx, app_id, body))


@router.delete(
    "/apps/{app_id}/licences/{licence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a licence",
    responses=problem_responses(404, 422),
)
def remove_licence(ctx: AdminCtx, app_id: uuid.UUID, licence_id: uuid.UUID) -> Response:
    """Remove a licence record."""
    service.remove_licence(ctx, app_id, licence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/apps/{app_id}/api-keys",
    response_model=list[ApiKeyRead],
    summary="List an app's API keys",
    responses=problem_responses(404, 422),
)
def list_api_keys(ctx: AdminCtx, app_id: uuid.UUID) -> list[ApiKeyRead]:
    """Keys with prefix, creation, last use and revocation; never the secret."""
    return [ApiKeyRead.model_validate(k) for k in service.list_api_keys(ctx, app_id)]


@router.post(
    "/apps/{app_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    responses=problem_responses(*WITH_BODY, 404),
)
def create_api_key(ctx: AdminCtx, app_id: uuid.UUID, body: ApiKeyCreate) -> ApiKeyCreated:
    """Issue a key for the app's backend. The `key` field is shown only in this response."""
    key, secret = service.create_api_key(ctx, app_id, name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=secret)


@router.delete(
    "/apps/{app_id}/api-keys/{key_id}",
    response_model=ApiKeyRead,
    summary="Revoke an API key",
    responses=problem_responses(404, 409, 422),
)
def revoke_api_key(ctx: AdminCtx, app_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyRead:
    """Revoke the key at once; the row stays for the record."""
    return ApiKeyRead.model_validate(service.revoke_api_key(ctx, app_id, key_id))


@router.get(
    "/app-types",
    response_model=CatalogueRead,
    summary="The 39-type necessary-PI catalogue",
    dependencies=[Depends(Guard(app_key=True))],
)
def read_catalogue() -> CatalogueRead:
    """The 2021 rules' 39 app types with basic function and necessary PI (国信办秘字〔2021〕14号)."""
    return CatalogueRead.from_catalogue(service.get_catalogue())


@router.get("/staff/me", response_model=StaffRead, summary="Who am I")
def read_me(ctx: StaffCtx) -> StaffRead:
    """The calling staff member and the roles in force for this credential."""
    staff = service.get_staff(ctx)
    read = StaffRead.model_validate(staff)
    return read.model_copy(update={"roles": sorted(ctx.actor.roles)})


@router.get("/staff/me/tokens", response_model=list[StaffTokenRead], summary="List my personal tokens")
def list_my_tokens(ctx: StaffCtx) -> list[StaffTokenRead]:
    """The caller's personal API tokens, without secrets."""
    return [StaffTokenRead.model_validate(t) for t in service.list_staff_tokens(ctx, service.get_staff(ctx).id)]


@router.post(
    "/staff/me/tokens",
    response_model=StaffTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal token",
    responses=problem_responses(*WITH_BODY),
)
def create_my_token(ctx: StaffCtx, body: StaffTokenCreate) -> StaffTokenCreated:
    """A token for scripts, carrying a subset of the caller's roles. The secret is shown only here."""
    expires = dt.timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, secret = service.create_staff_token(
        ctx, service.get_staff(ctx).id, name=body.name, roles=body.roles, expires_in=expires
    )
    return StaffTokenCreated(**StaffTokenRead.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/staff/me/tokens/{token_id}",
    response_model=StaffTokenRead,
    summary="Revoke a personal token",
    responses=problem_responses(404, 422),
)
def revoke_my_token(ctx: StaffCtx, token_id: uuid.UUID) -> StaffTokenRead:
    """Revoke one of the caller's tokens."""
    return StaffTokenRead.model_validate(service.revoke_staff_token(ctx, service.get_staff(ctx).id, token_id))
