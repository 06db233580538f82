"""Offline providers: what can be done without reaching anyone — format and checksum checks, and an SMS
sender that keeps messages in memory.

The local checkers prove FORMAT, not IDENTITY: a well-formed, checksum-valid ID number or credit code with any
name is a "match" here. That is why production refuses them unless explicitly allowed (settings).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from appcomply.identity.ports import (
    CheckResult,
    EnterpriseCheckResult,
    IdCheckOutcome,
    IdCheckResult,
    SmsReceipt,
    SmsResult,
)
from appcomply.identity.providers._common import enterprise_input_problem, id_input_problem, is_e164

PROVIDER = "local"
log = logging.getLogger(__name__)


class LocalIdentityChecker:
    """Resident ID number format and checksum (stdnum.cn.ric) plus a non-empty name. Proves format only."""

    def check(self, *, name: str, id_number: str, request_ref: str) -> IdCheckResult:
        problem = id_input_problem(name=name, id_number=id_number)
        outcome = IdCheckOutcome.INVALID_INPUT if problem else IdCheckOutcome.MATCH
        code = problem or CheckResult.LOCAL_FORMAT_VALID
        log.info("identity check provider=local ref=%s outcome=%s", request_ref, outcome.value)
        return IdCheckResult(PROVIDER, f"local-{request_ref}", outcome, code)


class LocalEnterpriseChecker:
    """Unified social credit code format and checksum (stdnum.cn.uscc) plus a non-empty name. Proves format only."""

    def check(self, *, org_name: str, uscc: str, request_ref: str) -> EnterpriseCheckResult:
        problem = enterprise_input_problem(org_name=org_name, code=uscc)
        outcome = IdCheckOutcome.INVALID_INPUT if problem else IdCheckOutcome.MATCH
        code = problem or CheckResult.LOCAL_FORMAT_VALID
        log.info("enterprise check provider=local ref=%s outcome=%s", request_ref, outcome.value)
        return EnterpriseCheckResult(PROVIDER, f"local-{request_ref}", outcome, code)


@dataclass(frozen=True, slots=True)
class RecordedSms:
    phone_e164: str
    template: str
    params: Mapping[str, str]
    request_ref: str


class RecordingSmsSender:
    """Accepts every well-formed E.164 number and keeps the message in memory (lost on restart).

    For development and tests; the persistent console outbox arrives with the identity tables.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[RecordedSms] = []

    @property
    def sent(self) -> list[RecordedSms]:
        with self._lock:
            return list(self._sent)

    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceipt:
        if not is_e164(phone_e164):
            log.info("sms provider=local ref=%s result=%s", request_ref, SmsResult.INVALID_NUMBER.value)
            return SmsReceipt(PROVIDER, "", False, SmsResult.INVALID_NUMBER, "not an E.164 number")
        with self._lock:
            self._sent.append(RecordedSms(phone_e164, template, dict(params), request_ref))
        log.info("sms provider=local ref=%s result=%s", request_ref, SmsResult.ACCEPTED.value)
        return SmsReceipt(PROVIDER, f"local-{request_ref}", True, SmsResult.ACCEPTED, "recorded in memory")
