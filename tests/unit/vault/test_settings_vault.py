"""The vault's settings: keys parsed at start-up, development keys refused in production, secrets kept out of output."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr, ValidationError

from appcomply.settings import (
    DEV_VAULT_INDEX_KEY,
    DEV_VAULT_KEY,
    Environment,
    ProviderSettings,
    SecuritySettings,
    Settings,
    VaultSettings,
    describe,
    production_problems,
)
from appcomply.vault import Keyring, generate_key_line, parse_index_key

# Everything else production needs, so the vault's own problems stand alone.
FIT = {
    "security": SecuritySettings(secret_key=SecretStr("s" * 40)),
    "providers": ProviderSettings(allow_local_in_production=True),
}
FRESH_LINE = generate_key_line("2026-05")
FRESH_INDEX_KEY = generate_key_line("idx").partition(":")[2]
SHORT_KEY = base64.urlsafe_b64encode(bytes(range(16))).decode()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("APPCOMPLY_"):
            monkeypatch.delenv(name)


def _vault_problems(settings: Settings) -> list[str]:
    return [problem for problem in production_problems(settings) if problem.startswith("vault.")]


def test_the_development_defaults_are_fixed_and_usable() -> None:
    vault = Settings().vault
    assert vault.keys.get_secret_value() == f"dev:{DEV_VAULT_KEY}" == Settings().vault.keys.get_secret_value()
    assert Keyring.parse(vault.keys.get_secret_value()).current == "dev"
    assert parse_index_key(vault.blind_index_key.get_secret_value()) == b"appcomply-development-idx-unsafe"
    assert base64.urlsafe_b64decode(DEV_VAULT_KEY + "=") == b"appcomply-development-key-unsafe"


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_VAULT__KEYS", f"{FRESH_LINE},dev:{DEV_VAULT_KEY}")
    monkeypatch.setenv("APPCOMPLY_VAULT__BLIND_INDEX_KEY", FRESH_INDEX_KEY)
    vault = Settings().vault
    assert Keyring.parse(vault.keys.get_secret_value()).kids == ("2026-05", "dev")
    assert vault.blind_index_key.get_secret_value() == FRESH_INDEX_KEY


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("APPCOMPLY_VAULT__KEYS", "2026-05", "keyring entry 1: expected 'kid:base64url-key'"),
        ("APPCOMPLY_VAULT__KEYS", f"{FRESH_LINE},{FRESH_LINE}", "key id '2026-05' is used twice"),
        ("APPCOMPLY_VAULT__KEYS", f"k1:{SHORT_KEY}", "the key must be 32 bytes"),
        ("APPCOMPLY_VAULT__BLIND_INDEX_KEY", FRESH_INDEX_KEY + "%", "blind index key: the key is not valid base64url"),
    ],
    # Fixed ids: the values hold freshly generated keys, and pytest-xdist's workers must collect the same names.
    ids=["entry-without-key", "key-id-twice", "short-key", "index-key-not-base64url"],
)
def test_a_malformed_key_fails_at_start_up_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=message) as raised:
        Settings()
    shown = str(raised.value)
    assert "vault." in shown
    assert FRESH_LINE.partition(":")[2][:10] not in shown
    assert FRESH_INDEX_KEY[:10] not in shown


def test_a_malformed_keyring_fails_when_the_section_is_built_in_code() -> None:
    with pytest.raises(ValidationError, match="keyring is empty"):
        VaultSettings(keys=SecretStr(" "))


def test_production_refuses_the_development_keys() -> None:
    assert _vault_problems(Settings(**FIT)) == [
        "vault.keys holds the development key",
        "vault.blind_index_key is the development default",
    ]
    with pytest.raises(ValidationError, match=r"vault\.keys holds the development key"):
        Settings(env=Environment.PRODUCTION, **FIT)


def test_production_refuses_the_development_key_kept_as_an_old_key() -> None:
    keys = SecretStr(f"{FRESH_LINE},dev:{DEV_VAULT_KEY}")
    vault = VaultSettings(keys=keys, blind_index_key=SecretStr(FRESH_INDEX_KEY))
    assert _vault_problems(Settings(vault=vault, **FIT)) == ["vault.keys holds the development key"]


def test_production_refuses_an_index_key_that_is_also_an_encryption_key() -> None:
    shared = FRESH_LINE.partition(":")[2]
    vault = VaultSettings(keys=SecretStr(FRESH_LINE), blind_index_key=SecretStr(shared + "="))
    assert _vault_problems(Settings(vault=vault, **FIT)) == ["vault.blind_index_key is also a key in vault.keys"]


def test_production_accepts_fresh_keys() -> None:
    vault = VaultSettings(keys=SecretStr(FRESH_LINE), blind_index_key=SecretStr(FRESH_INDEX_KEY))
    settings = Settings(env=Environment.PRODUCTION, vault=vault, **FIT)
    assert _vault_problems(settings) == []


def test_vault_keys_never_appear_in_repr_str_json_or_the_documented_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_VAULT__KEYS", FRESH_LINE)
    monkeypatch.setenv("APPCOMPLY_VAULT__BLIND_INDEX_KEY", FRESH_INDEX_KEY)
    settings = Settings()
    key = FRESH_LINE.partition(":")[2]
    for shown in (repr(settings), str(settings), repr(settings.vault), settings.model_dump_json()):
        assert key not in shown
        assert FRESH_INDEX_KEY not in shown
    table = {env: default for env, default, _ in describe()}
    assert table["APPCOMPLY_VAULT__KEYS"] == table["APPCOMPLY_VAULT__BLIND_INDEX_KEY"] == "(secret)"
    defaults = repr(Settings()) + str(describe())
    assert DEV_VAULT_KEY not in defaults
    assert DEV_VAULT_INDEX_KEY not in defaults
