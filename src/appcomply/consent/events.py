"""Audit event names of the consent module."""

from __future__ import annotations

import enum


class ConsentEvent(enum.StrEnum):
    ACTIVITY_CREATED = "consent.activity.created"
    ACTIVITY_CHANGED = "consent.activity.changed"
    ACTIVITY_ARCHIVED = "consent.activity.archived"
    CONSENT_RECORDED = "consent.ledger.recorded"
    AGE_DECLARED = "consent.age.declared"
    GUARDIAN_RECORDED = "consent.guardian.recorded"
    REQUEST_RECEIVED = "consent.request.received"
    REQUEST_VERIFIED = "consent.request.verified"
    REQUEST_CODE_REJECTED = "consent.request.code_rejected"
    REQUEST_ERASED = "consent.request.erased"
    REQUEST_CLOSED = "consent.request.closed"
    HOLD_PLACED = "consent.hold.placed"
    HOLD_RELEASED = "consent.hold.released"
