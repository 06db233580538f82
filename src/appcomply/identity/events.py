"""Audit event names of the identity module."""

from __future__ import annotations

import enum


class IdentityEvent(enum.StrEnum):
    VERIFICATION_STARTED = "identity.verification.started"
    VERIFICATION_SUCCEEDED = "identity.verification.succeeded"
    VERIFICATION_FAILED = "identity.verification.failed"
    VERIFICATION_REFUSED = "identity.verification.refused"
    CODE_REJECTED = "identity.verification.code_rejected"
    VERIFICATION_LOCKED = "identity.verification.locked"
    VERIFICATION_EXPIRED = "identity.verification.expired"
    VALUE_REVEALED = "identity.value.revealed"
    POLICY_CHANGED = "identity.policy.changed"
    KEYS_ROTATED = "identity.keys.rotated"
