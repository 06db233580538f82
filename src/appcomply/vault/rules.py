"""Pure cryptography of the identity vault: the keyring, sealed values (AES-256-GCM) and blind indexes (HMAC).

Personal information (names, ID numbers, phone numbers, USCCs) is stored sealed under a key id, found by a keyed
blind index, and never decrypted just to compare. Nothing here touches the database; owners keep the strings.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appcomply.vault.errors import BadKeyId, BadKeyring, DecryptFailed, UnknownKey

KEY_BYTES = 32  # AES-256 only; the blind-index HMAC key has the same length
NONCE_BYTES = 12  # 96 bits, GCM's native nonce size
TAG_BYTES = 16
VERSION = "v1"
INDEX_LABEL = "appcomply.vault.blind_index.v1"
_SEAL_LABEL = "appcomply.vault.seal"

_KID = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_KID_RULE = "1–16 lower-case letters, digits or hyphens, starting with a letter or digit"


class PiKind(enum.StrEnum):
    """What a sealed value or index holds. Bound into every AAD and index, so values cannot change kind."""

    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    USCC = "uscc"
    CONTACT = "contact"  # how a reporter (of a vulnerability, a complaint) asked to be reached


# --- keys ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Keyring:
    """AES-256 keys by id. `current` encrypts; every key decrypts. Its repr shows ids only, never key material."""

    current: str
    kids: tuple[str, ...]
    _ciphers: Mapping[str, AESGCM] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """From the settings form ``kid1:base64url-key,kid2:…`` (first is current); raises BadKeyring.

        Messages name entries by position and never echo what was written in them: an operator who puts a key
        where the id belongs must not see it in a log line.
        """
        entries = [entry.strip() for entry in text.split(",")]
        if entries == [""]:
            raise BadKeyring("keyring is empty: expected 'kid:base64url-key[,kid:key…]'")
        return cls.from_keys([_parse_entry(entry, position) for position, entry in enumerate(entries, 1)])

    @classmethod
    def from_keys(cls, keys: Sequence[tuple[str, bytes]]) -> Keyring:
        """From (kid, 32-byte key) pairs, current first; raises BadKeyring."""
        if not keys:
            raise BadKeyring("keyring is empty: expected at least one key")
        ciphers: dict[str, AESGCM] = {}
        for position, (kid, key) in enumerate(keys, 1):
            if not _KID.fullmatch(kid):
                raise BadKeyring(f"keyring entry {position}: the key id must be {_KID_RULE}")
            if kid in ciphers:
                raise BadKeyring(f"keyring entry {position}: key id {kid!r} is used twice")
            if len(key) != KEY_BYTES:
                raise BadKeyring(
                    f"keyring entry {position} ({kid}): the key must be {KEY_BYTES} bytes (AES-256), got {len(key)}"
                )
            ciphers[kid] = AESGCM(key)
        kids = tuple(ciphers)
        return cls(current=kids[0], kids=kids, _ciphers=MappingProxyType(ciphers))

    def cipher(self, kid: str) -> AESGCM:
        try:
            return self._ciphers[kid]
        except KeyError:
            raise UnknownKey(f"no key {kid!r} in the keyring", kid=kid) from None


def _parse_entry(entry: str, position: int) -> tuple[str, bytes]:
    kid, colon, encoded = entry.partition(":")
    if not colon:
        raise BadKeyring(f"keyring entry {position}: expected 'kid:base64url-key'")
    kid = kid.strip()
    if not _KID.fullmatch(kid):
        raise BadKeyring(f"keyring entry {position}: the key id must be {_KID_RULE}")
    return kid, _decode_key(encoded.strip(), where=f"keyring entry {position} ({kid})")


def parse_index_key(text: str) -> bytes:
    """The blind-index HMAC key from its settings form (base64url of 32 bytes); raises BadKeyring."""
    return _decode_key(text.strip(), where="blind index key")


def _decode_key(encoded: str, *, where: str) -> bytes:
    try:
        key = _b64decode(encoded)
    except ValueError:
        raise BadKeyring(f"{where}: the key is not valid base64url") from None
    if len(key) != KEY_BYTES:
        raise BadKeyring(f"{where}: the key must be {KEY_BYTES} bytes (AES-256), got {len(key)}")
    return key


def new_key_id() -> str:
    """A random key id (``k`` and 6 hex digits) for operators who do not pick one, such as a date."""
    return f"k{secrets.token_hex(3)}"


def generate_key_line(kid: str) -> str:
    """A fresh ``kid:base64url-key`` entry for operators to put at the front of the keyring; raises BadKeyId."""
    if not _KID.fullmatch(kid):
        raise BadKeyId(f"the key id must be {_KID_RULE}")
    return f"{kid}:{_b64encode(secrets.token_bytes(KEY_BYTES))}"


# --- sealed values -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sealed:
    """A parsed ``v1.<kid>.<base64url(nonce || ciphertext || tag)>`` token (unpadded base64url).

    The token is ASCII, has no separator clash (ids and base64url have no '.') and says which key opens it, so
    rotation can find old values with a LIKE on the prefix. Its length is 4 + len(kid) + ⌈4·(28 + n)/3⌉ for n
    UTF-8 bytes of plaintext: an 11-digit phone with a 4-character kid takes 60 characters.
    """

    version: str
    kid: str
    payload: bytes = field(repr=False)

    @classmethod
    def parse(cls, token: str) -> Sealed:
        """Raises DecryptFailed (reason malformed or unsupported_version) without echoing the token."""
        parts = token.split(".")
        if len(parts) != 3 or not _KID.fullmatch(parts[1]):
            raise DecryptFailed("not a sealed value", reason="malformed")
        version, kid, encoded = parts
        if version != VERSION:
            raise DecryptFailed("sealed with an unsupported format version", reason="unsupported_version")
        try:
            if "=" in encoded:  # seal never pads; one spelling per token
                raise ValueError("padded")
            payload = _b64decode(encoded)
        except ValueError:
            raise DecryptFailed("not a sealed value", reason="malformed", kid=kid) from None
        if len(payload) < NONCE_BYTES + TAG_BYTES:
            raise DecryptFailed("not a sealed value", reason="malformed", kid=kid)
        return cls(version=version, kid=kid, payload=payload)

    def __str__(self) -> str:
        return f"{self.version}.{self.kid}.{_b64encode(self.payload)}"


def seal(keyring: Keyring, plaintext: str, *, kind: PiKind, context: str, _nonce: bytes | None = None) -> str:
    """Encrypt `plaintext` under the current key, bound to `kind` and `context` (e.g. ``str(app_id)``).

    A fresh random 96-bit nonce per call, so sealing the same value twice gives different tokens; use
    `blind_index` to compare. Random nonces stay safe for about 2³² seals per key: rotate long before.
    `_nonce` exists only for known-answer tests.
    """
    data = _utf8(plaintext, what="plaintext")
    kid = keyring.current
    nonce = os.urandom(NONCE_BYTES) if _nonce is None else _nonce
    ciphertext = keyring.cipher(kid).encrypt(nonce, data, _aad(VERSION, kid, kind=kind, context=context))
    return str(Sealed(version=VERSION, kid=kid, payload=nonce + ciphertext))


def open_sealed(keyring: Keyring, sealed: str, *, kind: PiKind, context: str) -> str:
    """The plaintext of a token made by `seal` with the same kind and context.

    Raises UnknownKey when the keyring lacks the token's key id, DecryptFailed when the token is malformed,
    tampered with, or was sealed for another kind, context or key.
    """
    token = Sealed.parse(sealed)
    cipher = keyring.cipher(token.kid)
    nonce, ciphertext = token.payload[:NONCE_BYTES], token.payload[NONCE_BYTES:]
    try:
        data = cipher.decrypt(nonce, ciphertext, _aad(token.version, token.kid, kind=kind, context=context))
    except InvalidTag:
        # One message for every cause: telling "wrong context" from "tampered" would help an attacker probe.
        raise DecryptFailed(
            "the sealed value failed authentication", reason="authentication", kid=token.kid, kind=str(kind)
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptFailed("the sealed value is not UTF-8 text", reason="encoding", kid=token.kid) from None


def needs_rewrap(keyring: Keyring, sealed: str) -> bool:
    """Whether the token was sealed under a key other than the current one (raises DecryptFailed if malformed)."""
    return Sealed.parse(sealed).kid != keyring.current


def rewrap(keyring: Keyring, sealed: str, *, kind: PiKind, context: str) -> str:
    """The same plaintext sealed under the current key. Raises as `open_sealed`.

    The token is always opened, so a value filed under the wrong kind or context is caught during rotation; a
    token already under the current key comes back unchanged (no needless write).
    """
    plaintext = open_sealed(keyring, sealed, kind=kind, context=context)
    if not needs_rewrap(keyring, sealed):
        return sealed
    return seal(keyring, plaintext, kind=kind, context=context)


@functools.lru_cache(maxsize=4096)
def _aad(version: str, kid: str, *, kind: PiKind, context: str) -> bytes:
    # Cached: a handful of keys, kinds and apps make up nearly every call, and framing them was the largest
    # cost of open_sealed. Nothing secret is kept: ids, kinds and app ids.
    # The whole header is authenticated, plus what the value is and whose it is: a token copied into another
    # app's row, or from a phone column into a name column, fails to open instead of decrypting into the wrong place.
    return _frame(_SEAL_LABEL, version, kid, str(kind), _context(context))


# --- blind index ---------------------------------------------------------------------------------------------------


def blind_index(key: bytes, value: str, *, kind: PiKind, context: str) -> str:
    """HMAC-SHA256 (64 hex digits) over the length-prefixed (label, kind, context, value); raises BadKeyring.

    Within one kind and context, equal indexes mean equal values (up to Unicode NFC, applied here), so
    duplicates are found with a plain indexed equality query and nothing is decrypted. Callers normalise
    first: E.164 phones, upper-case ID numbers and USCCs. The context (the owning app id) is part of the
    input so that the same phone number has unrelated indexes in two apps: a leaked table of one tenant
    cannot be joined against another's, and tenants stay unlinkable to each other. Without the key, an
    index reveals nothing but equality; with it, low-entropy values (phones) can be brute-forced, so the
    key is a secret on a par with the keyring.
    """
    if len(key) < KEY_BYTES:
        raise BadKeyring(f"blind index key: must be at least {KEY_BYTES} bytes, got {len(key)}")
    message = _index_prefix(kind, context) + _frame(_utf8(unicodedata.normalize("NFC", value), what="value"))
    return hmac.digest(key, message, "sha256").hex()


@functools.lru_cache(maxsize=4096)
def _index_prefix(kind: PiKind, context: str) -> bytes:
    return _frame(INDEX_LABEL, str(kind), _context(context))


# --- encoding helpers ----------------------------------------------------------------------------------------------


def _frame(*parts: str | bytes) -> bytes:
    """Each part as a 4-byte big-endian length and its UTF-8 bytes, so ("ab", "c") and ("a", "bc") differ."""
    chunks: list[bytes] = []
    for part in parts:
        data = part if isinstance(part, bytes) else _utf8(part, what="a bound field")
        chunks += (len(data).to_bytes(4, "big"), data)
    return b"".join(chunks)


def _context(context: str) -> str:
    if not context:
        # An empty context would silently make values linkable across tenants; "global" must be said out loud.
        raise ValueError("context must be non-empty (e.g. the owning app id)")
    return context


def _utf8(text: str, *, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not encodable text (it holds a lone surrogate)") from None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict, canonical base64url with optional padding.

    urlsafe_b64decode alone drops stray characters and ignores the unused low bits of the last character, so
    two different strings would decode to the same bytes: a changed token must never open as the original.
    """
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    bare = text.rstrip("=")
    try:
        data = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None
    if _b64encode(data) != bare:
        raise ValueError("not canonical base64url")
    return data
