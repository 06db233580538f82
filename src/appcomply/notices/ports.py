"""Ports of the notices module: the SMS gateway and the e-mail sender a worker delivers through.

`SmsSender` has the same shape as the identity module's port (structural typing: any of its adapters fits, and
this module need not import identity). Contract for every adapter:
- a refusal the gateway answers (bad number, refused recipient) is a RESULT: a receipt with accepted=False and a
  stable result code, so the worker records it (HOUSE_STYLE D5);
- no answer at all (transport error, timeout) raises a kernel `Unavailable`, and the notice is retried later;
- neither logs nor exception messages carry the phone number or the address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from appcomply.kernel.errors import Unavailable


class EmailUnavailable(Unavailable):
    """The mail server gave no usable answer. Fields: provider, reason (never the address)."""

    code = "notices.email.unavailable"
    title = "Mail server unavailable"


class SmsReceiptLike(Protocol):
    @property
    def provider(self) -> str: ...
    @property
    def provider_request_id(self) -> str: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def result_code(self) -> str: ...


class SmsSender(Protocol):
    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceiptLike:
        """Hand one templated message to the gateway; raises an `Unavailable` when it cannot be reached."""
        ...


@dataclass(frozen=True, slots=True)
class EmailReceipt:
    provider: str
    provider_request_id: str
    accepted: bool
    result_code: str


class EmailSender(Protocol):
    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:
        """Hand one plain-text message to the mail system; raises EmailUnavailable when it cannot be reached."""
        ...


@dataclass(frozen=True, slots=True)
class NoticeSenders:
    sms: SmsSender
    email: EmailSender
