"""JSON API of the agreements module: an app's backend reads its documents, records and checks acceptances."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from appcomply.agreements import service
from appcomply.agreements.schemas import (
    AcceptanceCreate,
    AcceptanceRead,
    DocumentsRead,
    NoticeCountsRead,
    PendingRead,
)
from appcomply.agreements.service import AgreementsEnv
from appcomply.kernel.context import Ctx
from appcomply.web.deps import env_dependency
from appcomply.web.openapi import problem_responses
from appcomply.web.security import Guard

AgreementsEnvDep = Annotated[AgreementsEnv, Depends(env_dependency("agreements", AgreementsEnv))]

router = APIRouter(prefix="/v1", tags=["agreements"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]


@router.get(
    "/documents",
    response_model=DocumentsRead,
    summary="The app's published documents, licences and filing numbers",
    responses=problem_responses(422),
)
def read_documents(ctx: AppCtx) -> DocumentsRead:
    """Per document the version in force (effective time, SHA-256, clauses), scheduled versions and the archive;
    plus the licence and filing numbers to display in the app (AGR-04)."""
    return service.documents_read(ctx)


@router.post(
    "/users/{user_id}/acceptances",
    response_model=AcceptanceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a user's acceptance of a document version",
    responses=problem_responses(400, 404, 413, 422),
)
def accept_version(ctx: AppCtx, env: AgreementsEnvDep, user_id: uuid.UUID, body: AcceptanceCreate) -> AcceptanceRead:
    """Only an affirmative acceptance, saying where (channel), when (client time), and from which IP and client.
    A draft or superseded version is refused; the acceptance keeps the accepted text's hash."""
    row = service.accept_version(ctx, user_id, body, index_key=env.index_key)
    return AcceptanceRead.model_validate(row)


@router.get(
    "/users/{user_id}/acceptances/pending",
    response_model=PendingRead,
    summary="What a user must accept now",
    responses=problem_responses(404, 422),
)
def list_pending(ctx: ReaderCtx, user_id: uuid.UUID) -> PendingRead:
    """Every required kind whose version in force the user has not accepted, including after a material change."""
    return service.list_pending(ctx, user_id)


@router.get(
    "/document-versions/{version_id}/notices",
    response_model=NoticeCountsRead,
    summary="The change notices of a document version and when they went out",
    responses=problem_responses(404, 422),
)
def read_notice_counts(ctx: ReaderCtx, version_id: uuid.UUID) -> NoticeCountsRead:
    """How many change notices scheduling the version queued, how many are sent, pending or dead, and the times
    the first and the last went out. An app key reads only its own app's versions."""
    return service.notice_counts(ctx, service.get_version(ctx, version_id))
