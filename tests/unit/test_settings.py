"""Settings: environment variables, secrets kept out of output, the production guard, the documented table."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from appcomply.settings import (
    DEFAULT_SECRET,
    DatabaseSettings,
    Environment,
    ProviderSettings,
    SecuritySettings,
    Settings,
    SmsProvider,
    VaultSettings,
    describe,
    production_problems,
)

STRONG = "k" * 16 + "0123456789abcdefXYZ"  # 35 characters, not the default
# Only the offline providers exist until the vendor adapters land, so production must opt in to them.
STAGING_PROVIDERS = ProviderSettings(allow_local_in_production=True)
# Production refuses the fixed development vault keys (tests/unit/vault/test_settings_vault.py), so fit
# configurations carry fresh ones.
FRESH_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
FRESH_INDEX_KEY = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()
FRESH_VAULT = VaultSettings(keys=SecretStr(f"k1:{FRESH_KEY}"), blind_index_key=SecretStr(FRESH_INDEX_KEY))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings() reads the real environment; `make` exports APPCOMPLY_DATABASE__URL, CI may set more."""
    for name in list(os.environ):
        if name.startswith("APPCOMPLY_"):
            monkeypatch.delenv(name)


def _strong_security() -> SecuritySettings:
    return SecuritySettings(secret_key=SecretStr(STRONG))


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out.update(_leaf_paths(info.annotation, f"{path}."))
        else:
            out[path] = info.description
    return out


# --- environment ----------------------------------------------------------------------------------------------


