"""The one mapping from errors to RFC 9457 ``application/problem+json`` responses (E2), and htmx fragments."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from appcomply.kernel import errors

log = logging.getLogger("appcomply.web")

PROBLEM_BASE: Final = "tag:appcomply.org,2026:problem"
MEDIA_TYPE: Final = "application/problem+json"
CONSOLE_LOGIN: Final = "/console/login"

STATUS: Final[tuple[tuple[type[errors.DomainError], int], ...]] = (
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.TooLarge, 413),
    (errors.RateLimited, 429),
    (errors.Invalid, 422),
    (errors.Unavailable, 503),
)

_HTTP_CODES: Final = {
    400: ("request.bad_request", "Bad request"),
    401: ("auth.unauthenticated", "Authentication required"),
    403: ("auth.forbidden", "Forbidden"),
    404: ("http.not_found", "Not found"),
    405: ("http.method_not_allowed", "Method not allowed"),
    406: ("http.not_acceptable", "Not acceptable"),
    413: ("request.too_large", "Request too large"),
    415: ("request.unsupported_media_type", "Unsupported media type"),
}


def status_for(exc: errors.DomainError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 400)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}:{code}",
        "title": title,
        "status": status,
        "instance": request.url.path,
        "code": code,
        "request_id": request_id_of(request),
    }
    if detail:
        body["detail"] = detail
    # Extension members never replace a standard one: an error's own field named "status" or "type" is dropped
    # rather than allowed to make the problem lie about itself.
    extra = {key: value for key, value in (extensions or {}).items() if key not in body and key != "detail"}
    body.update(extra)
    headers: dict[str, str] = {}
    if status == 429 and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="appcomply"'
    if _wants_html(request):
        return _html_problem(request, body, status, headers)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _wants_html(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" or request.url.path.startswith("/console")


def _html_problem(request: Request, body: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
    fragment = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    name = "errors/_problem.html" if fragment else "errors/problem.html"
    if fragment:
        # htmx ignores 4xx bodies by default; retarget the fragment into the page's error slot.
        headers = {**headers, "HX-Retarget": "#problem", "HX-Reswap": "innerHTML"}
    response: Response = templates.TemplateResponse(
        request, name, {"problem": body}, status_code=status, headers=headers
    )
    return response


def domain_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, errors.DomainError):  # registered for DomainError only
        raise TypeError(exc)
    if isinstance(exc, errors.Unauthenticated) and _is_console(request):
        return _console_login_redirect(request)
    return problem(
        request, status=status_for(exc), code=exc.code, title=exc.title, detail=exc.detail, extensions=exc.fields
    )


def _is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/console" or path.startswith("/console/")


def _console_login_redirect(request: Request) -> Response:
    # A browser without a live session belongs on the login form, not on a 401 body. htmx follows
    # HX-Redirect with a full navigation; following a 303 itself would swap the login page into a fragment.
    target = f"{CONSOLE_LOGIN}?{urlencode({'next': _return_path(request)})}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _return_path(request: Request) -> str:
    """Where to come back after logging in: this page, or for a form post or an htmx swap, the page it came from.

    Only path and query are kept; the login form accepts nothing but console paths.
    """
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        url = urlsplit(str(request.url))
    else:
        url = urlsplit(request.headers.get("HX-Current-URL") or request.headers.get("Referer") or "/console/")
    return f"{url.path}?{url.query}" if url.query else url.path or "/console/"


def validation_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise TypeError(exc)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem(
            request,
            status=400,
            code="request.malformed_json",
            title="Malformed JSON",
            detail="the request body is not valid JSON",
        )
    # Never echo the rejected input back: it may be personal information.
    items = [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in raw
    ]
    return problem(
        request,
        status=422,
        code="request.validation",
        title="Validation failed",
        detail=f"{len(items)} field(s) failed validation",
        extensions={"errors": items},
    )


def http_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise TypeError(exc)
    code, title = _HTTP_CODES.get(exc.status_code, (f"http.{exc.status_code}", "HTTP error"))
    response = problem(request, status=exc.status_code, code=code, title=title, detail=str(exc.detail))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    # E4: details go to the log only (with the request id to find them); the client learns nothing.
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id_of(request)})
    body = {
        "type": f"{PROBLEM_BASE}:internal",
        "title": "Internal error",
        "status": 500,
        "code": "internal",
        "request_id": request_id_of(request),
    }
    return JSONResponse(body, status_code=500, media_type=MEDIA_TYPE, headers={"X-Request-ID": request_id_of(request)})
