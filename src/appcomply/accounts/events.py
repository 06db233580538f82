"""Audit event names of the accounts module."""

from __future__ import annotations

import enum


class AccountsEvent(enum.StrEnum):
    USER_REGISTERED = "accounts.user.registered"
    ORGANISATION_RECORDED = "accounts.user.organisation_recorded"
    NICKNAME_CHANGED = "accounts.user.nickname_changed"
    USER_ERASED = "accounts.user.erased"
    NICKNAME_TERM_ADDED = "accounts.nickname_term.added"
    NICKNAME_TERM_REMOVED = "accounts.nickname_term.removed"
