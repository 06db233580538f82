"""Properties of the vault's cryptography: sealing, opening, rotation, the keyring and the blind index."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from appcomply.vault import (
    BadKeyId,
    BadKeyring,
    DecryptFailed,
    Keyring,
    PiKind,
    Sealed,
    UnknownKey,
    blind_index,
    generate_key_line,
    needs_rewrap,
    open_sealed,
    parse_index_key,
    rewrap,
    seal,
)
from appcomply.vault.rules import new_key_id

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))
INDEX_KEY = bytes(range(64, 96))
APP = "0195f3c4-7a1e-7c3b-9d2e-5f6a7b8c9d0e"
OTHER_APP = "0195f3c4-7a1e-7c3b-9d2e-5f6a7b8c9d0f"
PHONE = "+8613800138000"

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)  # lone surrogates are not text
contexts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
kinds = st.sampled_from(PiKind)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def frame(*parts: str | bytes) -> bytes:
    """The length-prefixed encoding, written out again from its specification (not imported)."""
    out = b""
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out += len(data).to_bytes(4, "big") + data
    return out


def ring(*keys: tuple[str, bytes]) -> Keyring:
    return Keyring.parse(",".join(f"{kid}:{b64(key)}" for kid, key in keys))


OLD = ring(("k1", KEY_1))
ROTATED = ring(("k2", KEY_2), ("k1", KEY_1))


# --- sealing and opening ---------------------------------------------------------------------------------------


@given(plaintext=text, kind=kinds, context=contexts)
def test_a_sealed_value_opens_to_the_same_text(plaintext: str, kind: PiKind, context: str) -> None:
    sealed = seal(OLD, plaintext, kind=kind, context=context)
    assert open_sealed(OLD, sealed, kind=kind, context=context) == plaintext
    assert sealed.startswith("v1.k1.")
    assert sealed.isascii()


def test_sealing_the_same_value_twice_gives_different_tokens() -> None:
    tokens = {seal(OLD, PHONE, kind=PiKind.PHONE, context=APP) for _ in range(20)}
    assert len(tokens) == 20
    nonces = {Sealed.parse(token).payload[:12] for token in tokens}
    assert len(nonces) == 20


@pytest.mark.parametrize(
    ("kind", "context"), [(PiKind.NAME, APP), (PiKind.PHONE, OTHER_APP), (PiKind.ID_NUMBER, OTHER_APP)]
)
def test_a_value_moved_to_another_kind_or_app_does_not_open(kind: PiKind, context: str) -> None:
    sealed = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    with pytest.raises(DecryptFailed) as raised:
        open_sealed(OLD, sealed, kind=kind, context=context)
    assert raised.value.fields["reason"] == "authentication"


def test_a_value_does_not_open_with_another_key_under_the_same_id() -> None:
    sealed = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    with pytest.raises(DecryptFailed):
        open_sealed(ring(("k1", KEY_2)), sealed, kind=PiKind.PHONE, context=APP)


def test_a_value_under_a_retired_key_id_is_an_unknown_key() -> None:
    sealed = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    with pytest.raises(UnknownKey) as raised:
        open_sealed(ring(("k2", KEY_2)), sealed, kind=PiKind.PHONE, context=APP)
    assert raised.value.code == "vault.unknown_key"
    assert raised.value.fields == {"kid": "k1"}


def test_changing_any_single_character_of_a_token_makes_it_fail() -> None:
    sealed = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    for position, char in enumerate(sealed):
        for replacement in {"A", "B", "g", "_", "-", ".", "2"} - {char}:
            tampered = sealed[:position] + replacement + sealed[position + 1 :]
            with pytest.raises((DecryptFailed, UnknownKey)):
                open_sealed(OLD, tampered, kind=PiKind.PHONE, context=APP)


def test_flipping_any_bit_of_nonce_ciphertext_or_tag_fails_authentication() -> None:
    token = Sealed.parse(seal(OLD, PHONE, kind=PiKind.PHONE, context=APP))
    for position in range(len(token.payload)):
        for bit in (0x01, 0x80):
            payload = bytearray(token.payload)
            payload[position] ^= bit
            tampered = str(Sealed(version=token.version, kid=token.kid, payload=bytes(payload)))
            with pytest.raises(DecryptFailed):
                open_sealed(OLD, tampered, kind=PiKind.PHONE, context=APP)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("v1.k1", "malformed"),
        ("v1.K1.AAAA", "malformed"),
        ("v1.k1.a.b", "malformed"),
        ("v2.k1." + "A" * 40, "unsupported_version"),
        ("v1.k1." + "A" * 36, "malformed"),  # 27 bytes: shorter than a nonce and a tag
        ("v1.k1.!" + "A" * 40, "malformed"),
        ("v1.k1." + "A" * 38 + "=", "malformed"),  # seal never pads
        ("v1.k1." + "A" * 41, "malformed"),  # 41 characters cannot be base64
    ],
)
def test_a_malformed_token_is_refused_with_a_reason(token: str, reason: str) -> None:
    with pytest.raises(DecryptFailed) as raised:
        open_sealed(OLD, token, kind=PiKind.PHONE, context=APP)
    assert raised.value.fields["reason"] == reason
    assert raised.value.code == "vault.decrypt_failed"


def test_a_non_canonical_last_character_is_refused() -> None:
    """Base64 leaves unused bits in the last character; two spellings of one token would let it be altered."""
    sealed = seal(OLD, "李雷", kind=PiKind.NAME, context=APP)  # 12 + 6 + 16 bytes: 46 characters, 4 unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(sealed[-1]) ^ 1]  # same used bits, another unused low bit
    assert base64.urlsafe_b64decode(sealed[6:] + "==") == base64.urlsafe_b64decode(sealed[6:-1] + sibling + "==")
    with pytest.raises(DecryptFailed, match="not a sealed value"):
        open_sealed(OLD, sealed[:-1] + sibling, kind=PiKind.NAME, context=APP)


def test_errors_never_carry_plaintext_or_ciphertext() -> None:
    sealed = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    payload = sealed.split(".")[2]
    for attempt in (sealed, sealed[:-4] + "AAAA", sealed.replace("v1.", "v9.")):
        with pytest.raises(DecryptFailed) as raised:
            open_sealed(OLD, attempt, kind=PiKind.PHONE, context=OTHER_APP)
        shown = f"{raised.value} {raised.value.fields} {raised.value!r}"
        assert PHONE not in shown
        assert payload[:12] not in shown
    assert payload not in repr(Sealed.parse(sealed))


def test_a_token_holding_bytes_that_are_not_utf8_is_refused() -> None:
    nonce = bytes(12)
    aad = frame("appcomply.vault.seal", "v1", "k1", "name", APP)
    forged = "v1.k1." + b64(nonce + AESGCM(KEY_1).encrypt(nonce, b"\xff\xfe", aad))
    with pytest.raises(DecryptFailed) as raised:
        open_sealed(OLD, forged, kind=PiKind.NAME, context=APP)
    assert raised.value.fields["reason"] == "encoding"


def test_an_empty_context_or_a_lone_surrogate_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="context must be non-empty"):
        seal(OLD, PHONE, kind=PiKind.PHONE, context="")
    with pytest.raises(ValueError, match="lone surrogate"):
        seal(OLD, "\ud800", kind=PiKind.NAME, context=APP)
    with pytest.raises(ValueError, match="context must be non-empty"):
        blind_index(INDEX_KEY, PHONE, kind=PiKind.PHONE, context="")


# --- known answers ---------------------------------------------------------------------------------------------

KAT_NONCE = bytes.fromhex("cafebabefacedbaddecaf888")
# Pinned once from the computation below: a stored token must stay openable across refactors.
KAT_TOKEN = "v1.k1.yv66vvrO263eyviIoZuWF5lCfyt3OGXtSy1JDYZDIzxxu7vJ2jVt8QLR"
KAT_INDEX = "a936f34ead8d520abca2806e0cd2b97b33330256c6c76cfdec733c02cb1a3807"


def test_seal_matches_aes_256_gcm_computed_independently() -> None:
    aad = frame("appcomply.vault.seal", "v1", "k1", "phone", APP)
    expected = "v1.k1." + b64(KAT_NONCE + AESGCM(KEY_1).encrypt(KAT_NONCE, PHONE.encode(), aad))
    assert seal(OLD, PHONE, kind=PiKind.PHONE, context=APP, _nonce=KAT_NONCE) == expected == KAT_TOKEN
    assert open_sealed(OLD, KAT_TOKEN, kind=PiKind.PHONE, context=APP) == PHONE


def test_blind_index_matches_hmac_sha256_computed_independently() -> None:
    message = frame("appcomply.vault.blind_index.v1", "phone", APP, PHONE)
    expected = hmac.new(INDEX_KEY, message, hashlib.sha256).hexdigest()
    assert blind_index(INDEX_KEY, PHONE, kind=PiKind.PHONE, context=APP) == expected == KAT_INDEX


# --- rotation --------------------------------------------------------------------------------------------------


def test_rewrap_moves_a_value_to_the_current_key_and_it_still_opens() -> None:
    old = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    assert needs_rewrap(ROTATED, old)
    new = rewrap(ROTATED, old, kind=PiKind.PHONE, context=APP)
    assert Sealed.parse(new).kid == "k2"
    assert not needs_rewrap(ROTATED, new)
    assert open_sealed(ROTATED, new, kind=PiKind.PHONE, context=APP) == PHONE
    # Once every value is rewrapped, the old key can leave the keyring.
    assert open_sealed(ring(("k2", KEY_2)), new, kind=PiKind.PHONE, context=APP) == PHONE


def test_rewrap_leaves_a_current_token_unchanged_but_still_checks_it() -> None:
    current = seal(ROTATED, PHONE, kind=PiKind.PHONE, context=APP)
    assert rewrap(ROTATED, current, kind=PiKind.PHONE, context=APP) == current
    with pytest.raises(DecryptFailed):
        rewrap(ROTATED, current, kind=PiKind.PHONE, context=OTHER_APP)


def test_needs_rewrap_refuses_a_malformed_token() -> None:
    assert not needs_rewrap(OLD, seal(OLD, PHONE, kind=PiKind.PHONE, context=APP))
    with pytest.raises(DecryptFailed):
        needs_rewrap(OLD, "not-a-token")


# --- the keyring -----------------------------------------------------------------------------------------------


def test_the_first_key_of_the_keyring_is_current_and_every_key_decrypts() -> None:
    keyring = Keyring.parse(f" k2 : {b64(KEY_2)} , k1:{b64(KEY_1)}==")
    assert (keyring.current, keyring.kids) == ("k2", ("k2", "k1"))
    old = seal(OLD, PHONE, kind=PiKind.PHONE, context=APP)
    assert open_sealed(keyring, old, kind=PiKind.PHONE, context=APP) == PHONE


def test_the_keyring_repr_shows_ids_but_no_key_material() -> None:
    shown = repr(ROTATED) + str(ROTATED)
    assert "k2" in shown
    assert b64(KEY_1) not in shown
    assert b64(KEY_2) not in shown


SECRET = b64(b"\x8f" * 32)  # stands for an operator's real key
SHORT = b64(b"\x8f" * 16)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "keyring is empty"),
        (SECRET, "entry 1: expected 'kid:base64url-key'"),
        (f"k1:{SECRET},{SECRET}", "entry 2: expected 'kid:base64url-key'"),
        (f"{SECRET}:{SECRET}", "entry 1: the key id must be"),
        (f"Prod:{SECRET}", "entry 1: the key id must be"),
        (f"-k:{SECRET}", "entry 1: the key id must be"),
        (f"{'k' * 17}:{SECRET}", "entry 1: the key id must be"),
        (f":{SECRET}", "entry 1: the key id must be"),
        (f"k1:{SECRET},k1:{SECRET}", "entry 2: key id 'k1' is used twice"),
        (f"k1:{SHORT}", r"entry 1 \(k1\): the key must be 32 bytes \(AES-256\), got 16"),
        (f"k1:{SECRET}!", r"entry 1 \(k1\): the key is not valid base64url"),
        (f"k1:{SECRET[:-1]}", r"entry 1 \(k1\): the key is not valid base64url"),  # 42 characters: not canonical
        (f"k1:{SECRET}A", r"entry 1 \(k1\): the key must be 32 bytes \(AES-256\), got 33"),
        ("k1:", r"entry 1 \(k1\): the key is not valid base64url"),
        (f"k1:{SECRET},", "entry 2: expected 'kid:base64url-key'"),
    ],
)
def test_a_malformed_keyring_is_refused_without_echoing_key_material(text: str, message: str) -> None:
    with pytest.raises(BadKeyring, match=message) as raised:
        Keyring.parse(text)
    shown = f"{raised.value} {raised.value.fields}"
    assert SECRET[:8] not in shown
    assert SHORT[:8] not in shown
    assert raised.value.code == "vault.bad_keyring"


def test_keys_are_checked_when_given_as_bytes_too() -> None:
    with pytest.raises(BadKeyring, match="keyring is empty"):
        Keyring.from_keys([])
    with pytest.raises(BadKeyring, match="the key id must be"):
        Keyring.from_keys([("K", KEY_1)])
    with pytest.raises(BadKeyring, match="got 24"):
        Keyring.from_keys([("k", KEY_1[:24])])


def test_a_generated_key_line_parses_into_a_keyring() -> None:
    line = generate_key_line("2026-05")
    kid, _, key = line.partition(":")
    assert kid == "2026-05"
    assert len(key) == 43
    assert Keyring.parse(line).current == "2026-05"
    assert generate_key_line("k") != generate_key_line("k")
    assert Keyring.parse(generate_key_line(new_key_id())).current.startswith("k")


def test_a_malformed_key_id_is_refused_for_a_generated_line() -> None:
    with pytest.raises(BadKeyId):
        generate_key_line("2026.05")


def test_the_index_key_is_base64url_of_32_bytes() -> None:
    assert parse_index_key(f" {b64(INDEX_KEY)}\n") == INDEX_KEY
    for bad in ("", SHORT, SECRET + "!"):
        with pytest.raises(BadKeyring, match="blind index key") as raised:
            parse_index_key(bad)
        assert SECRET[:8] not in str(raised.value)


# --- the blind index -------------------------------------------------------------------------------------------


@given(value=text, kind=kinds, context=contexts)
def test_the_blind_index_is_deterministic_per_key_kind_and_context(value: str, kind: PiKind, context: str) -> None:
    first = blind_index(INDEX_KEY, value, kind=kind, context=context)
    assert first == blind_index(INDEX_KEY, value, kind=kind, context=context)
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_the_blind_index_differs_across_context_kind_and_key() -> None:
    base = blind_index(INDEX_KEY, PHONE, kind=PiKind.PHONE, context=APP)
    assert base != blind_index(INDEX_KEY, PHONE, kind=PiKind.PHONE, context=OTHER_APP)
    assert base != blind_index(INDEX_KEY, PHONE, kind=PiKind.NAME, context=APP)
    assert base != blind_index(bytes(32), PHONE, kind=PiKind.PHONE, context=APP)
    assert base != blind_index(INDEX_KEY, "+8613800138001", kind=PiKind.PHONE, context=APP)


def test_length_prefixes_keep_field_boundaries_apart() -> None:
    """Plain concatenation would give ("ab", "c") and ("a", "bc") the same input."""
    assert blind_index(INDEX_KEY, "c", kind=PiKind.NAME, context="ab") != blind_index(
        INDEX_KEY, "bc", kind=PiKind.NAME, context="a"
    )
    assert frame("ab", "c") != frame("a", "bc")


def test_the_blind_index_treats_composed_and_decomposed_unicode_alike() -> None:
    composed = "Zoë 李"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    index = blind_index(INDEX_KEY, composed, kind=PiKind.NAME, context=APP)
    assert index == blind_index(INDEX_KEY, decomposed, kind=PiKind.NAME, context=APP)


def test_the_blind_index_refuses_a_short_key() -> None:
    with pytest.raises(BadKeyring, match="at least 32 bytes"):
        blind_index(b"short", PHONE, kind=PiKind.PHONE, context=APP)
