"""Consent use cases: the processing map and its analysis, the ledger, checks and permissions, public lists,
data-subject requests and legal holds."""

from appcomply.consent.service._checks import check, get_permissions
from appcomply.consent.service._convert import to_rule
from appcomply.consent.service._ledger import (
    GUARDIAN_SUBJECT,
    declare_age,
    list_consents,
    record_consent,
    record_guardian_consent,
    user_age,
)
from appcomply.consent.service._map import (
    analyse_app,
    archive_activity,
    create_activity,
    find_activity,
    list_activities,
    read_model,
    replace_activity,
)
from appcomply.consent.service._requests import (
    active_hold,
    complete_request,
    confirm_request,
    get_request,
    list_holds,
    list_requests,
    open_request,
    place_hold,
    read_export,
    reject_request,
    release_hold,
    verification_status,
    work_calendar,
)

__all__ = [
    "GUARDIAN_SUBJECT",
    "active_hold",
    "analyse_app",
    "archive_activity",
    "check",
    "complete_request",
    "confirm_request",
    "create_activity",
    "declare_age",
    "find_activity",
    "get_permissions",
    "get_request",
    "list_activities",
    "list_consents",
    "list_holds",
    "list_requests",
    "open_request",
    "place_hold",
    "read_export",
    "read_model",
    "record_consent",
    "record_guardian_consent",
    "reject_request",
    "release_hold",
    "replace_activity",
    "to_rule",
    "user_age",
    "verification_status",
    "work_calendar",
]
