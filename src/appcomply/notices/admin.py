"""Staff console of the notices module (HTML + htmx): an app's outbox by status, and re-queueing dead notices.

Recipients are shown masked; a notice's subject and body are shown as sent and cannot be edited.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from appcomply import apps
from appcomply.kernel.context import Ctx
from appcomply.notices import service
from appcomply.notices.rules import NoticeStatus
from appcomply.web.security import ADMIN, ANY_STAFF, Auth, AuthDep, console_chrome
from appcomply.web.templating import is_fragment_request, render

router = APIRouter(prefix="/console", include_in_schema=False)

StaffCtx = Annotated[Ctx, Depends(ANY_STAFF)]
AdminCtx = Annotated[Ctx, Depends(ADMIN)]

PAGE_SIZE: Final = 50


@router.get("/apps/{slug}/notices")
def queue(
    request: Request,
    ctx: StaffCtx,
    auth: AuthDep,
    slug: str,
    status_filter: Annotated[NoticeStatus | None, Query(alias="status")] = None,
    before: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """The app's notices newest first, optionally of one status, with attempts and the last error."""
    app = apps.get_app_by_slug(ctx, slug)
    return render(
        request,
        "notices/queue.html",
        context=_queue_context(ctx, auth, app, status_filter=status_filter, before=before),
        block="queue",
    )


@router.post("/notices/{notice_id}/requeue")
def requeue(request: Request, ctx: AdminCtx, auth: AuthDep, notice_id: uuid.UUID) -> Response:
    """Give a dead notice a fresh set of attempts (audited); htmx gets the refreshed dead list."""
    notice = service.requeue_dead(ctx, notice_id)
    app = apps.get_app(ctx, notice.app_id)
    if is_fragment_request(request):
        context = _queue_context(ctx, auth, app, status_filter=NoticeStatus.DEAD, before=None)
        return render(request, "notices/queue.html", context=context, block="queue")
    return RedirectResponse(
        f"/console/apps/{quote(app.slug)}/notices?status=dead", status_code=status.HTTP_303_SEE_OTHER
    )


def _queue_context(
    ctx: Ctx, auth: Auth, app: apps.App, *, status_filter: NoticeStatus | None, before: uuid.UUID | None
) -> dict[str, Any]:
    found = service.list_queue(ctx, app.id, status=status_filter, limit=PAGE_SIZE + 1, before=before)
    return {
        **console_chrome(auth, nav="notices"),
        "app_slug": app.slug,
        "app": app,
        "notices": found[:PAGE_SIZE],
        "counts": service.count_by_status(ctx, app.id),
        "statuses": list(NoticeStatus),
        "status_filter": status_filter.value if status_filter else "",
        "before": before,
        "next_cursor": found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None,
    }
