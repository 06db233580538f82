"""Ports of the identity module for outside systems: SMS gateway, ID-card check, enterprise-record check.

Contract shared by every adapter (local and vendor):
- a vendor's *business* answer (a refused number, a mismatching name, a template not approved) is a RESULT,
  returned as a frozen dataclass, so the service can record it (HOUSE_STYLE D5);
- an outright failure to get an answer (transport error, timeout, HTTP 5xx, a body that is not the documented
  JSON) raises `ProviderUnavailable`, which means "nothing happened" and is safe to retry later;
- neither logs nor exception messages ever carry a clear phone number, name or ID number.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from appcomply.kernel.errors import Unavailable


class ProviderUnavailable(Unavailable):
    """The outside provider gave no usable answer. Fields: provider, reason (never personal data)."""

    code = "identity.provider.unavailable"
    title = "Identity provider unavailable"


class SmsResult(enum.StrEnum):
    ACCEPTED = "sms.accepted"
    INVALID_NUMBER = "sms.invalid_number"
    RATE_LIMITED = "sms.rate_limited"
    TEMPLATE_INVALID = "sms.template_invalid"
    INSUFFICIENT_BALANCE = "sms.insufficient_balance"
    RECIPIENT_BLOCKED = "sms.recipient_blocked"
    REJECTED = "sms.rejected"


class IdCheckOutcome(enum.StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    INVALID_INPUT = "invalid_input"
    ERROR = "error"  # the vendor answered but gave no verdict (its source is down, our quota is spent, ...)


class CheckResult(enum.StrEnum):
    """Result codes of ID and enterprise checks; `outcome` is the coarse verdict, this the reason."""

    MATCH = "idcheck.match"
    MISMATCH = "idcheck.mismatch"
    NOT_FOUND = "idcheck.not_found"
    INVALID_ID_NUMBER = "idcheck.invalid_id_number"
    INVALID_NAME = "idcheck.invalid_name"
    INVALID_INPUT = "idcheck.invalid_input"  # the vendor refused the input without saying which part
    INVALID_USCC = "idcheck.invalid_uscc"
    INVALID_ORG_NAME = "idcheck.invalid_org_name"
    SOURCE_ERROR = "idcheck.source_error"
    RATE_LIMITED = "idcheck.rate_limited"
    PROVIDER_ERROR = "idcheck.provider_error"
    LOCAL_FORMAT_VALID = "local.format_valid"


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    provider: str
    provider_request_id: str
    accepted: bool
    result_code: str
    detail: str  # the vendor's message, for operators; never contains the number


@dataclass(frozen=True, slots=True)
class IdCheckResult:
    provider: str
    provider_request_id: str
    outcome: IdCheckOutcome
    result_code: str


@dataclass(frozen=True, slots=True)
class EnterpriseCheckResult:
    provider: str
    provider_request_id: str
    outcome: IdCheckOutcome
    result_code: str


class SmsSender(Protocol):
    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceipt:
        """Hand one templated message to the gateway. `template` is the vendor's approved template code or id;
        `params` fill it in insertion order. Raises ProviderUnavailable when the gateway cannot be reached."""
        ...


class IdentityChecker(Protocol):
    def check(self, *, name: str, id_number: str, request_ref: str) -> IdCheckResult:
        """Does this name belong to this resident ID number? Raises ProviderUnavailable."""
        ...


class EnterpriseChecker(Protocol):
    def check(self, *, org_name: str, uscc: str, request_ref: str) -> EnterpriseCheckResult:
        """Does this organisation name belong to this unified social credit code? Raises ProviderUnavailable."""
        ...
