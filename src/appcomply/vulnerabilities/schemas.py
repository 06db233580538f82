"""Boundary models of the vulnerabilities module: the public report, the tracking view, triage and staff views,
security incidents."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from appcomply.vulnerabilities.rules import (
    Audience,
    CampaignState,
    Channel,
    ClockKind,
    ClockStatus,
    IncidentCategory,
    IncidentGrade,
    IncidentState,
    OperatorClass,
    State,
)

# PostgreSQL cannot store U+0000 in text: refused at the boundary so both databases behave alike.
NO_NUL = r"^[^\x00]*$"
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=20_000, pattern=NO_NUL)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000, pattern=NO_NUL)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)]
Version = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NO_NUL)]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000, pattern=NO_NUL)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Platform = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
VersionRange = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_NUL)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttachmentUpload(_Strict):
    filename: Short = Field(description="The file's name as the reporter had it (never used as a path).")
    content_base64: str = Field(
        max_length=28_000_000, description="The file's bytes, base64; size-limited by settings (413 beyond)."
    )


class ReportCreate(_Strict):
    """A vulnerability report from anyone: a researcher, a user, a vendor. No account needed."""

    app: Slug = Field(description="The app's public name (its slug, as in /p/{slug}/security).")
    title: Title = Field(description="One line: what is wrong.")
    description: Text = Field(description="What the defect is and what it lets an attacker do.")
    component: Short | None = Field(default=None, description="Affected component (screen, API, SDK).")
    component_version: Version | None = Field(default=None, description="Affected app or component version.")
    steps: OptText | None = Field(default=None, description="Steps to reproduce.")
    contact: Contact | None = Field(
        default=None, description="How to reach you (e-mail, phone, WeChat…); optional, stored encrypted."
    )
    attachments: list[AttachmentUpload] = Field(default_factory=list, max_length=20)


class ReportReceipt(BaseModel):
    """What the reporter gets back. The tracking token is shown once and cannot be recovered."""

    tracking_token: str
    status: State
    received_at: dt.datetime
    status_url: str


class PublicMessage(BaseModel):
    at: dt.datetime
    message: str


class ReportStatus(BaseModel):
    """What the reporter sees: the status and the messages staff chose to make public. Nothing else."""

    title: str
    status: State
    received_at: dt.datetime
    updated_at: dt.datetime
    messages: list[PublicMessage]


class AffectedVersion(_Strict):
    platform: Platform = Field(description="android, ios, harmonyos, mini_program, web, server …")
    range: VersionRange = Field(description='A version or range, e.g. "5.2.1" or ">=5.0.0 <5.2.3".')


class TriageUpdate(_Strict):
    """Triage facts; every field optional, only those sent change (audited)."""

    assignee: Short | None = None
    cvss_vector: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None = Field(
        default=None, description="CVSS v3.1 or v4.0 vector, scored by the `cvss` package."
    )
    national_security: bool | None = Field(
        default=None, description="Touches national security or the public interest: 24-hour report (NDR 10)."
    )
    component: Short | None = None
    component_version: Version | None = None
    affected_versions: list[AffectedVersion] | None = Field(default=None, max_length=50)
    fixed_version: Version | None = None
    fix_released_at: AwareDatetime | None = None
    fix_plan: OptText | None = None
    technical_characteristics: OptText | None = None
    harm: OptText | None = None
    scope: OptText | None = None
    supplier: Short | None = Field(default=None, description="Upstream supplier (SDK or library vendor), if theirs.")
    cve: Annotated[str, StringConstraints(pattern=r"^CVE-\d{4}-\d{4,}$")] | None = None
    advisory_summary: OptText | None = None


class TransitionCreate(_Strict):
    to: State
    note: Note | None = None
    duplicate_of: uuid.UUID | None = Field(default=None, description="Required when `to` is duplicate.")


class MessageCreate(_Strict):
    message: Note
    public: bool = Field(default=False, description="Shown to the reporter through the tracking token.")


class SupplierNoticeCreate(_Strict):
    supplier: Short
    channel: Short = Field(description="How they were told: e-mail, their security portal, phone …")
    reference: Short | None = Field(default=None, description="Their ticket or message reference.")
    notified_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")


class SubmissionCreate(_Strict):
    """Evidence that the authority report went out: who, when, through which channel, with which reference."""

    # The clock table's columns: channel 80, reference 120 characters (longer would fail at the database).
    channel: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=NO_NUL)] = (
        Field(description="e.g. MIIT platform (网络安全威胁和漏洞信息共享平台), provincial CAC, 12387.")
    )
    reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=NO_NUL)] | None
    ) = Field(default=None, description="The platform's reference number.")
    submitted_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")


class ShareCreate(_Strict):
    recipient: Short
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country of the recipient."
    )
    recipient_is_provider: bool = Field(
        default=False, description="The recipient provides the affected product (e.g. the upstream SDK vendor)."
    )
    purpose: Note


class ClockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: ClockKind
    started_at: dt.datetime
    due_at: dt.datetime
    status: ClockStatus
    seconds_left: int
    alerts_sent: int
    submitted_at: dt.datetime | None
    submitted_by: str | None
    channel: str | None
    reference: str | None


class TimelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    actor_label: str
    note: str | None
    public: bool


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str


class VulnerabilitySummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID
    title: str
    state: State
    channel: Channel
    severity: str | None
    cvss_score: float | None
    received_at: dt.datetime
    updated_at: dt.datetime
    assignee: str | None
    report_due_at: dt.datetime | None = None
    report_clock: ClockStatus | None = None


class VulnerabilityRead(VulnerabilitySummary):
    description: str
    component: str | None
    component_version: str | None
    steps: str | None
    contact_masked: str | None
    cvss_vector: str | None
    cvss_version: str | None
    national_security: bool
    affected_versions: list[AffectedVersion]
    fixed_version: str | None
    fix_released_at: dt.datetime | None
    fix_plan: str | None
    technical_characteristics: str | None
    harm: str | None
    scope: str | None
    supplier: str | None
    cve: str | None
    duplicate_of: uuid.UUID | None
    disclosed_at: dt.datetime | None
    advisory_summary: str | None
    clocks: list[ClockRead] = Field(default_factory=list)
    timeline: list[TimelineRead] = Field(default_factory=list)
    attachments: list[AttachmentRead] = Field(default_factory=list)


class VulnerabilityPage(BaseModel):
    items: list[VulnerabilitySummary]
    next_cursor: uuid.UUID | None


ClockFilter = Literal["open", "missed", "met"]


# --- app versions and upgrades (VUL-04) -----------------------------------------------------------------------------


class AppVersionCreate(_Strict):
    platform: Platform = Field(description="android, ios, harmonyos, mini_program, web …")
    version: Version = Field(description="The release number, e.g. 5.2.4 (compared as versions: 5.2.10 > 5.2.9).")
    released_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    notes: OptText | None = None


class AppVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID
    platform: str
    version: str
    released_at: dt.datetime
    notes: str | None
    created_at: dt.datetime


class AppVersionPage(BaseModel):
    items: list[AppVersionRead]
    next_cursor: uuid.UUID | None


class UpgradeSet(_Strict):
    """The release that fixes the vulnerability on a platform. Once the vulnerability is fixed (or disclosed), users
    below it are told to upgrade: `required` makes the version check answer upgrade_required (forced upgrade)."""

    platform: Platform
    fixed_in: Version = Field(description="A version registered with POST /v1/apps/{app_id}/versions.")
    required: bool = Field(default=False, description="Forced upgrade: older versions must not be served.")


class UpgradeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    vulnerability_id: uuid.UUID
    platform: str
    fixed_in: str
    required: bool
    updated_at: dt.datetime


class VersionPolicySet(_Strict):
    """A minimum version set by hand (e.g. an end-of-life release), on top of what fixes require."""

    minimum_version: Version | None = Field(description="null lifts the manual minimum.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=NO_NUL)]


class UpgradeReason(BaseModel):
    vulnerability_id: uuid.UUID | None
    title: str
    severity: str | None
    fixed_in: str
    required: bool


class VersionPolicyRead(BaseModel):
    app_id: uuid.UUID
    platform: str
    minimum_required: str | None
    minimum_recommended: str | None
    latest_version: str | None
    manual_minimum: str | None
    manual_reason: str | None
    reasons: list[UpgradeReason]
    updated_at: dt.datetime


class StatusReason(BaseModel):
    code: str = Field(description="vulnerability_fixed, minimum_version or none.")
    message_zh: str
    message_en: str
    vulnerabilities: list[UpgradeReason]


class VersionStatusRead(BaseModel):
    status: Literal["ok", "upgrade_recommended", "upgrade_required"]
    platform: str
    version: str
    minimum_version: str | None = Field(description="Below this the app must not serve the user (forced upgrade).")
    recommended_version: str | None
    latest_version: str | None
    reason: StatusReason | None


class UserVersionSet(_Strict):
    platform: Platform
    version: Version


class UserVersionRead(BaseModel):
    user_id: uuid.UUID
    platform: str
    version: str
    reported_at: dt.datetime
    status: Literal["ok", "upgrade_recommended", "upgrade_required"]


class ExposureRow(BaseModel):
    platform: str
    range: str
    users: int = Field(description="Users whose last reported version falls in the affected range.")


class ExposureRead(BaseModel):
    """How many users still run an affected version (VUL-04), from the versions the app reports."""

    vulnerability_id: uuid.UUID
    rows: list[ExposureRow]
    users_reporting: int


# --- security incidents (VUL-07) ------------------------------------------------------------------------------------

Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=NO_NUL)]
ChannelText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=NO_NUL)]
Users = Annotated[int, Field(ge=0, le=10_000_000_000)]


class IncidentCreate(_Strict):
    """A network security incident as the security team first records it."""

    app_id: uuid.UUID
    title: Title
    description: Text = Field(description="What happened, what it touched, what is being done.")
    category: IncidentCategory = Field(description="GB/T 20986-2023 category (网络安全事件分类).")
    grade: IncidentGrade = Field(
        description="relatively_major or worse must be reported within 1/2/4 hours of detection (operator class)."
    )
    detected_at: AwareDatetime | None = Field(
        default=None, description="When the provider learned of it (default now); every report clock counts from it."
    )
    affected_users: Users | None = None
    personal_information_involved: bool = Field(default=False, description="PI involved (PIPL Art 57 duties too).")
    vulnerability_id: uuid.UUID | None = Field(default=None, description="The vulnerability behind it, if known.")


class IncidentUpdate(_Strict):
    """Only the fields sent change. A new grade only while the incident is open; relatively_major or worse opens the
    report clock, counted from detection."""

    title: Title | None = None
    description: Text | None = None
    category: IncidentCategory | None = None
    grade: IncidentGrade | None = None
    affected_users: Users | None = None
    personal_information_involved: bool | None = None
    vulnerability_id: uuid.UUID | None = None


class FollowUpCreate(_Strict):
    """A follow-up report sent to the authority as the facts develop: how, their reference, what was reported."""

    channel: ChannelText = Field(description="e.g. provincial CAC, 12387 hotline, the protection department.")
    reference: Reference | None = None
    text: Text = Field(description="What the follow-up report said.")
    reported_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")


class IncidentHandled(_Strict):
    handled_at: AwareDatetime | None = Field(
        default=None, description="When handling ended (default now); the summary report is due 30 days later."
    )
    note: Note | None = None


class IncidentClose(_Strict):
    note: Note | None = None


class IncidentTimelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    kind: str
    actor_label: str
    note: str | None
    data: dict[str, object]


class IncidentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID
    title: str
    category: IncidentCategory
    grade: IncidentGrade
    operator_class: OperatorClass
    state: IncidentState
    detected_at: dt.datetime
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    next_due_at: dt.datetime | None = Field(default=None, description="The soonest clock still waiting, if any.")
    next_clock: ClockKind | None = None


class IncidentRead(IncidentSummary):
    description: str
    affected_users: int | None
    personal_information_involved: bool
    vulnerability_id: uuid.UUID | None
    created_at: dt.datetime
    created_by: str
    clocks: list[ClockRead] = Field(default_factory=list)
    timeline: list[IncidentTimelineRead] = Field(default_factory=list)


class IncidentPage(BaseModel):
    items: list[IncidentSummary]
    next_cursor: uuid.UUID | None


# --- user notice campaigns (VUL-04, VR 7(3)) ---------------------------------------------------------------------

NoticeChannel = Literal["inbox", "sms", "email"]
# The notice's subject is "中文 / English" (at most 200 characters in the outbox); an SMS carries the body.
SubjectZh = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=90, pattern=NO_NUL)]
SubjectEn = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100, pattern=NO_NUL)]
BodyZh = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2_000, pattern=NO_NUL)]
BodyEn = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000, pattern=NO_NUL)]


class CampaignCreate(_Strict):
    """Notify the app's users that a vulnerability is fixed and what to do (usually: upgrade)."""

    channels: list[NoticeChannel] = Field(
        min_length=1, max_length=3, description="inbox (in-app), sms (users with a verified phone), email."
    )
    audience: Audience = Field(
        default=Audience.ALL,
        description="all: every user of the app; affected: users whose last reported version is affected.",
    )
    subject_zh: SubjectZh
    subject_en: SubjectEn = ""
    body_zh: BodyZh
    body_en: BodyEn = ""

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each channel once")
        return value


class ChannelCounts(BaseModel):
    """One channel of a campaign: what it queued, whom it could not reach, and the outbox's delivery since."""

    channel: NoticeChannel
    queued: int = Field(description="Notices the campaign put in the outbox.")
    skipped_no_address: int = Field(
        description="Users without an address for the channel (SMS: no verified phone; e-mail: the platform holds "
        "no e-mail address of end users, so every user is skipped)."
    )
    pending: int = Field(description="In the outbox, not delivered yet (queued, sending, retrying).")
    sent: int
    failed: int = Field(description="Out of attempts or refused for good (dead).")


class CampaignRead(BaseModel):
    id: uuid.UUID
    app_id: uuid.UUID
    vulnerability_id: uuid.UUID
    state: CampaignState
    audience: Audience
    channels: list[NoticeChannel]
    subject_zh: str
    subject_en: str
    users_total: int = Field(description="Users to go through, as estimated when the campaign started.")
    users_done: int
    users_matched: int = Field(description="Users of the audience among those done (affected: on an affected version).")
    counts: list[ChannelCounts]
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    claimed_by: str | None
