"""Staff console of the apps module (HTML + htmx): log-in and log-out, the app list, an app's page, its API keys."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from appcomply import apps
from appcomply.apps import service
from appcomply.apps.schemas import ApiKeyCreated, ApiKeyRead, AppSummary
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx
from appcomply.web.deps import ServicesDep
from appcomply.web.security import (
    ADMIN,
    ANY_STAFF,
    SESSION_COOKIE,
    Auth,
    AuthDep,
    CsrfFailed,
    PublicCtx,
    console_chrome,
)
from appcomply.web.templating import LOCALE_COOKIE, is_fragment_request, render

if TYPE_CHECKING:
    from appcomply.apps.models import App
    from appcomply.settings import SecuritySettings

router = APIRouter(prefix="/console", include_in_schema=False)

AdminCtx = Annotated[Ctx, Depends(ADMIN)]
StaffCtx = Annotated[Ctx, Depends(ANY_STAFF)]

HOME: Final = "/console/"
LOGIN: Final = "/console/login"
LOGIN_CSRF_COOKIE: Final = "appcomply_login_csrf"
PAGE_SIZE: Final = 50
_YEAR: Final = 365 * 24 * 3600


# --- log-in and log-out ----------------------------------------------------------------------------------


@router.get("/login")
def login_form(
    request: Request,
    services: ServicesDep,
    auth: AuthDep,
    next_page: Annotated[str, Query(alias="next", max_length=2000)] = "",
) -> Response:
    """The log-in form; someone already logged in goes straight on."""
    if auth.actor.kind is ActorKind.STAFF:
        return RedirectResponse(safe_next(next_page), status_code=status.HTTP_303_SEE_OTHER)
    return _login_page(request, services.settings.security, next_page=next_page)


@router.post("/login")
def log_in(
    request: Request,
    ctx: PublicCtx,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=512)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Check the credentials. Wrong ones re-render the form (401; the failure is counted and committed)."""
    _check_login_csrf(request, csrf_token)
    security = services.settings.security
    result = apps.log_in(
        ctx,
        username=username.strip(),
        password=password,
        max_failures=security.login_max_failures,
        lockout=dt.timedelta(seconds=security.login_lockout_seconds),
        session_ttl=dt.timedelta(seconds=security.session_max_age_seconds),
    )
    if result.outcome is apps.LoginOutcome.OK and result.token:
        response = RedirectResponse(safe_next(next_page), status_code=status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE,
            result.token,
            max_age=security.session_max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=security.secure_cookies,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN)
        return response
    locked = result.outcome is apps.LoginOutcome.LOCKED
    return _login_page(
        request,
        security,
        next_page=next_page,
        username=username.strip(),
        error="locked" if locked else "invalid",
        locked_until=result.locked_until,
        status_code=status.HTTP_403_FORBIDDEN if locked else status.HTTP_401_UNAUTHORIZED,
    )


