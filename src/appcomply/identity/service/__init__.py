"""Identity use cases, one file per area: verification flow, gating, vault access."""

from appcomply.identity.service._env import IdentityEnv, identity_env
from appcomply.identity.service._gate import (
    age_from,
    get_permissions,
    get_policy,
    set_policy,
    verified_age,
    verified_age_columns,
    verified_methods,
)
from appcomply.identity.service._lookup import (
    SEALED_FIELDS,
    UserMatch,
    find_users,
    list_sms_messages,
    sealed_fields,
    verified_methods_of,
)
from appcomply.identity.service._reverify import start_reverification, verified_phones
from appcomply.identity.service._subject import erase_user, export_user
from appcomply.identity.service._vault import reveal_value, rotate_keys
from appcomply.identity.service._verify import (
    Started,
    confirm_verification,
    get_verification,
    list_verifications,
    start_verification,
)

__all__ = [
    "SEALED_FIELDS",
    "IdentityEnv",
    "Started",
    "UserMatch",
    "age_from",
    "confirm_verification",
    "erase_user",
    "export_user",
    "find_users",
    "get_permissions",
    "get_policy",
    "get_verification",
    "identity_env",
    "list_sms_messages",
    "list_verifications",
    "reveal_value",
    "rotate_keys",
    "sealed_fields",
    "set_policy",
    "start_reverification",
    "start_verification",
    "verified_age",
    "verified_age_columns",
    "verified_methods",
    "verified_methods_of",
    "verified_phones",
]