def test_nested_settings_come_from_prefixed_variables_with_a_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_DATABASE__URL", "postgresql+psycopg://app@db/appcomply")
    monkeypatch.setenv("APPCOMPLY_WEB__PORT", "9001")
    monkeypatch.setenv("APPCOMPLY_SECURITY__LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("APPCOMPLY_ENV", "test")
    settings = Settings()
    assert settings.database.url == "postgresql+psycopg://app@db/appcomply"
    assert settings.web.port == 9001
    assert settings.security.login_max_failures == 3
    assert settings.env is Environment.TEST


def test_variables_without_the_prefix_or_with_one_underscore_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE__URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("APPCOMPLY_DATABASE_URL", "sqlite:///elsewhere.db")
    assert Settings().database.url == DatabaseSettings().url == "sqlite:///./var/appcomply.db"


def test_an_unparseable_variable_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_WEB__PORT", "abc")
    with pytest.raises(ValidationError, match=r"web\.port"):
        Settings()


def test_limits_are_enforced_on_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_AUDIT__RETENTION_DAYS", "90")  # the law requires at least six months
    with pytest.raises(ValidationError, match=r"audit\.retention_days"):
        Settings()


# --- secrets --------------------------------------------------------------------------------------------------


def test_secrets_from_the_environment_never_appear_in_repr_str_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_SECURITY__SECRET_KEY", STRONG)
    settings = Settings()
    assert settings.security.secret_key.get_secret_value() == STRONG
    for shown in (repr(settings), str(settings), repr(settings.security), settings.model_dump_json()):
        assert STRONG not in shown
    defaults = Settings(security=SecuritySettings())
    assert DEFAULT_SECRET not in repr(defaults) + str(defaults) + defaults.model_dump_json()


def test_a_refused_configuration_does_not_echo_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_ENV", "production")
    monkeypatch.setenv("APPCOMPLY_SECURITY__SECRET_KEY", "short-but-secret-4711")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert "shorter than 32 characters" in str(raised.value)
    assert "short-but-secret-4711" not in str(raised.value)


# --- production guard -------------------------------------------------------------------------------------------


def test_production_refuses_the_development_defaults() -> None:
    with pytest.raises(ValidationError, match="refusing to start in production") as raised:
        Settings(env=Environment.PRODUCTION)
    message = str(raised.value)
    assert "security.secret_key is the development default" in message
    for name in ("sms", "identity", "email"):
        assert f"providers.{name} is the local (offline) provider" in message


def test_a_secret_that_merely_contains_the_default_is_still_the_default() -> None:
    security = SecuritySettings(secret_key=SecretStr(DEFAULT_SECRET + "-2026-production-rollout"))
    settings = Settings(security=security, providers=STAGING_PROVIDERS, vault=FRESH_VAULT)
    assert production_problems(settings) == ["security.secret_key is the development default"]


def test_production_refuses_a_secret_key_shorter_than_32_characters() -> None:
    security = SecuritySettings(secret_key=SecretStr("x" * 31))
    settings = Settings(security=security, providers=STAGING_PROVIDERS, vault=FRESH_VAULT)
    assert production_problems(settings) == ["security.secret_key is shorter than 32 characters"]
    with pytest.raises(ValidationError, match="shorter than 32 characters"):
        Settings(env=Environment.PRODUCTION, security=security, providers=STAGING_PROVIDERS, vault=FRESH_VAULT)


def test_a_secret_key_of_exactly_32_characters_is_long_enough() -> None:
    security = SecuritySettings(secret_key=SecretStr("x" * 32))
    assert production_problems(Settings(security=security, providers=STAGING_PROVIDERS, vault=FRESH_VAULT)) == []


def test_production_refuses_local_providers_with_a_strong_secret() -> None:
    settings = Settings(security=_strong_security(), vault=FRESH_VAULT)
    assert production_problems(settings) == [
        "providers.sms is the local (offline) provider",
        "providers.identity is the local (offline) provider",
        "providers.email is the local (offline) provider",
    ]
    with pytest.raises(ValidationError, match=r"providers\.sms is the local"):
        Settings(env=Environment.PRODUCTION, security=_strong_security(), vault=FRESH_VAULT)


def test_local_providers_are_allowed_in_production_only_when_explicitly_permitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPCOMPLY_ENV", "production")
    monkeypatch.setenv("APPCOMPLY_SECURITY__SECRET_KEY", STRONG)
    monkeypatch.setenv("APPCOMPLY_PROVIDERS__ALLOW_LOCAL_IN_PRODUCTION", "true")
    monkeypatch.setenv("APPCOMPLY_VAULT__KEYS", f"k1:{FRESH_KEY}")
    monkeypatch.setenv("APPCOMPLY_VAULT__BLIND_INDEX_KEY", FRESH_INDEX_KEY)
    settings = Settings()
    assert (settings.env, settings.providers.sms) == (Environment.PRODUCTION, SmsProvider.LOCAL)


def test_a_fully_configured_production_passes() -> None:
    settings = Settings(
        env=Environment.PRODUCTION, security=_strong_security(), providers=STAGING_PROVIDERS, vault=FRESH_VAULT
    )
    assert settings.env is Environment.PRODUCTION
    assert production_problems(settings) == []


def test_development_and_test_accept_what_production_would_refuse() -> None:
    for env in (Environment.DEVELOPMENT, Environment.TEST):
        settings = Settings(env=env)
        assert len(production_problems(settings)) == 6


# --- the documented table -------------------------------------------------------------------------------------


def test_describe_lists_every_leaf_setting_once_as_its_environment_variable() -> None:
    rows = describe()
    names = [env for env, _, _ in rows]
    expected = ["APPCOMPLY_" + path.upper().replace(".", "__") for path in _leaf_paths(Settings)]
    assert sorted(names) == sorted(expected)
    assert len(names) == len(set(names))


def test_every_setting_and_section_has_a_description() -> None:
    assert all(description and description.strip() for description in _leaf_paths(Settings).values())
    assert all(info.description for info in Settings.model_fields.values())
    assert all(description.strip() for _, _, description in describe())


def test_describe_shows_defaults_but_never_secret_values() -> None:
    table = {env: default for env, default, _ in describe()}
    assert table["APPCOMPLY_DATABASE__URL"] == "sqlite:///./var/appcomply.db"
    assert table["APPCOMPLY_WEB__PORT"] == "8000"
    assert table["APPCOMPLY_ENV"] == "development"
    assert table["APPCOMPLY_PROVIDERS__SMS"] == "local"
    assert table["APPCOMPLY_PROVIDERS__ALLOW_LOCAL_IN_PRODUCTION"] == "False"
    assert table["APPCOMPLY_SECURITY__SECRET_KEY"] == "(secret)"
    assert all(DEFAULT_SECRET not in default for default in table.values())


def test_every_documented_variable_really_configures_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPCOMPLY_WEB__DEFAULT_LOCALE", "en")
    monkeypatch.setenv("APPCOMPLY_SECURITY__SECURE_COOKIES", "true")
    documented = {env for env, _, _ in describe()}
    assert {"APPCOMPLY_WEB__DEFAULT_LOCALE", "APPCOMPLY_SECURITY__SECURE_COOKIES"} <= documented
    settings = Settings()
    assert settings.web.default_locale == "en"
    assert settings.security.secure_cookies is True
