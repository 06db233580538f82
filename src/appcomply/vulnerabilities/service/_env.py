"""What the vulnerability use cases need beyond a session: the vault keys and the intake and alert settings."""

from __future__ import annotations

from dataclasses import dataclass

from appcomply import vault
from appcomply.settings import VulnerabilitiesSettings


@dataclass(frozen=True, slots=True)
class VulnerabilitiesEnv:
    keyring: vault.Keyring  # seals reporters' contacts
    index_key: bytes  # keys the source-address index and the idempotent tracking tokens
    limits: VulnerabilitiesSettings
    public_url: str  # base of the links in receipts and security.txt
