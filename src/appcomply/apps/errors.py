"""Errors of the apps module (tenants, API keys, staff)."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated


class AppNotFound(NotFound):
    code = "apps.app.not_found"
    title = "App not found"


class SlugTaken(Conflict):
    code = "apps.slug.taken"
    title = "Slug already in use"


class InvalidSlug(Invalid):
    code = "apps.slug.invalid"
    title = "Invalid slug"


class UnknownAppType(Invalid):
    code = "apps.app_type.unknown"
    title = "Unknown app type"


class InvalidUscc(Invalid):
    code = "apps.uscc.invalid"
    title = "Invalid unified social credit code"


class LicenceTaken(Conflict):
    code = "apps.licence.duplicate"
    title = "Licence already recorded"


class FeatureNotFound(NotFound):
    code = "apps.feature.not_found"
    title = "Feature not found"


class LicenceNotFound(NotFound):
    code = "apps.licence.not_found"
    title = "Licence not found"


class FeatureNameTaken(Conflict):
    code = "apps.feature.name_taken"
    title = "Feature name already in use"


class ApiKeyNotFound(NotFound):
    code = "apps.api_key.not_found"
    title = "API key not found"


class ApiKeyAlreadyRevoked(Conflict):
    code = "apps.api_key.already_revoked"
    title = "API key already revoked"


class StaffNotFound(NotFound):
    code = "apps.staff.not_found"
    title = "Staff member not found"


class UsernameTaken(Conflict):
    code = "apps.staff.username_taken"
    title = "Username already in use"


class WeakPassword(Invalid):
    code = "apps.staff.weak_password"
    title = "Password too weak"


class InvalidCredentials(Unauthenticated):
    code = "auth.invalid_credentials"
    title = "Invalid credentials"


class AccountLocked(Forbidden):
    code = "auth.account_locked"
    title = "Account locked"


class InvalidToken(Unauthenticated):
    code = "auth.invalid_token"
    title = "Invalid or revoked token"


class RolesNotHeld(Forbidden):
    code = "apps.staff.roles_not_held"
    title = "Token roles exceed the staff member's roles"


class TokenNotFound(NotFound):
    code = "apps.staff_token.not_found"
    title = "Personal token not found"
