"""Exit codes by error category, so scripts can branch on what went wrong (pytx's ReturnCode idea)."""

from __future__ import annotations

import enum

from appcomply.kernel import errors


class ExitCode(enum.IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INVALID = 3
    NOT_FOUND = 4
    CONFLICT = 5
    FORBIDDEN = 6
    UNAVAILABLE = 7
    INTEGRITY = 8  # a check found tampering or inconsistency (audit verify)


_BY_CATEGORY: tuple[tuple[type[errors.DomainError], ExitCode], ...] = (
    (errors.NotFound, ExitCode.NOT_FOUND),
    (errors.Conflict, ExitCode.CONFLICT),
    (errors.Unauthenticated, ExitCode.FORBIDDEN),
    (errors.Forbidden, ExitCode.FORBIDDEN),
    (errors.Invalid, ExitCode.INVALID),
    (errors.TooLarge, ExitCode.INVALID),
    (errors.RateLimited, ExitCode.UNAVAILABLE),
    (errors.Unavailable, ExitCode.UNAVAILABLE),
)


def exit_code_for(exc: errors.DomainError) -> ExitCode:
    return next((code for cls, code in _BY_CATEGORY if isinstance(exc, cls)), ExitCode.UNEXPECTED)
