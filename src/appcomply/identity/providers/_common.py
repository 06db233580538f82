"""What every adapter shares: offline input checks run before any vendor sees the data, and the one way to
turn an HTTP exchange into a JSON object or a `ProviderUnavailable`."""

from __future__ import annotations

import re
from typing import Any

import httpx
from stdnum.cn import ric, uscc

from appcomply.identity.ports import CheckResult, ProviderUnavailable

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_NAME_CHARS = 64


def is_e164(phone: str) -> bool:
    return bool(E164.match(phone))


def id_input_problem(*, name: str, id_number: str) -> CheckResult | None:
    """Why (name, id_number) cannot possibly match, judged offline; None when the format is sound.

    Checking before the call means a typo costs no vendor fee and personal data is not sent for nothing.
    """
    if not ric.is_valid(id_number):
        return CheckResult.INVALID_ID_NUMBER
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        return CheckResult.INVALID_NAME
    return None


def enterprise_input_problem(*, org_name: str, code: str) -> CheckResult | None:
    if not uscc.is_valid(code):
        return CheckResult.INVALID_USCC
    if not org_name.strip():
        return CheckResult.INVALID_ORG_NAME
    return None


def scrub(text: str, *secrets: str) -> str:
    """A vendor message could echo what we sent; never pass it on with the personal data in it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def exchange(http: httpx.Client, request: httpx.Request, *, provider: str) -> dict[str, Any]:
    """Send `request` (built with its timeout); the decoded JSON object, or ProviderUnavailable when no usable
    answer came back.

    4xx answers are returned: both vendors put a documented error code in their body, which is a result.
    """
    what = f"{provider} {request.url.host}"
    try:
        response = http.send(request)
    except httpx.HTTPError as exc:
        kind = type(exc).__name__
        raise ProviderUnavailable(f"{what}: no answer ({kind})", provider=provider, reason=kind) from exc
    if response.status_code >= 500:
        reason = f"http_{response.status_code}"
        raise ProviderUnavailable(f"{what}: HTTP {response.status_code}", provider=provider, reason=reason)
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"{what}: body is not JSON", provider=provider, reason="malformed") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{what}: body is not a JSON object", provider=provider, reason="malformed")
    return body


def malformed(provider: str, what: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"{provider}: {what} missing from the answer", provider=provider, reason="malformed")
