"""accounts: an app's end users — pseudonymous public profile, status, nickname policy (IDV-06)."""

from appcomply.accounts.errors import ExternalRefTaken, ImpersonatingNickname, UserNotFound
from appcomply.accounts.models import EndUser
from appcomply.accounts.rules import AccountStatus
from appcomply.accounts.schemas import UserCreate, UserRead
from appcomply.accounts.service import (
    change_nickname,
    erase_user,
    export_user,
    find_user_by_ref,
    get_user,
    list_users,
    record_verified_organisation,
    register_user,
    visible,
)

__all__ = [
    "AccountStatus",
    "EndUser",
    "ExternalRefTaken",
    "ImpersonatingNickname",
    "UserCreate",
    "UserNotFound",
    "UserRead",
    "change_nickname",
    "erase_user",
    "export_user",
    "find_user_by_ref",
    "get_user",
    "list_users",
    "record_verified_organisation",
    "register_user",
    "visible",
]
