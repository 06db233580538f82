"""Authentication (app API keys, staff tokens, console sessions), role guards declared on routes, CSRF."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.context import Ctx
from appcomply.kernel.errors import Forbidden, Unauthenticated
from appcomply.web.deps import Platform, ServicesDep, SessionDep

SESSION_COOKIE: Final = "appcomply_session"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
_UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC = Actor(kind=ActorKind.PUBLIC, label="public")


class CsrfFailed(Forbidden):
    code = "auth.csrf_failed"
    title = "CSRF check failed"


class RoleRequired(Forbidden):
    code = "auth.role_required"
    title = "Role required"


class AppKeyNotAllowed(Forbidden):
    code = "auth.app_key_not_allowed"
    title = "Not available to app API keys"


class StaffNotAllowed(Forbidden):
    code = "auth.staff_not_allowed"
    title = "Only for app API keys"


class Authenticator(Protocol):
    """Who holds a credential. The composition root supplies the apps module's implementation; web knows none."""

    def api_key(self, ctx: Ctx, secret: str) -> Actor:
        """The app actor for a live API key, or raise Unauthenticated."""
        ...

    def cached_api_key(self, secret: str, now: dt.datetime) -> Actor | None:
        """The app actor for an API key this process has checked lately and needs no write, without any I/O; None
        when `api_key` must be asked."""
        ...

    def staff_token(self, ctx: Ctx, secret: str) -> Actor:
        """The staff actor for a live personal token (`st_…`), or raise Unauthenticated."""
        ...

    def console_session(self, ctx: Ctx, cookie: str) -> tuple[Actor, str] | None:
        """The staff actor and the session's CSRF token behind a console cookie, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Auth:
    actor: Actor
    csrf_token: str | None = None  # set when the caller is authenticated by the console cookie


def _ctx(request: Request, services: Platform, session: Session, actor: Actor) -> Ctx:
    return Ctx(session=session, clock=services.clock, actor=actor, request_id=str(request.state.request_id))


_AUTH: Final = "appcomply.auth"


async def current_auth(request: Request, services: ServicesDep, session: SessionDep) -> Auth:
    """Who is calling: a Bearer credential wins over the console cookie; no credential is the public.

    An API key the process has checked lately is answered on the event loop; every other check reads the
    database, in the thread pool. Asked once per request: a route's guard and its own `AuthDep` share the answer."""
    auth: Auth | None = request.scope.get(_AUTH)
    if auth is None:
        auth = request.scope[_AUTH] = await _authenticate(request, services, session)
    return auth


async def _authenticate(request: Request, services: Platform, session: Session) -> Auth:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("use 'Authorization: Bearer <key or token>'")
        authenticator = services.authenticator
        if not credential.startswith("st_"):
            cached = authenticator.cached_api_key(credential, services.clock.now())
            if cached is not None:
                return Auth(cached)
        ctx = _ctx(request, services, session, PUBLIC)
        check = authenticator.staff_token if credential.startswith("st_") else authenticator.api_key
        return Auth(await run_in_threadpool(check, ctx, credential))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        ctx = _ctx(request, services, session, PUBLIC)
        found = await run_in_threadpool(services.authenticator.console_session, ctx, cookie)
        if found is not None:
            return Auth(*found)
    return Auth(PUBLIC)


AuthDep = Annotated[Auth, Depends(current_auth)]


async def _check_csrf(request: Request, auth: Auth) -> None:
    """Cookie-authenticated unsafe requests must echo the session's CSRF token (header or form field)."""
    if auth.csrf_token is None or request.method not in _UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, auth.csrf_token):
        raise CsrfFailed(
            "missing or wrong CSRF token. In the console: reload the page and try again. A script or other "
            "non-browser client: authenticate with 'Authorization: Bearer st_…' (a personal token from "
            "`appcomply staff tokens create` or POST /v1/staff/me/tokens), which needs no CSRF token; with the "
            f"session cookie, send the session's CSRF token in the {CSRF_HEADER} header"
        )


class Guard:
    """Authorisation declared on a route: which staff roles, and whether app API keys may call it.

    Admin holds every role. The guard yields the request's Ctx, so a handler cannot forget it. Tests read
    `roles` and `app_key` off every route to build the authorisation matrix.
    """

    def __init__(self, *roles: Role, app_key: bool = False, staff: bool = True) -> None:
        self.roles = frozenset(roles)
        self.app_key = app_key
        self.staff = staff

    async def __call__(self, request: Request, session: SessionDep) -> Ctx:
        # async: a check without I/O runs on the event loop, not in the thread pool (one hop less per request). Its
        # only dependency is the session: authentication and the CSRF check are plain calls, because each dependency
        # costs FastAPI tens of microseconds to solve, on every request (the per-request checks pay this too).
        services: Platform = request.app.state.services
        auth = await current_auth(request, services, session)
        await _check_csrf(request, auth)
        actor = auth.actor
        if actor.kind is ActorKind.PUBLIC:
            raise Unauthenticated("authentication required")
        if actor.kind is ActorKind.APP and not self.app_key:
            raise AppKeyNotAllowed("this operation is for staff, not app API keys")
        if actor.kind is ActorKind.STAFF:
            if not self.staff:
                raise StaffNotAllowed("this operation is called by an app's backend with its API key")
            if self.roles and not actor.has_any_role(self.roles):
                raise RoleRequired(
                    f"requires one of the roles: {', '.join(sorted(self.roles))}", required=sorted(self.roles)
                )
        return _ctx(request, services, session, actor)

    def __repr__(self) -> str:
        return f"Guard(roles={sorted(self.roles)}, app_key={self.app_key}, staff={self.staff})"


def console_chrome(auth: Auth, *, nav: str) -> dict[str, Any]:
    """What the console layout needs: who is logged in, the session's CSRF token, which controls to show."""
    return {
        "actor_name": auth.actor.label.removeprefix("staff:"),
        "csrf_token": auth.csrf_token,
        "is_admin": Role.ADMIN in auth.actor.roles,
        "is_vault": auth.actor.has_any_role(frozenset({Role.VAULT})),
        "is_security": auth.actor.has_any_role(frozenset({Role.SECURITY})),
        "nav": nav,
    }


ANY_STAFF = Guard()
ADMIN = Guard(Role.ADMIN)


async def public_ctx(request: Request, session: SessionDep) -> Ctx:
    """For public pages and intake: no credential needed; the actor is the public. On the event loop, and the
    services not a dependency of their own: public intake is called like a per-request check."""
    return _ctx(request, request.app.state.services, session, PUBLIC)


PublicCtx = Annotated[Ctx, Depends(public_ctx)]
