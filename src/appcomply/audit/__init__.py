"""Audit: the append-only, hash-chained record of every state change, written in the change's transaction and
chained after it commits."""

from appcomply.audit.errors import AuditChainBroken, ClearPersonalInformation
from appcomply.audit.rules import GENESIS_HASH, ChainFault, Subject
from appcomply.audit.schemas import AuditEntryRead
from appcomply.audit.service import (
    AuditChainer,
    Recorded,
    chain_all,
    chain_pending,
    count_unchained,
    list_entries,
    record,
    verify_chain,
)

__all__ = [
    "GENESIS_HASH",
    "AuditChainBroken",
    "AuditChainer",
    "AuditEntryRead",
    "ChainFault",
    "ClearPersonalInformation",
    "Recorded",
    "Subject",
    "chain_all",
    "chain_pending",
    "count_unchained",
    "list_entries",
    "record",
    "verify_chain",
]
