"""Helpers of the identity service tests: the values used, reading a sent code, checking the audit trail."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appcomply import audit
from appcomply.audit.models import AuditEntry
from appcomply.audit.rules import ensure_no_clear_pi
from appcomply.identity.models import SmsMessage

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


def entries_since(session: Session, seq: int) -> list[AuditEntry]:
    session.flush()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)))


def events_since(session: Session, seq: int) -> list[str]:
    return [entry.event for entry in entries_since(session, seq)]


def assert_audit_clean(session: Session, seq: int, *clear: str) -> None:
    """Every entry since `seq` passes the audit's own PI check, holds none of `clear`, and the chain verifies."""
    for entry in entries_since(session, seq):
        data: Mapping[str, Any] = entry.data
        ensure_no_clear_pi(data)
        text = json.dumps(data, ensure_ascii=False)
        assert not [value for value in clear if value in text], (entry.event, text)
    _, fault = audit.verify_chain(session)
    assert fault is None, fault
