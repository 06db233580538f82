"""JSON API of the notices module: a user's in-app inbox, read by the app's backend, and marking a notice read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from appcomply import accounts
from appcomply.kernel.context import Ctx
from appcomply.notices import service
from appcomply.notices.schemas import NoticePage, NoticeRead
from appcomply.web.openapi import problem_responses
from appcomply.web.security import Guard

router = APIRouter(prefix="/v1", tags=["notices"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]


@router.get(
    "/users/{user_id}/notices",
    response_model=NoticePage,
    summary="List a user's inbox notices",
    responses=problem_responses(404, 422),
)
def list_notices(
    ctx: ReaderCtx,
    user_id: uuid.UUID,
    unread: Annotated[bool, Query(description="Only notices not yet read.")] = False,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    before: Annotated[uuid.UUID | None, Query(description="Cursor: the `next_cursor` of the previous page.")] = None,
) -> NoticePage:
    """Delivered in-app notices, newest first. An app key reads only its own users' inboxes."""
    user = accounts.get_user(ctx, user_id)
    rows = service.list_inbox(ctx, user.id, unread_only=unread, limit=limit + 1, before=before)
    page = rows[:limit]
    return NoticePage(
        items=[NoticeRead.model_validate(row) for row in page],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


@router.post(
    "/users/{user_id}/notices/{notice_id}/read",
    response_model=NoticeRead,
    summary="Mark an inbox notice read",
    responses=problem_responses(404, 422),
)
def mark_read(ctx: AppCtx, user_id: uuid.UUID, notice_id: uuid.UUID) -> NoticeRead:
    """Idempotent: a notice already read keeps its first read time. The content itself never changes."""
    user = accounts.get_user(ctx, user_id)
    return NoticeRead.model_validate(service.mark_read(ctx, user.id, notice_id))
