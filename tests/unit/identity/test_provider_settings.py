"""Choosing identity providers from settings, and the production guard for vendor credentials."""

from __future__ import annotations

import datetime as dt

import httpx
from pydantic import SecretStr

from appcomply.identity.providers import (
    AliyunIdentityChecker,
    AliyunSmsSender,
    LocalEnterpriseChecker,
    LocalIdentityChecker,
    RecordingSmsSender,
    TencentIdentityChecker,
    TencentSmsSender,
    build_identity_providers,
)
from appcomply.kernel.clock import FixedClock
from appcomply.settings import AliyunSettings, ProviderSettings, Settings, TencentSettings, production_problems

CLOCK = FixedClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


def test_the_defaults_build_the_offline_providers_without_an_http_client() -> None:
    built = build_identity_providers(Settings(), clock=CLOCK)
    assert isinstance(built.sms, RecordingSmsSender)
    assert isinstance(built.identity, LocalIdentityChecker)
    assert isinstance(built.enterprise, LocalEnterpriseChecker)
    assert built.owned_http is None


def test_vendor_settings_build_the_vendor_adapters() -> None:
    http = httpx.Client()
    aliyun = build_identity_providers(
        Settings(providers=ProviderSettings(sms="aliyun", identity="aliyun")), clock=CLOCK, http=http
    )
    tencent = build_identity_providers(
        Settings(providers=ProviderSettings(sms="tencent", identity="tencent")), clock=CLOCK, http=http
    )
    assert isinstance(aliyun.sms, AliyunSmsSender)
    assert isinstance(aliyun.identity, AliyunIdentityChecker)
    assert isinstance(tencent.sms, TencentSmsSender)
    assert isinstance(tencent.identity, TencentIdentityChecker)
    assert aliyun.owned_http is None  # a client passed in stays the caller's to close
    http.close()


def test_providers_own_and_close_the_client_they_create() -> None:
    built = build_identity_providers(Settings(providers=ProviderSettings(sms="tencent")), clock=CLOCK)
    assert built.owned_http is not None
    built.close()
    assert built.owned_http.is_closed


def test_production_refuses_a_vendor_provider_without_credentials() -> None:
    settings = Settings(
        providers=ProviderSettings(sms="aliyun", identity="tencent", email="local", allow_local_in_production=True)
    )
    problems = production_problems(settings)
    assert [p for p in problems if p.startswith(("aliyun.", "tencent."))] == [
        "aliyun.access_key_id is empty but a provider uses aliyun",
        "aliyun.access_key_secret is empty but a provider uses aliyun",
        "aliyun.sms_sign_name is empty but a provider uses aliyun",
        "tencent.secret_id is empty but a provider uses tencent",
        "tencent.secret_key is empty but a provider uses tencent",
    ]  # no sms_sdk_app_id: Tencent is used for ID checks only


def test_a_configured_vendor_passes_the_guard() -> None:
    settings = Settings(
        providers=ProviderSettings(sms="tencent", identity="aliyun", allow_local_in_production=True),
        aliyun=AliyunSettings(access_key_id=SecretStr("LTAI5t"), access_key_secret=SecretStr("s3cret")),
        tencent=TencentSettings(
            secret_id=SecretStr("AKID"), secret_key=SecretStr("key"), sms_sdk_app_id="1400006666", sms_sign_name="签名"
        ),
    )
    assert not [p for p in production_problems(settings) if p.startswith(("aliyun.", "tencent."))]
