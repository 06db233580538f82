"""Staff console of the identity module (HTML + htmx): an app's users, one user's verifications, reveal with a
reason (vault role), and the development SMS outbox.

Pages show masked values only. A clear value leaves the vault through `reveal_value` alone, which audits who
asked, for what and why, and it is shown in that one no-store response.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from pydantic import StringConstraints

from appcomply import accounts, apps, identity
from appcomply.identity.service import SEALED_FIELDS
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import env_dependency
from appcomply.web.security import ANY_STAFF, Auth, AuthDep, Guard, console_chrome
from appcomply.web.templating import render

IdentityEnvDep = Annotated[identity.IdentityEnv, Depends(env_dependency("identity", identity.IdentityEnv))]

router = APIRouter(prefix="/console", include_in_schema=False)

StaffCtx = Annotated[Ctx, Depends(ANY_STAFF)]
VaultCtx = Annotated[Ctx, Depends(Guard(Role.VAULT))]

PAGE_SIZE: Final = 50
# The same rule as the JSON API's RevealRequest: a reason a reviewer of the audit log can act on.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=500)]
Field = Literal["phone", "name", "id_number", "uscc"]


@router.get("/apps/{slug}/users")
def users(
    request: Request,
    ctx: StaffCtx,
    auth: AuthDep,
    slug: str,
    after: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """The app's users in creation order, keyset-paginated."""
    app = apps.get_app_by_slug(ctx, slug)
    page = accounts.list_users(ctx, app.id, limit=PAGE_SIZE + 1, after=after)
    next_cursor = page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None
    context = _users_context(ctx, auth, app, [(user, None) for user in page[:PAGE_SIZE]], q="")
    return render(
        request,
        "identity/users.html",
        context={**context, "after": after, "next_cursor": next_cursor},
        block="user_list",
    )


@router.post("/apps/{slug}/users")
def find_users(
    request: Request,
    ctx: StaffCtx,
    auth: AuthDep,
    env: IdentityEnvDep,
    slug: str,
    q: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Find users by external ref or full mobile number. A POST, so the number stays out of URLs and access logs."""
    app = apps.get_app_by_slug(ctx, slug)
    query = q.strip()
    matches = identity.find_users(ctx, app.id, query, env=env) if query else []
    context = _users_context(ctx, auth, app, [(m.user, m.by) for m in matches], q=query)
    return render(request, "identity/users.html", context=context, block="user_list")


def _users_context(
    ctx: Ctx, auth: Auth, app: apps.App, rows: list[tuple[accounts.EndUser, str | None]], *, q: str
) -> dict[str, Any]:
    methods = identity.verified_methods_of(ctx, [user.id for user, _ in rows])
    return {
        **_chrome(auth, app.slug),
        "app": app,
        "rows": [{"user": user, "by": by, "methods": sorted(methods[user.id])} for user, by in rows],
        "q": q,
        "after": None,
        "next_cursor": None,
    }


@router.get("/users/{user_id}")
def user_page(request: Request, ctx: StaffCtx, auth: AuthDep, user_id: uuid.UUID) -> Response:
    """Profile, what the user may do, and every verification attempt with its (masked) evidence."""
    user = accounts.get_user(ctx, user_id)
    app = apps.get_app(ctx, user.app_id)
    history = [{"row": row, "sealed": identity.sealed_fields(row)} for row in identity.list_verifications(ctx, user.id)]
    context = {
        **_chrome(auth, app.slug),
        "app": app,
        "user": user,
        "permissions": identity.get_permissions(ctx, user.id),
        "history": history,
        "fields": [name for name, _ in SEALED_FIELDS],
    }
    return render(request, "identity/user.html", context=context)


@router.post("/verifications/{verification_id}/reveal")
def reveal(
    request: Request,
    ctx: VaultCtx,
    auth: AuthDep,
    env: IdentityEnvDep,
    verification_id: uuid.UUID,
    field: Annotated[Field, Form()],
    reason: Annotated[Reason, Form()],
) -> Response:
    """Open one sealed value for a stated reason (audited) and show it in this response only."""
    value = identity.reveal_value(ctx, verification_id, field=field, reason=reason, env=env)
    row = identity.get_verification(ctx, verification_id)
    app = apps.get_app(ctx, row.app_id)
    context = {**_chrome(auth, app.slug), "app": app, "row": row, "field": field, "value": value}
    return render(request, "identity/reveal.html", context=context, block="revealed")


@router.get("/apps/{slug}/sms-outbox")
def sms_outbox(
    request: Request,
    ctx: StaffCtx,
    auth: AuthDep,
    slug: str,
    before: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """The SMS sent for the app's verifications, newest first; the local provider's text for developers."""
    app = apps.get_app_by_slug(ctx, slug)
    found = identity.list_sms_messages(ctx, app_id=app.id, limit=PAGE_SIZE + 1, before=before)
    context = {
        **_chrome(auth, app.slug, nav="sms"),
        "app": app,
        "messages": found[:PAGE_SIZE],
        "before": before,
        "next_cursor": found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None,
    }
    return render(request, "identity/outbox.html", context=context, block="outbox")


def _chrome(auth: Auth, app_slug: str, nav: str = "users") -> dict[str, Any]:
    return {**console_chrome(auth, nav=nav), "app_slug": app_slug}
