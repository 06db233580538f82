"""Tables of the vulnerabilities module: reported vulnerabilities, the receipt log (VR 5), attachments, the
timeline of every step, security incidents and their timeline, and the authority clocks of both."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class Vulnerability(Base):
    """One reported security defect of an app, from intake to disclosure.

    The reporter's contact is sealed by the vault (`contact_sealed`), shown masked; the tracking token is kept as
    its SHA-256 only. `received_at` is when the provider learned of it: every clock counts from it.
    """

    __tablename__ = "vulnerabilities"
    __table_args__ = (
        UniqueConstraint("app_id", "idempotency_key"),
        Index("ix_vulnerabilities_app_id_state", "app_id", "state"),
        Index("ix_vulnerabilities_state_received_at", "state", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    component: Mapped[str | None] = mapped_column(String(200))
    component_version: Mapped[str | None] = mapped_column(String(64))
    steps: Mapped[str | None] = mapped_column(Text)
    contact_sealed: Mapped[str | None] = mapped_column(Text)
    contact_masked: Mapped[str | None] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    summary_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    assignee: Mapped[str | None] = mapped_column(String(120))
    cvss_vector: Mapped[str | None] = mapped_column(String(255))
    cvss_version: Mapped[str | None] = mapped_column(String(8))
    cvss_score: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(10))
    national_security: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"platform": "android", "range": ">=5.0.0 <5.2.3"}, ...]
    affected_versions: Mapped[list[Any]]
    fixed_version: Mapped[str | None] = mapped_column(String(64))
    fix_released_at: Mapped[dt.datetime | None]
    fix_plan: Mapped[str | None] = mapped_column(Text)
    technical_characteristics: Mapped[str | None] = mapped_column(Text)
    harm: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)
    supplier: Mapped[str | None] = mapped_column(String(200))
    cve: Mapped[str | None] = mapped_column(String(24))
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vulnerabilities.id", ondelete="SET NULL"))
    disclosed_at: Mapped[dt.datetime | None]
    advisory_summary: Mapped[str | None] = mapped_column(Text)


class Receipt(Base):
    """The receipt log (VR 5): one row per report received, kept at least 6 months whatever becomes of the report.

    The source address is kept as a keyed index (enough to count a flood) and a coarse network; the submission as
    the SHA-256 of its canonical form.
    """

    __tablename__ = "vulnerability_receipts"
    __table_args__ = (
        Index("ix_vulnerability_receipts_source", "app_id", "source_index", "received_at"),
        Index("ix_vulnerability_receipts_received_at", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    vulnerability_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vulnerabilities.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(16))
    source_index: Mapped[str | None] = mapped_column(String(64))
    source_masked: Mapped[str | None] = mapped_column(String(64))
    summary_hash: Mapped[str] = mapped_column(String(64))
    attachments: Mapped[int] = mapped_column(Integer, default=0)


class Attachment(Base):
    """A file sent with a report: sniffed, size-limited, stored as bytes, only ever served as a download."""

    __tablename__ = "vulnerability_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vulnerabilities.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]


class TimelineEntry(Base):
    """One step in a vulnerability's life: a transition, a note, a public message, a supplier notice, a submission.

    `public` entries are what the reporter sees through the tracking token.
    """

    __tablename__ = "vulnerability_events"
    __table_args__ = (Index("ix_vulnerability_events_vulnerability_id_at", "vulnerability_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vulnerabilities.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor_label: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]]


class Clock(Base):
    """An authority deadline and its evidence once met (who, when, channel, reference). It counts for exactly one
    owner: a vulnerability (from intake) or a security incident (from detection, or from the end of handling)."""

    __tablename__ = "vulnerability_clocks"
    __table_args__ = (
        UniqueConstraint("vulnerability_id", "kind"),
        UniqueConstraint("incident_id", "kind"),
        CheckConstraint("(vulnerability_id IS NULL) <> (incident_id IS NULL)", name="one_owner"),
        Index("ix_vulnerability_clocks_open_due", "submitted_at", "waived", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vulnerability_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vulnerabilities.id", ondelete="CASCADE"))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_incidents.id", ondelete="CASCADE"))
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    alerts_sent: Mapped[int] = mapped_column(Integer, default=0)
    waived: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[dt.datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(80))
    reference: Mapped[str | None] = mapped_column(String(120))

    @property
    def owner_id(self) -> uuid.UUID:
        owner = self.vulnerability_id or self.incident_id
        assert owner is not None  # noqa: S101 - the one_owner CHECK
        return owner


class Incident(Base):
    """A network security incident (VUL-07, Incident Reporting Measures): its grade, the operator class it was
    reported under, and open → handled → closed. `detected_at` is when the provider learned of it: the first
    report's clock counts from it whenever the grade makes that report due."""

    __tablename__ = "security_incidents"
    __table_args__ = (
        Index("ix_security_incidents_app_id_state", "app_id", "state"),
        Index("ix_security_incidents_state_grade", "state", "grade"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(24))
    grade: Mapped[str] = mapped_column(String(24))
    operator_class: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[dt.datetime]
    handled_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    affected_users: Mapped[int | None] = mapped_column(Integer)
    personal_information_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerability_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vulnerabilities.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(120))


