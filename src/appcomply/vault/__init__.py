"""vault: personal information sealed at rest (AES-256-GCM under rotating keys) and found by keyed blind index."""

from appcomply.vault.errors import BadKeyId, BadKeyring, DecryptFailed, UnknownKey
from appcomply.vault.rules import (
    Keyring,
    PiKind,
    Sealed,
    blind_index,
    generate_key_line,
    needs_rewrap,
    open_sealed,
    parse_index_key,
    rewrap,
    seal,
)

__all__ = [
    "BadKeyId",
    "BadKeyring",
    "DecryptFailed",
    "Keyring",
    "PiKind",
    "Sealed",
    "UnknownKey",
    "blind_index",
    "generate_key_line",
    "needs_rewrap",
    "open_sealed",
    "parse_index_key",
    "rewrap",
    "seal",
]
