"""Tables of the consent module: the app's processing map, the append-only consent ledger with each user's current
state, users' declared ages and guardians, and data-subject requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class ProcessingActivity(Base):
    """One processing activity: a feature's purpose, the PI items it processes, its legal basis, recipients and
    retention. Whether it performs a basic function is the 39-type code it names; necessity is derived from it."""

    __tablename__ = "consent_activities"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))  # 64 for a key, more once archived (key~id)
    feature: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    pi_items: Mapped[list[Any]]
    basis: Mapped[str] = mapped_column(String(32))
    basic_type: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(64))
    separate: Mapped[list[Any]]
    recipients: Mapped[list[Any]]
    retention: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    archived_at: Mapped[dt.datetime | None]


class ConsentEvent(Base):
    """One entry of the ledger: a user granted, refused or withdrew consent to an activity (or one of its separate
    consents), having been shown a given privacy-policy version. Never updated or deleted but with the user."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_user_recorded", "user_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(100))
    activity_key: Mapped[str | None] = mapped_column(String(64))
    separate: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    policy_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement_versions.id"))
    policy_version_number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    client_time: Mapped[dt.datetime]
    guardian_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("end_users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime]


class ConsentState(Base):
    """A user's current answer per subject (the last ledger entry), kept in the ledger's transaction so a check reads
    one indexed row set instead of replaying history."""

    __tablename__ = "consent_states"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[uuid.UUID]
    updated_at: Mapped[dt.datetime]


class ConsentProfile(Base):
    """What the consent rules need to know of a user beyond identity: an age the user declared (when no verified
    identity gives one) and the guardian whose consent covers a child under 14."""

    __tablename__ = "consent_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    declared_age: Mapped[int | None] = mapped_column(Integer)
    declared_on: Mapped[dt.date | None] = mapped_column(Date)
    guardian_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("end_users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime]


class DataRequest(Base):
    """A data-subject request (PIPL Arts 44–50): access, copy, correction, deletion, withdrawal, cancellation."""

    __tablename__ = "consent_data_requests"
    __table_args__ = (Index("ix_consent_data_requests_app_status_due", "app_id", "status", "due_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    # Kept (SET NULL) when a deletion removes the user: the request and its outcome are the provider's evidence.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("end_users.id", ondelete="SET NULL"), index=True)
    user_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime]
    due_on: Mapped[dt.date] = mapped_column(Date)
    verification_id: Mapped[uuid.UUID | None]
    verified_at: Mapped[dt.datetime | None]
    outcome_code: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(Text, default="")  # Chinese
    outcome_en: Mapped[str] = mapped_column(Text, default="")
    export: Mapped[dict[str, Any] | None]
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))


class LegalHold(Base):
    """A hold that forbids deleting a user's data (an investigation, a court order, a dispute): a deletion or
    cancellation request is refused while one is active."""

    __tablename__ = "consent_legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[dt.datetime]
    released_at: Mapped[dt.datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))
