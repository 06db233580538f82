"""JSON API of the accounts module: an app's backend registers and reads its end users."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from appcomply.accounts import service
from appcomply.accounts.schemas import NicknameTermCreate, NicknameTermRead, NicknameUpdate, UserCreate, UserRead
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.openapi import problem_responses
from appcomply.web.security import Guard

router = APIRouter(prefix="/v1", tags=["accounts"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]
ComplianceCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register an end user",
    responses=problem_responses(400, 409, 413, 422),
)
def register_user(ctx: AppCtx, body: UserCreate) -> UserRead:
    """Register a user of the calling app with the nickname they chose; the real identity is verified separately."""
    return UserRead.model_validate(service.register_user(ctx, body))


@router.get(
    "/users/{user_id}", response_model=UserRead, summary="Read an end user", responses=problem_responses(404, 422)
)
def read_user(ctx: ReaderCtx, user_id: uuid.UUID) -> UserRead:
    """The user's public profile and status. An app key reads only its own users."""
    return UserRead.model_validate(service.get_user(ctx, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    summary="Change an end user's nickname",
    responses=problem_responses(400, 404, 413, 422),
)
def change_nickname(ctx: AppCtx, user_id: uuid.UUID, body: NicknameUpdate) -> UserRead:
    """A nickname imitating organs or media is refused unless the account is verified as that organisation."""
    return UserRead.model_validate(service.change_nickname(ctx, user_id, body.nickname))


@router.get(
    "/apps/{app_id}/nickname-terms",
    response_model=list[NicknameTermRead],
    summary="List the app's own protected nickname terms",
    responses=problem_responses(404, 422),
)
def list_nickname_terms(ctx: ComplianceCtx, app_id: uuid.UUID) -> list[NicknameTermRead]:
    """Terms added by the app on top of the packaged list (state organs, news media)."""
    return [NicknameTermRead.model_validate(t) for t in service.list_nickname_terms(ctx, app_id)]


@router.post(
    "/apps/{app_id}/nickname-terms",
    response_model=NicknameTermRead,
    status_code=status.HTTP_201_CREATED,
    summary="Protect a nickname term in the app",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def add_nickname_term(ctx: ComplianceCtx, app_id: uuid.UUID, body: NicknameTermCreate) -> NicknameTermRead:
    """Users of this app can no longer take nicknames containing the term (evasions included)."""
    return NicknameTermRead.model_validate(
        service.add_nickname_term(ctx, app_id, term=body.term, category=body.category)
    )


@router.delete(
    "/apps/{app_id}/nickname-terms/{term_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove one of the app's protected terms",
    responses=problem_responses(404, 422),
)
def remove_nickname_term(ctx: ComplianceCtx, app_id: uuid.UUID, term_id: uuid.UUID) -> Response:
    """The packaged list stays; only the app's own additions can be removed."""
    service.remove_nickname_term(ctx, app_id, term_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
