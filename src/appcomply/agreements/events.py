"""Audit event names of the agreements module."""

from __future__ import annotations

import enum


class AgreementsEvent(enum.StrEnum):
    POLICY_CHANGED = "agreements.policy.changed"
    DRAFT_CREATED = "agreements.version.drafted"
    DRAFT_EDITED = "agreements.version.edited"
    VERSION_SCHEDULED = "agreements.version.scheduled"
    ACCEPTANCE_RECORDED = "agreements.acceptance.recorded"
