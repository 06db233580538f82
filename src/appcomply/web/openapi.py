"""OpenAPI documentation of error responses: the RFC 9457 problem schema every route's `responses=` refers to."""

from __future__ import annotations

import copy
from typing import Any, Final

from appcomply.web.problems import MEDIA_TYPE

# What web/problems.py renders. Extension members beyond these (a domain error's structured fields, such as
# `app_id` or `required`) are allowed, hence additionalProperties. `detail` and `instance` are absent from
# the bare 500 body, so only the members every problem carries are required.
PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. Branch on `code`, which is stable; `title` and `detail` are for people.",
    "type": "object",
    "required": ["type", "title", "status", "code", "request_id"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the problem type, built from `code`."},
        "title": {"type": "string", "description": "Short summary, the same for every occurrence of the type."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong this time."},
        "instance": {"type": "string", "description": "The request path."},
        "code": {"type": "string", "description": "Stable dotted error code, e.g. `apps.app.not_found`."},
        "request_id": {"type": "string", "description": "Also in the X-Request-ID header; quote it in reports."},
        "errors": {
            "type": "array",
            "description": "For `request.validation`: one item per rejected field. The input is never echoed.",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Malformed request, such as a body that is not JSON (`request.malformed_json`).",
    401: "No credential, or an unknown, expired or revoked one (`auth.unauthenticated`, `auth.invalid_token`).",
    403: "The credential may not do this: a missing role, or the wrong kind of caller (`auth.*`).",
    404: "The resource does not exist, or is not visible to this caller.",
    409: "Conflicts with the current state, such as a name already in use.",
    413: "The request body exceeds the configured limit (`request.too_large`).",
    422: "Validation failed (`request.validation`, with `errors`) or a domain rule refused the input.",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
    503: "A required outside service is unavailable.",
}

# Every /v1 route sits behind a Guard (tests/api/test_authorization_matrix.py proves it), so these two apply
# to all of them.
GUARDED: Final = (401, 403)
# A JSON body can be malformed, too large or invalid.
WITH_BODY: Final = (400, 413, 422)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A FastAPI `responses=` mapping documenting `statuses` as `application/problem+json` problems."""
    unknown = sorted(set(statuses) - DESCRIPTIONS.keys())
    if unknown:
        raise ValueError(f"no problem description for status {unknown}; add one to DESCRIPTIONS")
    return {
        status: {
            "description": DESCRIPTIONS[status],
            # A copy per response: FastAPI merges into these dicts while it builds the document.
            "content": {MEDIA_TYPE: {"schema": copy.deepcopy(PROBLEM_SCHEMA)}},
        }
        for status in sorted(set(statuses))
    }
