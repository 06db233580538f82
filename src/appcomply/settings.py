"""Settings: the only reader of environment variables (prefix ``APPCOMPLY_``, nested delimiter ``__``)."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from appcomply.vault.errors import BadKeyring
from appcomply.vault.rules import Keyring, parse_index_key

DEFAULT_SECRET = "change-me-development-only"  # noqa: S105 - the marker production refuses
# Fixed development vault keys, so development data survives restarts. Public in this source file, hence refused
# in production. They decode to the 32 bytes "appcomply-development-key-unsafe" / "…-idx-unsafe".
DEV_VAULT_KEY = "YXBwY29tcGx5LWRldmVsb3BtZW50LWtleS11bnNhZmU"
DEV_VAULT_INDEX_KEY = "YXBwY29tcGx5LWRldmVsb3BtZW50LWlkeC11bnNhZmU"


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


# Each value has an adapter: SMS and ID checks in identity/providers (identity.providers.build_identity_providers),
# e-mail in notices/providers (notices.providers.build_email_sender).
class SmsProvider(enum.StrEnum):
    LOCAL = "local"
    ALIYUN = "aliyun"
    TENCENT = "tencent"


class IdentityProviderKind(enum.StrEnum):
    LOCAL = "local"
    ALIYUN = "aliyun"
    TENCENT = "tencent"


class EmailProvider(enum.StrEnum):
    LOCAL = "local"
    SMTP = "smtp"


class SmtpSecurity(enum.StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    SSL = "ssl"  # TLS from the first byte (port 465)
    NONE = "none"  # no encryption: a relay on the same host or network only


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite:///./var/appcomply.db",
        description="SQLAlchemy URL. SQLite file (embedded default) or postgresql+psycopg://user@host/db.",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (never in production: it logs PI).")
    pool_size: int = Field(
        default=10, ge=1, le=200,
        description="Connections kept open per process; as many more may open under load. The server runs at most "
        "twice this many requests at once per process (the rest wait their turn).",
    )  # fmt: skip

    @property
    def pool_capacity(self) -> int:
        """The most connections a process opens: the pool and as many again as overflow."""
        return 2 * self.pool_size


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET),
        description="Signs session cookies and CSRF tokens. At least 32 random characters in production.",
    )
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60, description="Console session lifetime.")
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins before a staff account locks.")
    login_lockout_seconds: int = Field(default=900, ge=1, description="How long a locked staff account stays locked.")
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set behind HTTPS).")
    api_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a process trusts an API key it has checked before checking it again: a revocation "
        "reaches other processes within this time (at once in the revoking one). 0 checks every request.",
    )


class ProviderSettings(BaseModel):
    sms: SmsProvider = Field(default=SmsProvider.LOCAL, description="SMS gateway: local (offline), aliyun or tencent.")
    identity: IdentityProviderKind = Field(
        default=IdentityProviderKind.LOCAL,
        description="ID-card checker: local (offline format checks), aliyun or tencent.",
    )
    email: EmailProvider = Field(
        default=EmailProvider.LOCAL, description="E-mail: local (kept in memory and in the notice) or smtp."
    )
    allow_local_in_production: bool = Field(
        default=False, description="Permit local (offline) providers in production. For staging only."
    )


class AliyunSettings(BaseModel):
    access_key_id: SecretStr = Field(
        default=SecretStr(""), description="Alibaba Cloud AccessKey ID (a RAM user limited to SMS and Cloudauth)."
    )
    access_key_secret: SecretStr = Field(default=SecretStr(""), description="Alibaba Cloud AccessKey secret.")
    sms_sign_name: str = Field(default="", description="Approved SMS signature (SignName) for Dysmsapi SendSms.")
    sms_endpoint: str = Field(default="dysmsapi.aliyuncs.com", description="Dysmsapi host (SMS, API 2017-05-25).")
    cloudauth_endpoint: str = Field(
        default="cloudauth.aliyuncs.com", description="Cloudauth host (ID two-element check, API 2019-03-07)."
    )
    region_id: str = Field(default="cn-hangzhou", description="RegionId sent with SMS requests.")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Timeout for one Alibaba Cloud call.")


class TencentSettings(BaseModel):
    secret_id: SecretStr = Field(default=SecretStr(""), description="Tencent Cloud API SecretId (a CAM sub-user).")
    secret_key: SecretStr = Field(default=SecretStr(""), description="Tencent Cloud API SecretKey.")
    sms_sdk_app_id: str = Field(default="", description="SmsSdkAppId of the SMS application (SMS API 2021-01-11).")
    sms_sign_name: str = Field(default="", description="Approved SMS signature (SignName).")
    sms_endpoint: str = Field(default="sms.tencentcloudapi.com", description="SMS API host.")
    faceid_endpoint: str = Field(
        default="faceid.tencentcloudapi.com", description="FaceID host (IdCardVerification, API 2018-03-01)."
    )
    region: str = Field(default="ap-guangzhou", description="X-TC-Region sent with SMS requests.")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Timeout for one Tencent Cloud call.")


class SmtpSettings(BaseModel):
    host: str = Field(default="", description="SMTP server host (providers.email = smtp).")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP server port: 587 for STARTTLS, 465 for SSL.")
    username: str = Field(default="", description="SMTP login; empty for a relay that needs none.")
    password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    from_address: str = Field(default="", description="Sender address of notice e-mails (From).")
    security: SmtpSecurity = Field(default=SmtpSecurity.STARTTLS, description="starttls, ssl or none.")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Timeout for one SMTP conversation.")
    ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that verifies the SMTP server's certificate; unset: system CAs."
    )


class NoticesSettings(BaseModel):
    batch_size: int = Field(default=100, ge=1, le=5000, description="Notices one worker step claims and delivers.")
    max_attempts: int = Field(default=5, ge=1, le=50, description="Delivery attempts before a notice is dead.")
    backoff_base_seconds: float = Field(
        default=30.0, gt=0, le=86400, description="Wait after the first failure; doubles with each further one."
    )
    sms_template: str = Field(
        default="NOTICE", description="Approved SMS template for notices; filled with the subject and the body."
    )
    drain_in_process: bool | None = Field(
        default=None,
        description="`appcomply serve` delivers notices itself (a background thread). Unset: on for SQLite only.",
    )
    drain_interval_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="Pause between in-process delivery steps when nothing is due."
    )
    lease_seconds: float = Field(
        default=1200.0, gt=0, le=86400,
        description="How long a worker holds the notices it claimed before they are due again (after a crash). "
        "Keep it above batch_size × the slowest gateway's timeout.",
    )  # fmt: skip

    def drains_in_process(self, database_url: str) -> bool:
        """Whether the server drains the outbox itself: the embedded single-process default (SQLite)."""
        if self.drain_in_process is not None:
            return self.drain_in_process
        return database_url.startswith("sqlite")


class WebSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address `appcomply serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `appcomply serve` binds.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL printed and used in links.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body accepted.")
    default_locale: str = Field(default="zh_CN", description="Console and public-page language: zh_CN or en.")


class AuditSettings(BaseModel):
    retention_days: int = Field(default=183, ge=183, description="Audit retention; the law requires ≥ 6 months.")
    chain_in_process: bool = Field(
        default=True,
        description="`appcomply serve` and `appcomply worker` chain committed audit entries themselves (a background "
        "thread in every process). Off: nothing chains them until `appcomply audit chain` or `audit verify` runs.",
    )
    chain_interval_seconds: float = Field(
        default=1.0, ge=0.05, le=60,
        description="How often `appcomply serve` chains committed audit entries. Until chained, an entry is "
        "protected only by database permissions, so this is the window in which it could be altered unnoticed.",
    )  # fmt: skip


class VaultSettings(BaseModel):
    # The keys' own validation messages never echo key material; this keeps pydantic from echoing the input too.
    model_config = ConfigDict(hide_input_in_errors=True)

    keys: SecretStr = Field(
        default=SecretStr(f"dev:{DEV_VAULT_KEY}"),
        description=(
            "AES-256 keys sealing personal information: 'kid:base64url-32-bytes[,kid:key…]'. The first encrypts, "
            "the rest only decrypt. Rotate: put `appcomply keys generate` first, keep old keys until re-encrypted."
        ),
    )
    blind_index_key: SecretStr = Field(
        default=SecretStr(DEV_VAULT_INDEX_KEY),
        description="HMAC key (base64url, 32 bytes) of the blind indexes that find duplicates; changing it re-indexes.",
    )

    @field_validator("keys")
    @classmethod
    def _parse_keys(cls, value: SecretStr) -> SecretStr:
        try:
            Keyring.parse(value.get_secret_value())
        except BadKeyring as exc:
            raise ValueError(exc.detail) from None
        return value

    @field_validator("blind_index_key")
    @classmethod
    def _parse_index_key(cls, value: SecretStr) -> SecretStr:
        try:
            parse_index_key(value.get_secret_value())
        except BadKeyring as exc:
            raise ValueError(exc.detail) from None
        return value


class IdentitySettings(BaseModel):
    phone_max_accounts: int = Field(
        default=3, ge=1, le=100, description="Accounts of one app a mobile number may be verified for."
    )
    sms_per_number_per_hour: int = Field(default=5, ge=1, description="Verification SMS to one number per hour.")
    sms_min_interval_seconds: int = Field(default=60, ge=0, description="Pause before another SMS to the same number.")
    sms_per_ip_per_hour: int = Field(
        default=20, ge=1, description="Verification SMS started from one client IP per hour."
    )
    authorization_text_version: str = Field(
        default="2026-11-01",
        description="Version of the identity-verification authorisation text users agree to, when the call omits it.",
    )


class ConsentSettings(BaseModel):
    """The working-day calendar of data-subject requests: due 15 working days after receipt (PIPL Art 50)."""

    holidays: list[dt.date] = Field(
        default_factory=list,
        description=(
            "Public holidays (no working day) for the 15-working-day due date of data-subject requests, as a JSON "
            "list of dates. Empty by default: China's State Council publishes the year's list each year; add it."
        ),
    )
    workdays: list[dt.date] = Field(
        default_factory=list,
        description=(
            "Make-up working days (调休) that fall on a weekend, as a JSON list of dates, from the same State "
            "Council notice. Empty by default."
        ),
    )

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        if clash := sorted(set(self.holidays) & set(self.workdays)):
            raise ValueError(f"dates both holiday and make-up workday: {[d.isoformat() for d in clash]}")
        return self


class VulnerabilitiesSettings(BaseModel):
    """Intake (VR 5), alerts on the authority clocks, the security.txt file (RFC 9116), the report PDF's font."""

    receipt_retention_days: int = Field(
        default=190, ge=183, description="Days the vulnerability receipt log is kept; VR 5 requires ≥ 6 months."
    )
    reports_per_source_per_hour: int = Field(
        default=10,
        ge=1,
        le=1_000_000,
        description="Public reports accepted from one source address per hour (429 after).",
    )
    max_attachments: int = Field(default=5, ge=0, le=20, description="Attachments one report may carry.")
    max_attachment_bytes: int = Field(
        default=700_000,
        ge=1024,
        le=20 * 1024 * 1024,
        description="Largest attachment of a report, in bytes (the whole request must also fit web.max_body_bytes).",
    )
    alert_emails: list[str] = Field(
        default_factory=list,
        description="Security team addresses that get the clock alerts (50 % and 90 % of the time allowed) by e-mail.",
    )
    alert_interval_seconds: float = Field(
        default=60.0, ge=1.0, le=3600.0, description="How often the server checks the clocks for alerts to send."
    )
    security_txt_contacts: list[str] = Field(
        default_factory=list,
        description=(
            "Extra Contact lines of /.well-known/security.txt (mailto:, https:, tel:); the app's public security page "
            "is always listed first."
        ),
    )
    security_txt_expires_days: int = Field(
        default=180,
        ge=1,
        le=365,
        description="Expires of security.txt, in days from when it is served (RFC 9116 §2.5.5).",
    )
    security_txt_encryption: str | None = Field(
        default=None, description="Encryption line of security.txt: where reporters find your OpenPGP key (https URL)."
    )
    default_app: str | None = Field(
        default=None, description="Slug of the app whose security.txt is served for a host not listed in `hosts`."
    )
    hosts: dict[str, str] = Field(
        default_factory=dict,
        description='Host name → app slug, for security.txt per app host (JSON, e.g. {"sec.example.cn": "demo"}).',
    )
    operator_class: Literal["cii", "state_organ", "other"] = Field(
        default="other",
        description=(
            "Who the provider is under the Incident Reporting Measures, which sets the first report of a relatively "
            "major or worse security incident: cii (critical information infrastructure, 1 h), state_organ (2 h), "
            "other (provincial CAC, 4 h). Each incident keeps the class it was created under."
        ),
    )
    report_font: str | None = Field(
        default=None,
        max_length=1024,
        description=(
            "Font file (.ttf, .otf or .ttc) with Chinese glyphs for the authority report PDF. Unset: the usual "
            "places of fonts-wqy-zenhei, fonts-noto-cjk, fonts-arphic…, then fontconfig (fc-match :lang=zh-cn)."
        ),
    )


