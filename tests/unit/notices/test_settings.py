"""Notices settings: SMTP chosen for e-mail must be configured before production starts; the e-mail sender pick."""

from __future__ import annotations

import base64

from pydantic import SecretStr

from appcomply.notices.providers import LocalEmailOutbox, SmtpEmailSender, build_email_sender
from appcomply.settings import (
    EmailProvider,
    Environment,
    ProviderSettings,
    SecuritySettings,
    Settings,
    SmtpSettings,
    VaultSettings,
    production_problems,
)

_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
_INDEX = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()


def _production(**overrides: object) -> Settings:
    fit = {
        "env": Environment.TEST,  # built as TEST, judged as production: the validator would refuse to build it
        "security": SecuritySettings(secret_key=SecretStr("x" * 40)),
        "vault": VaultSettings(keys=SecretStr(f"k1:{_KEY}"), blind_index_key=SecretStr(_INDEX)),
        "providers": ProviderSettings(allow_local_in_production=True, email=EmailProvider.SMTP),
    }
    return Settings(**{**fit, **overrides})  # type: ignore[arg-type]


def test_production_refuses_smtp_without_a_host_or_a_sender_address() -> None:
    assert production_problems(_production()) == [
        "smtp.host is empty but a provider uses smtp",
        "smtp.from_address is empty but a provider uses smtp",
    ]
    configured = SmtpSettings(host="smtp.example.com", from_address="notices@example.com")
    assert production_problems(_production(smtp=configured)) == []


def test_the_email_sender_follows_the_setting() -> None:
    assert isinstance(build_email_sender(Settings(env=Environment.TEST)), LocalEmailOutbox)
    assert isinstance(build_email_sender(_production()), SmtpEmailSender)
