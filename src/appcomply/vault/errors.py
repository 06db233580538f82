"""Errors of the vault: keys that cannot be parsed and sealed values that cannot be opened.

All are ``Invalid``: nothing outside is down, so retrying cannot help (``Unavailable`` would invite retries).
Details and fields never carry plaintext, ciphertext or key material; a key id, a kind and a reason are safe.
"""

from __future__ import annotations

from appcomply.kernel.errors import Invalid


class BadKeyring(Invalid):
    """The configured keyring or blind-index key is malformed: a configuration problem, found at start-up."""

    code = "vault.bad_keyring"
    title = "Malformed vault key configuration"


class BadKeyId(Invalid):
    code = "vault.bad_key_id"
    title = "Malformed vault key id"


class UnknownKey(Invalid):
    """A sealed value names a key id the keyring no longer holds (retired too early, or a foreign value)."""

    code = "vault.unknown_key"
    title = "Unknown vault key"


class DecryptFailed(Invalid):
    """A sealed value is malformed, was tampered with, or belongs to another kind, context or key."""

    code = "vault.decrypt_failed"
    title = "Sealed value could not be opened"
