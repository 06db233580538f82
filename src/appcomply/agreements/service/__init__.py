"""Agreements use cases: documents and versions (drafting, scheduling, reading), acceptances and what is pending."""

from appcomply.agreements.service._acceptances import (
    AgreementsEnv,
    accept_version,
    acceptance_counts,
    list_pending,
    pending_kinds,
)
from appcomply.agreements.service._documents import (
    DocumentView,
    Policy,
    create_draft,
    edit_draft,
    find_document,
    get_document_of,
    get_policy,
    get_version,
    list_documents,
    notice_counts,
    public_path,
    schedule_version,
    set_policy,
)
from appcomply.agreements.service._privacy import PolicyVersionRef, privacy_policy_in_force, shown_privacy_version
from appcomply.agreements.service._read import document_read, documents_read, version_read
from appcomply.agreements.service._subject import erase_user, export_user

__all__ = [
    "AgreementsEnv",
    "DocumentView",
    "Policy",
    "PolicyVersionRef",
    "accept_version",
    "acceptance_counts",
    "create_draft",
    "document_read",
    "documents_read",
    "edit_draft",
    "erase_user",
    "export_user",
    "find_document",
    "get_document_of",
    "get_policy",
    "get_version",
    "list_documents",
    "list_pending",
    "notice_counts",
    "pending_kinds",
    "privacy_policy_in_force",
    "public_path",
    "schedule_version",
    "set_policy",
    "shown_privacy_version",
    "version_read",
]
