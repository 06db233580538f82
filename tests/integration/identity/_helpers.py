"""Helpers of the identity service tests: the values used, reading a sent code, checking the audit trail."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appcomply.audit.models import AuditEntry
from appcomply.audit.rules import ensure_no_clear_pi
from appcomply.identity.models import SmsMessage
from tests.factories.audit import chain_and_verify

PHONE = "13800138000"
E164 = "+8613800138000"
ID_NUMBER = "11010519491231002X"
NAME = "张三丰"
USCC = "91110108MA01DFM005"


def sent_code(session: Session, verification_id: uuid.UUID) -> str:
    body = session.scalars(select(SmsMessage.dev_body).where(SmsMessage.verification_id == verification_id)).one()
    assert body is not None
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def entries_since(session: Session, after_id: int) -> list[AuditEntry]:
    session.flush()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)))


def events_since(session: Session, after_id: int) -> list[str]:
    return [entry.event for entry in entries_since(session, after_id)]


def assert_audit_clean(session: Session, after_id: int, *clear: str) -> None:
    """Every entry since `after_id` passes the audit's own PI check, holds none of `clear`, and the chain verifies."""
    for entry in entries_since(session, after_id):
        data: Mapping[str, Any] = entry.data
        ensure_no_clear_pi(data)
        text = json.dumps(data, ensure_ascii=False)
        assert not [value for value in clear if value in text], (entry.event, text)
    _, fault = chain_and_verify(session)
    assert fault is None, fault
