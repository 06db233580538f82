"""Audit errors."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid


class AuditChainBroken(Conflict):
    code = "audit.chain_broken"
    title = "Audit chain broken"


class ClearPersonalInformation(Invalid):
    """Raised before anything is written when audit data would carry PI in clear — a programming error."""

    code = "audit.clear_personal_information"
    title = "Personal information in audit data"
