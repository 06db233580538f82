"""Identity tables: verification attempts with their sealed evidence, SMS sent for them, per-app gating policy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class Verification(Base):
    """One attempt to verify a user's real identity. Clear values never stored: sealed (vault) plus blind index."""

    __tablename__ = "verifications"
    __table_args__ = (
        Index("ix_verifications_app_phone", "app_id", "phone_index"),
        Index("ix_verifications_app_id_number", "app_id", "id_number_index"),
        Index("ix_verifications_user_status", "user_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    result_code: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    provider_request_id: Mapped[str] = mapped_column(String(128), default="")
    masked: Mapped[dict[str, Any]]
    authorization_version: Mapped[str] = mapped_column(String(64))
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64))
    name_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_index: Mapped[str | None] = mapped_column(String(64))
    uscc_sealed: Mapped[str | None] = mapped_column(Text)
    uscc_index: Mapped[str | None] = mapped_column(String(64))
    org_name: Mapped[str | None] = mapped_column(String(200))
    age_at_verification: Mapped[int | None] = mapped_column(Integer)
    otp_digest: Mapped[str | None] = mapped_column(String(64))
    otp_expires_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]


class SmsMessage(Base):
    """Every verification SMS handed to a provider: the evidence, and the development outbox (local provider)."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_phone_sent", "app_id", "phone_index", "created_at"),
        Index("ix_sms_messages_ip_sent", "app_id", "ip_index", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    verification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("verifications.id", ondelete="CASCADE"), index=True)
    phone_masked: Mapped[str] = mapped_column(String(16))
    phone_index: Mapped[str] = mapped_column(String(64))
    ip_index: Mapped[str | None] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    provider_request_id: Mapped[str] = mapped_column(String(128))
    accepted: Mapped[bool] = mapped_column(Boolean)
    result_code: Mapped[str] = mapped_column(String(64))
    # Only the local (development) provider keeps the text, so a developer can read the code in the console;
    # production refuses the local provider, so no code is ever stored there.
    dev_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


class IdentityPolicy(Base):
    """Per-app requirement for each service action; absent actions follow rules.DEFAULT_POLICY."""

    __tablename__ = "identity_policies"

    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    requirements: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]
