"""Hot routes: the per-request checks an app's backend calls on its own request path, answered without FastAPI's
generic request handler when the request is well formed.

FastAPI solves a route's dependency tree anew for every request (a few dozen microseconds per dependency, and the
body parsed to Python objects before the model validates them). A hot route's parameters are few and fixed: the
request, its guard, an environment or two, background tasks, path, query and header values, one JSON body. `HotRoute`
reads them off the route once and, per request, validates the body straight from its bytes (pydantic's JSON mode),
the path, query and header values through the route's own fields, then calls the guard and the endpoint itself.

Anything it is not sure of goes to the route's standard handler, which then does all the work from the start, so
errors are FastAPI's own: a value that does not validate (the 422 problem lists every error, as ever), a body that
is not `application/json`, a parameter kind this module does not know, and dependency overrides (tests). Validation
comes before authentication on the fast path but decides nothing there: a request that fails it is handed over
whole, and the standard handler authenticates first, as it always did.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import BackgroundTasks
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Receive, Scope, Send

from appcomply.web.deps import end_unit, open_unit, session_dependency

_Resolve = Callable[[Request, Any], Awaitable[Any]]  # (request, session) -> the dependency's value


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the endpoint's parameter
    key: str  # the path parameter's or query string's name
    validate: Callable[..., tuple[Any, list[Any]]]
    required: bool
    default: Any


@dataclass(frozen=True, slots=True)
class _Plan:
    endpoint: Callable[..., Awaitable[Response]]
    request_name: str | None
    tasks_name: str | None
    dependencies: tuple[tuple[str, _Resolve], ...]
    path: tuple[_Field, ...]
    query: tuple[_Field, ...]
    headers: tuple[_Field, ...]
    body: tuple[str, type[BaseModel]] | None


def _is_async(call: Callable[..., Any]) -> bool:
    # A function, or an instance whose __call__ is one (a Guard).
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def _takes_unknown(dependant: Dependant, *, headers: bool = False) -> bool:
    """Whether the dependant takes a parameter kind the fast path does not fill (cookies, the response...; headers
    unless `headers`, which only the endpoint's own may be)."""
    return bool((dependant.header_params and not headers) or dependant.cookie_params or dependant.response_param_name
                or dependant.security_scopes_param_name or dependant.http_connection_param_name)  # fmt: skip


def _resolver(dependant: Dependant) -> _Resolve | None:
    """A dependency that takes at most the request and the request's session, and awaits nothing else."""
    call = dependant.call
    if call is None or not _is_async(call) or dependant.scope == "function":
        return None
    if (_takes_unknown(dependant) or dependant.path_params or dependant.query_params or dependant.body_params
            or dependant.background_tasks_param_name):  # fmt: skip
        return None
    session_names = []
    for sub in dependant.dependencies:
        if sub.call is not session_dependency or sub.name is None:
            return None
        session_names.append(sub.name)
    request_name = dependant.request_param_name

    async def resolve(request: Request, session: Any) -> Any:
        kwargs = dict.fromkeys(session_names, session)
        if request_name is not None:
            kwargs[request_name] = request
        return await call(**kwargs)

    return resolve


def _fields(fields: Sequence[Any], *, header: bool = False) -> tuple[_Field, ...] | None:
    out = []
    for field in fields:
        if field.name is None:
            return None
        key = field.alias
        if header and key == field.name and getattr(field.field_info, "convert_underscores", True):
            key = key.replace("_", "-")  # FastAPI's own name for a header parameter without an alias
        required = field.field_info.is_required()
        out.append(_Field(field.name, key, field.validate, required, None if required else field.get_default()))
    return tuple(out)


def _single(plan_fields: tuple[_Field, ...], values: dict[str, Any], raw_of: Callable[[str], list[str]],
            where: str) -> bool:  # fmt: skip
    """Validate query or header values into `values`; False if any is not surely valid (or is given twice)."""
    for field in plan_fields:
        raw = raw_of(field.key)
        if len(raw) > 1:
            return False
        if not raw:
            if field.required:
                return False
            values[field.name] = field.default
            continue
        value, errors = field.validate(raw[0], loc=(where, field.key))
        if errors:
            return False
        values[field.name] = value
    return True


def plan(route: APIRoute) -> _Plan | None:
    """What the fast path needs to call `route`'s endpoint, or None if the route has a parameter it does not know."""
    dependant = route.dependant
    if route.dependencies or not _is_async(route.endpoint):
        return None
    if _takes_unknown(dependant, headers=True):
        return None
    dependencies = []
    for sub in dependant.dependencies:
        resolve = _resolver(sub)
        if resolve is None or sub.name is None:
            return None
        dependencies.append((sub.name, resolve))
    body = None
    if dependant.body_params:
        if len(dependant.body_params) != 1 or route._embed_body_fields:
            return None
        field = dependant.body_params[0]
        model = field.field_info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or field.name is None:
            return None
        body = (field.name, model)
    path, query = _fields(dependant.path_params), _fields(dependant.query_params)
    headers = _fields(dependant.header_params, header=True)
    if path is None or query is None or headers is None:
        return None
    return _Plan(
        endpoint=route.endpoint, request_name=dependant.request_param_name,
        tasks_name=dependant.background_tasks_param_name, dependencies=tuple(dependencies), path=path, query=query,
        headers=headers, body=body,
    )  # fmt: skip


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json"


async def _arguments(plan: _Plan, request: Request) -> dict[str, Any] | None:
    """The endpoint's values from the path, the query string and the body, or None if any is not surely valid."""
    values: dict[str, Any] = {}
    for field in plan.path:
        value, errors = field.validate(request.path_params.get(field.key), loc=("path", field.key))
        if errors:
            return None
        values[field.name] = value
    if plan.query and not _single(plan.query, values, request.query_params.getlist, "query"):
        return None
    if plan.headers and not _single(plan.headers, values, request.headers.getlist, "header"):
        return None
    if plan.body is not None:
        if not _is_json(request):
            return None
        name, model = plan.body
        try:
            values[name] = model.model_validate_json(await request.body())
        except ValidationError:
            return None
    return values


class HotRoute(BaseRoute):
    """`route` matched as ever, and answered by the fast path when its request is well formed (module docstring)."""

    def __init__(self, route: APIRoute) -> None:
        self.route = route
        self.plan = plan(route)

    @property
    def path(self) -> str:
        return self.route.path

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.route.matches(scope)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        return self.route.url_path_for(name, **path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self.plan
        overrides = getattr(scope.get("app"), "dependency_overrides", None)  # the FastAPI application's
        if plan is None or overrides or scope["method"] not in (self.route.methods or ()):
            await self.route.handle(scope, receive, send)
            return
        request = Request(scope, receive, send)
        values = await _arguments(plan, request)
        if values is None:
            await self.route.handle(scope, _replaying(request, receive), send)
            return
        response = await _call(plan, request, values)
        await response(scope, receive, send)


def _replaying(request: Request, receive: Receive) -> Receive:
    """`receive` for the standard handler: the body again first if the fast path read it, then the client's own."""
    body: bytes | None = getattr(request, "_body", None)  # Starlette keeps a read body on the Request object only
    if body is None:
        return receive

    async def again() -> Message:
        nonlocal body
        if body is None:
            return await receive()
        message: Message = {"type": "http.request", "body": body, "more_body": False}
        body = None
        return message

    return again


async def _call(plan: _Plan, request: Request, values: dict[str, Any]) -> Response:
    """The endpoint called with its dependencies inside the request's transaction, which ends (committed, or rolled
    back on an exception) before the response is sent, as the session dependency ends it (D2)."""
    held = open_unit(request)
    tasks = None
    try:
        for name, resolve in plan.dependencies:
            values[name] = await resolve(request, held.session)
        if plan.request_name is not None:
            values[plan.request_name] = request
        if plan.tasks_name is not None:
            values[plan.tasks_name] = tasks = BackgroundTasks()
        response = await plan.endpoint(**values)
    except BaseException as exc:
        await end_unit(held, exc)
        raise
    await end_unit(held, None)
    if tasks is not None and tasks.tasks and response.background is None:
        response.background = tasks
    return response