class Settings(BaseSettings):
    # hide_input_in_errors: a validation error is printed by the CLI and logged; it must not echo the raw
    # environment, which holds the secrets.
    model_config = SettingsConfigDict(
        env_prefix="APPCOMPLY_", env_nested_delimiter="__", extra="ignore", env_file=None, hide_input_in_errors=True
    )

    env: Environment = Field(default=Environment.DEVELOPMENT, description="development, test or production.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="Database connection.")
    security: SecuritySettings = Field(default_factory=SecuritySettings, description="Secrets and login policy.")
    providers: ProviderSettings = Field(default_factory=ProviderSettings, description="Outside providers.")
    web: WebSettings = Field(default_factory=WebSettings, description="HTTP server.")
    audit: AuditSettings = Field(default_factory=AuditSettings, description="Audit log.")
    identity: IdentitySettings = Field(default_factory=IdentitySettings, description="Real-identity verification.")
    vault: VaultSettings = Field(default_factory=VaultSettings, description="Keys sealing personal information.")
    aliyun: AliyunSettings = Field(default_factory=AliyunSettings, description="Alibaba Cloud (SMS, ID check).")
    tencent: TencentSettings = Field(default_factory=TencentSettings, description="Tencent Cloud (SMS, ID check).")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="SMTP server for notice e-mails.")
    notices: NoticesSettings = Field(default_factory=NoticesSettings, description="Notices outbox delivery.")
    consent: ConsentSettings = Field(default_factory=ConsentSettings, description="Data-subject requests.")
    vulnerabilities: VulnerabilitiesSettings = Field(
        default_factory=VulnerabilitiesSettings, description="Vulnerability intake, clocks and security.txt."
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.env is Environment.PRODUCTION:
            problems = production_problems(self)
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unfit for production (empty when fit)."""
    out: list[str] = []
    sec = settings.security
    raw = sec.secret_key.get_secret_value()
    if DEFAULT_SECRET in raw:
        out.append("security.secret_key is the development default")
    elif len(raw) < 32:
        out.append("security.secret_key is shorter than 32 characters")
    prov = settings.providers
    if not prov.allow_local_in_production:
        # Every provider kind is local until the vendor adapters land; the filter is ready for them.
        local = [name for name in ("sms", "identity", "email") if getattr(prov, name).value == "local"]
        out.extend(f"providers.{name} is the local (offline) provider" for name in local)
    out.extend(_vendor_problems(settings))
    out.extend(_vault_problems(settings.vault))
    return out


def _vendor_problems(settings: Settings) -> list[str]:
    """A vendor provider without its credentials would fail on the first real message; refuse it at start."""
    prov, out = settings.providers, []
    vendors = {prov.sms.value, prov.identity.value}
    needed: dict[str, list[tuple[str, SecretStr | str]]] = {
        "aliyun": [
            ("access_key_id", settings.aliyun.access_key_id),
            ("access_key_secret", settings.aliyun.access_key_secret),
        ],
        "tencent": [("secret_id", settings.tencent.secret_id), ("secret_key", settings.tencent.secret_key)],
    }
    if prov.sms is SmsProvider.ALIYUN:
        needed["aliyun"].append(("sms_sign_name", settings.aliyun.sms_sign_name))
    if prov.sms is SmsProvider.TENCENT:
        needed["tencent"] += [
            ("sms_sdk_app_id", settings.tencent.sms_sdk_app_id),
            ("sms_sign_name", settings.tencent.sms_sign_name),
        ]
    if prov.email is EmailProvider.SMTP:
        vendors.add("smtp")
        needed["smtp"] = [("host", settings.smtp.host), ("from_address", settings.smtp.from_address)]
    for vendor in sorted(vendors & needed.keys()):
        for name, value in needed[vendor]:
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not raw.strip():
                out.append(f"{vendor}.{name} is empty but a provider uses {vendor}")
    return out


def _vault_problems(vault: VaultSettings) -> list[str]:
    """Development keys are public in the source; an old one left in the keyring would still open data."""
    out: list[str] = []
    keys, index_key = vault.keys.get_secret_value(), vault.blind_index_key.get_secret_value().strip()
    if DEV_VAULT_KEY in keys:
        out.append("vault.keys holds the development key")
    if DEV_VAULT_INDEX_KEY in index_key:
        out.append("vault.blind_index_key is the development default")
    elif index_key.rstrip("=") in keys:
        out.append("vault.blind_index_key is also a key in vault.keys")
    return out


def describe(settings_cls: type[BaseModel] = Settings, prefix: str = "APPCOMPLY_") -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every leaf field, for `config show`."""
    rows: list[tuple[str, str, str]] = []
    for name, info in settings_cls.model_fields.items():
        ann = info.annotation
        env = f"{prefix}{name.upper()}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(describe(ann, prefix=f"{env}__"))
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            shown = "(secret)"
        elif isinstance(default, enum.Enum):
            shown = str(default.value)
        else:
            shown = str(default)
        rows.append((env, shown, info.description or ""))
    return rows