@router.post("/logout")
def log_out(request: Request, ctx: StaffCtx, services: ServicesDep) -> Response:
    """End the console session (CSRF-checked by the guard) and go back to the log-in form."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        apps.log_out(ctx, token)
    response = RedirectResponse(LOGIN, status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=services.settings.security.secure_cookies
    )
    return response


def _login_page(
    request: Request, security: SecuritySettings, *, next_page: str, status_code: int = 200, **context: Any
) -> Response:
    # Login CSRF: a double-submit nonce, so another site cannot log a browser into an account of its choosing.
    nonce = secrets.token_urlsafe(32)
    page = {"login_nonce": nonce, "next": safe_next(next_page), "username": "", "error": None, **context}
    response = render(request, "apps/login.html", context=page, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=security.secure_cookies, path=LOGIN
    )
    return response


def _check_login_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("the log-in form expired or came from another site; reload it and try again")


def safe_next(value: str | None) -> str:
    """`value` if it is a path inside the console, else the console home: never a way off this site."""
    if not value or "\\" in value or any(ord(c) < 0x20 for c in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not (parts.path == "/console" or parts.path.startswith(HOME)):
        return HOME
    if parts.path.startswith(("/console/login", "/console/logout", "/console/lang/")):
        return HOME
    return value


# --- pages -----------------------------------------------------------------------------------------------


@router.get("/")
def dashboard(
    request: Request,
    ctx: StaffCtx,
    auth: AuthDep,
    q: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """Apps in creation order, searchable, keyset-paginated like GET /v1/apps."""
    rows = service.list_apps(ctx, limit=PAGE_SIZE + 1, after=after, query=q.strip() or None)
    page = [AppSummary.model_validate(app, from_attributes=True) for app in rows[:PAGE_SIZE]]
    context = {
        **_chrome(auth),
        "apps": page,
        "q": q,
        "after": after,
        "next_cursor": page[-1].id if len(rows) > PAGE_SIZE else None,
        "catalogue": service.get_catalogue(),
    }
    return render(request, "apps/dashboard.html", context=context, block="app_list")


@router.get("/apps/{slug}")
def app_page(request: Request, ctx: StaffCtx, auth: AuthDep, slug: str) -> Response:
    """One app with everything the console knows about it; API keys for administrators only."""
    return render(request, "apps/app.html", context=_app_context(ctx, auth, app=service.get_app_by_slug(ctx, slug)))


@router.post("/apps/{slug}/api-keys")
def create_api_key(
    request: Request, ctx: AdminCtx, auth: AuthDep, slug: str, name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Issue a key and show its secret in this response only: no redirect, since a redirect would lose it."""
    app = service.get_app_by_slug(ctx, slug)
    key, secret = service.create_api_key(ctx, app.id, name=name.strip() or "default")
    created = ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=secret)
    context = _app_context(ctx, auth, app=app, created=created)
    return render(request, "apps/app.html", context=context, block="api_keys", status_code=status.HTTP_201_CREATED)


@router.post("/apps/{slug}/api-keys/{key_id}/revoke")
def revoke_api_key(request: Request, ctx: AdminCtx, auth: AuthDep, slug: str, key_id: uuid.UUID) -> Response:
    """Revoke a key at once; htmx gets the refreshed key list, a plain form post the app page again."""
    app = service.get_app_by_slug(ctx, slug)
    service.revoke_api_key(ctx, app.id, key_id)
    if is_fragment_request(request):
        return render(request, "apps/app.html", context=_app_context(ctx, auth, app=app), block="api_keys")
    return RedirectResponse(f"/console/apps/{quote(app.slug)}#api-keys", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/lang/{locale}")
def switch_language(request: Request, services: ServicesDep, locale: Literal["zh_CN", "en"]) -> Response:
    """Remember the console language and go back to the page the link was on."""
    response = RedirectResponse(_referring_page(request), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=_YEAR,
        httponly=True,
        samesite="lax",
        secure=services.settings.security.secure_cookies,
    )
    return response


def _referring_page(request: Request) -> str:
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.url.netloc:
        return HOME
    if referer.path.startswith(LOGIN):  # keep the log-in form (and where it leads) rather than bounce off it
        return f"{referer.path}?{referer.query}" if referer.query else referer.path
    return safe_next(f"{referer.path}?{referer.query}" if referer.query else referer.path)


def _chrome(auth: Auth) -> dict[str, Any]:
    return console_chrome(auth, nav="apps")


def _app_context(ctx: Ctx, auth: Auth, *, app: App, created: ApiKeyCreated | None = None) -> dict[str, Any]:
    chrome = _chrome(auth)
    # Key listing is admin-only in the JSON API too; the console shows no more than the API would.
    keys = [ApiKeyRead.model_validate(k) for k in service.list_api_keys(ctx, app.id)] if chrome["is_admin"] else []
    return {
        **chrome,
        "app": service.app_read(ctx, app),
        "app_slug": app.slug,
        "catalogue": service.get_catalogue(),
        "api_keys": keys,
        "created": created,
    }
