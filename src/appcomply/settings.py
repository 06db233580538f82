"""Settings: the only reader of environment variables (prefix ``APPCOMPLY_``, nested delimiter ``__``)."""

from __future__ import annotations

import enum
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"  # noqa: S105 - the marker production refuses


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


# Vendor adapters (Alibaba Cloud, Tencent Cloud, SMTP) join these enums together with their code, in the
# identity and notices modules; until then the offline provider is the only choice.
class SmsProvider(enum.StrEnum):
    LOCAL = "local"


class IdentityProviderKind(enum.StrEnum):
    LOCAL = "local"


class EmailProvider(enum.StrEnum):
    LOCAL = "local"


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite:///./var/appcomply.db",
        description="SQLAlchemy URL. SQLite file (embedded default) or postgresql+psycopg://user@host/db.",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (never in production: it logs PI).")
    pool_size: int = Field(default=10, ge=1, le=200, description="Connection pool size (PostgreSQL).")


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET),
        description="Signs session cookies and CSRF tokens. At least 32 random characters in production.",
    )
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60, description="Console session lifetime.")
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins before a staff account locks.")
    login_lockout_seconds: int = Field(default=900, ge=1, description="How long a locked staff account stays locked.")
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set behind HTTPS).")


class ProviderSettings(BaseModel):
    sms: SmsProvider = Field(default=SmsProvider.LOCAL, description="SMS gateway: local (console outbox).")
    identity: IdentityProviderKind = Field(
        default=IdentityProviderKind.LOCAL, description="ID-card checker: local (offline format and checksum checks)."
    )
    email: EmailProvider = Field(default=EmailProvider.LOCAL, description="E-mail: local (console outbox).")
    allow_local_in_production: bool = Field(
        default=False, description="Permit local (offline) providers in production. For staging only."
    )


class WebSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address `appcomply serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `appcomply serve` binds.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL printed and used in links.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body accepted.")
    default_locale: str = Field(default="zh_CN", description="Console and public-page language: zh_CN or en.")


class AuditSettings(BaseModel):
    retention_days: int = Field(default=183, ge=183, description="Audit retention; the law requires ≥ 6 months.")


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
