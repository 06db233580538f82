"""Expected failures.

Tree: DomainError > NotFound | Conflict | Forbidden | Invalid | Unavailable | Unauthenticated | TooLarge
| RateLimited. Each concrete error has a stable dotted ``code``; ``web/problems.py`` maps the category to
an HTTP status and the CLI maps it to an exit code. Structured ``fields`` become RFC 9457 extension
members, so they must never hold personal information in clear.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str, **fields: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    code = "auth.unauthenticated"
    title = "Authentication required"


class Invalid(DomainError):
    code = "invalid"
    title = "Invalid request"


class TooLarge(DomainError):
    code = "request.too_large"
    title = "Request too large"


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **fields: object) -> None:
        super().__init__(detail, retry_after=retry_after, **fields)
        self.retry_after = retry_after


class Unavailable(DomainError):
    code = "unavailable"
    title = "Service unavailable"
