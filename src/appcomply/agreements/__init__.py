"""agreements: published rules, user agreements and privacy policies (Art 16; PIPL 14, 17) — versions, public
pages, advance notice of material changes, and users' acceptances."""

from appcomply.agreements.errors import VersionNotFound
from appcomply.agreements.rules import Channel, DocumentKind, Language, VersionState, clause_address
from appcomply.agreements.schemas import AcceptanceCreate, DraftForm
from appcomply.agreements.service import (
    AgreementsEnv,
    PolicyVersionRef,
    accept_version,
    create_draft,
    edit_draft,
    erase_user,
    export_user,
    get_policy,
    list_documents,
    list_pending,
    pending_kinds,
    privacy_policy_in_force,
    schedule_version,
    set_policy,
    shown_privacy_version,
)

__all__ = [
    "AcceptanceCreate",
    "AgreementsEnv",
    "Channel",
    "DocumentKind",
    "DraftForm",
    "Language",
    "PolicyVersionRef",
    "VersionNotFound",
    "VersionState",
    "accept_version",
    "clause_address",
    "create_draft",
    "edit_draft",
    "erase_user",
    "export_user",
    "get_policy",
    "list_documents",
    "list_pending",
    "pending_kinds",
    "privacy_policy_in_force",
    "schedule_version",
    "set_policy",
    "shown_privacy_version",
]
