"""Audit event names of the apps module."""

from __future__ import annotations

import enum


class AppsEvent(enum.StrEnum):
    APP_CREATED = "apps.app.created"
    APP_UPDATED = "apps.app.updated"
    FEATURE_ADDED = "apps.feature.added"
    FEATURE_UPDATED = "apps.feature.updated"
    FEATURE_REMOVED = "apps.feature.removed"
    LICENCE_ADDED = "apps.licence.added"
    LICENCE_REMOVED = "apps.licence.removed"
    API_KEY_CREATED = "apps.api_key.created"
    API_KEY_REVOKED = "apps.api_key.revoked"
    STAFF_CREATED = "apps.staff.created"
    STAFF_LOGGED_IN = "apps.staff.logged_in"
    STAFF_LOGIN_FAILED = "apps.staff.login_failed"
    STAFF_LOCKED = "apps.staff.locked"
    STAFF_LOGGED_OUT = "apps.staff.logged_out"
    STAFF_PASSWORD_SET = "apps.staff.password_set"
    STAFF_TOKEN_CREATED = "apps.staff_token.created"
    STAFF_TOKEN_REVOKED = "apps.staff_token.revoked"
