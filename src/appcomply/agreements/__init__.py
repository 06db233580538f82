"""agreements: published rules, user agreements and privacy policies (Art 16; PIPL 14, 17) — versions, public
pages, advance notice of material changes, and users' acceptances."""

from appcomply.agreements.errors import VersionNotFound
from appcomply.agreements.rules import Channel, DocumentKind, Language, VersionState, clause_address
from appcomply.agreements.schemas import AcceptanceCreate, DraftForm
from appcomply.agreements.service import (
    accept_version,
    create_draft,
    edit_draft,
    get_policy,
    list_documents,
    list_pending,
    pending_kinds,
    schedule_version,
    set_policy,
)

__all__ = [
    "AcceptanceCreate",
    "Channel",
    "DocumentKind",
    "DraftForm",
    "Language",
    "VersionNotFound",
    "VersionState",
    "accept_version",
    "clause_address",
    "create_draft",
    "edit_draft",
    "get_policy",
    "list_documents",
    "list_pending",
    "pending_kinds",
    "schedule_version",
    "set_policy",
]
