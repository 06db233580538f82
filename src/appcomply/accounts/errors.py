"""Errors of the accounts module."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound


class UserNotFound(NotFound):
    code = "accounts.user.not_found"
    title = "User not found"


class ExternalRefTaken(Conflict):
    code = "accounts.user.external_ref_taken"
    title = "External reference already registered"


class ImpersonatingNickname(Invalid):
    code = "accounts.nickname.impersonation"
    title = "Nickname imitates an organisation or news media"


class AppContextRequired(Invalid):
    code = "accounts.app_required"
    title = "Only an app's API key registers users"


class NicknameTermTaken(Conflict):
    code = "accounts.nickname_term.duplicate"
    title = "Protected term already listed"


class NicknameTermNotFound(NotFound):
    code = "accounts.nickname_term.not_found"
    title = "Protected term not found"


class NicknameTermInvalid(Invalid):
    code = "accounts.nickname_term.invalid"
    title = "Protected term has no letters or digits"