class IncidentTimelineEntry(Base):
    """One step of an incident: created, graded, updated, follow_up (a report sent as facts develop), handled,
    closed, submission, clock_alert."""

    __tablename__ = "security_incident_events"
    __table_args__ = (Index("ix_security_incident_events_incident_id_at", "incident_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_incidents.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(24))
    actor_label: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class AppVersion(Base):
    """A release of the app on one platform (VUL-04): what upgrade requirements point at."""

    __tablename__ = "app_versions"
    __table_args__ = (UniqueConstraint("app_id", "platform", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[dt.datetime]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class UpgradeLink(Base):
    """The release that fixes a vulnerability on a platform, and whether users must (required) or should upgrade."""

    __tablename__ = "vulnerability_upgrades"
    __table_args__ = (UniqueConstraint("vulnerability_id", "platform"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vulnerabilities.id", ondelete="CASCADE"))
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    fixed_in: Mapped[str] = mapped_column(String(64))
    required: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class VersionPolicy(Base):
    """Per app and platform, what the version check answers, precomputed whenever a release, a fix link, a
    vulnerability's state or the manual minimum changes: the check reads an app's policies once a second per
    process (service/_versions.py)."""

    __tablename__ = "app_version_policies"

    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    minimum_required: Mapped[str | None] = mapped_column(String(64))
    minimum_recommended: Mapped[str | None] = mapped_column(String(64))
    latest_version: Mapped[str | None] = mapped_column(String(64))
    manual_minimum: Mapped[str | None] = mapped_column(String(64))
    manual_reason: Mapped[str | None] = mapped_column(String(500))
    # [{"vulnerability_id", "title", "severity", "fixed_in", "required", "advisory"}], what each minimum is for
    reasons: Mapped[list[Any]]
    updated_at: Mapped[dt.datetime]


class UserAppVersion(Base):
    """Which version of the app a user runs on a platform, as the app last reported it."""

    __tablename__ = "user_app_versions"
    __table_args__ = (Index("ix_user_app_versions_app_platform", "app_id", "platform", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[dt.datetime]


class NoticeCampaign(Base):
    """Notices to an app's users about a fixed vulnerability (Art 10; VR 7(3)), sent in chunks of users.

    `cursor` is the last user id a committed chunk processed (users in id order): a chunk commits its notices, the
    cursor and the counts together, so a chunk is done once or not at all. `claimed_by`/`lease_until` keep the
    campaign with one worker between its chunks. Counts are per channel: {"inbox": 120, "sms": 80}.
    """

    __tablename__ = "vulnerability_notice_campaigns"
    __table_args__ = (
        # The runners' claim: unfinished campaigns, oldest first.
        Index("ix_vulnerability_notice_campaigns_state_created_at", "state", "created_at"),
        Index("ix_vulnerability_notice_campaigns_vulnerability_id", "vulnerability_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vulnerabilities.id", ondelete="CASCADE"))
    channels: Mapped[list[Any]]
    audience: Mapped[str] = mapped_column(String(8))
    subject_zh: Mapped[str] = mapped_column(String(90))
    subject_en: Mapped[str] = mapped_column(String(100))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))
    cursor: Mapped[uuid.UUID | None]
    queued: Mapped[dict[str, Any]]
    skipped_no_address: Mapped[dict[str, Any]]
    users_total: Mapped[int] = mapped_column(Integer)
    users_done: Mapped[int] = mapped_column(Integer, default=0)
    users_matched: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None]
