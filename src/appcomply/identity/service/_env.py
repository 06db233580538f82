"""What identity use cases need beyond the Ctx: vault keys, OTP key, providers and limits (explicit, not ambient)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from appcomply import vault
from appcomply.identity.providers import IdentityProviders
from appcomply.settings import IdentitySettings, Settings


@dataclass(frozen=True, slots=True)
class IdentityEnv:
    keyring: vault.Keyring
    index_key: bytes
    otp_key: bytes
    providers: IdentityProviders
    limits: IdentitySettings


def identity_env(settings: Settings, providers: IdentityProviders) -> IdentityEnv:
    secret = settings.security.secret_key.get_secret_value().encode()
    return IdentityEnv(
        keyring=vault.Keyring.parse(settings.vault.keys.get_secret_value()),
        index_key=vault.parse_index_key(settings.vault.blind_index_key.get_secret_value()),
        # A key of its own for OTP digests, derived so that operators manage one secret fewer.
        otp_key=hmac.new(secret, b"appcomply.identity.otp.v1", hashlib.sha256).digest(),
        providers=providers,
        limits=settings.identity,
    )
