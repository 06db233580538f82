"""Audit: the append-only, hash-chained record of every state change, written in the change's transaction."""

from appcomply.audit.errors import AuditChainBroken, ClearPersonalInformation
from appcomply.audit.rules import GENESIS_HASH, ChainFault, Subject
from appcomply.audit.schemas import AuditEntryRead
from appcomply.audit.service import Recorded, list_entries, record, verify_chain

__all__ = [
    "GENESIS_HASH",
    "AuditChainBroken",
    "AuditEntryRead",
    "ChainFault",
    "ClearPersonalInformation",
    "Recorded",
    "Subject",
    "list_entries",
    "record",
    "verify_chain",
]
