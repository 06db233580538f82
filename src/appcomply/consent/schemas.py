"""Boundary models of the consent module."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from appcomply.agreements import Channel
from appcomply.consent.rules import (
    ConsentAction,
    LegalBasis,
    RecipientKind,
    RequestKind,
    RequestStatus,
    SeparateConsent,
)
from appcomply.identity.schemas import PermissionsRead

_NO_NUL = r"^[^\x00]*$"
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)]
PiCode = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RecipientModel(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    name: Short = Field(description="The recipient's name (company, or the SDK and its provider).")
    kind: RecipientKind
    pi_items: list[PiCode] = Field(max_length=100, description="PI item codes it receives.")
    purpose: Short
    disclosed: bool = Field(description="Named in the published third-party sharing list.")
    cross_border: bool = False


class ActivityBody(BaseModel):
    """An activity as written (PUT replaces it whole); what follows from the law is derived on reading."""

    model_config = ConfigDict(extra="forbid")

    feature: Short = Field(description="The feature (function) it serves.")
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_NO_NUL)]
    pi_items: list[PiCode] = Field(
        max_length=100, description="PI item codes (see the catalogue); empty for a function that processes none."
    )
    basis: LegalBasis = Field(
        description="Declared legal basis; the effective basis is derived (see `effective_basis`)."
    )
    basic_type: int | None = Field(
        default=None, ge=1, le=39, description="The app type (1–39) whose basic function this performs; null: extended."
    )
    choice: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="The consent prompt it is asked in; activities sharing one are bundled."
    )
    separate: list[SeparateConsent] = Field(default_factory=list, description="Separate consents asked for it.")
    recipients: list[RecipientModel] = Field(default_factory=list, max_length=50)
    retention: Short = Field(description="How long the PI is kept, e.g. `until account cancellation`.")


class ActivityCreate(ActivityBody):
    key: Key = Field(description="Stable key the app uses in consent calls, e.g. `personalised_ads`.")


class ActivityRead(BaseModel):
    id: uuid.UUID
    key: str
    feature: str
    purpose: str
    pi_items: list[str]
    basis: LegalBasis
    basic_type: int | None
    choice: str | None
    separate: list[SeparateConsent]
    recipients: list[RecipientModel]
    retention: str
    basic: bool = Field(description="Derived: performs the basic function of one of the app's types.")
    necessary_items: list[str] = Field(description="Derived from the 39-type rules: the PI items necessary for it.")
    effective_basis: LegalBasis = Field(description="Derived: what processing really rests on.")
    required_separate: list[SeparateConsent] = Field(description="Derived: separate consents the law requires.")
    created_at: dt.datetime
    updated_at: dt.datetime


class FindingRead(BaseModel):
    code: str
    severity: str
    activity_key: str | None
    pi_items: list[str]
    article: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity: Key = Field(description="The activity's key.")
    separate: SeparateConsent | None = Field(default=None, description="A separate consent of the activity, if any.")
    action: ConsentAction
    # Optional in the schema so that their absence gets its own code (consent.policy_version_required,
    # consent.channel_required): a client must learn that a consent is tied to the text shown and the place asked.
    policy_version_id: uuid.UUID | None = Field(default=None, description="The privacy-policy version shown.")
    channel: Channel | None = Field(default=None, description="Where the user answered.")
    client_time: AwareDatetime = Field(description="When the user answered, by the client's clock, with offset.")


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject: str
    activity_key: str | None
    separate: SeparateConsent | None
    action: ConsentAction
    policy_version_id: uuid.UUID
    policy_version_number: int
    channel: Channel
    client_time: dt.datetime
    guardian_user_id: uuid.UUID | None
    recorded_at: dt.datetime


class StateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    action: ConsentAction
    updated_at: dt.datetime


class ConsentsRead(BaseModel):
    user_id: uuid.UUID
    current: list[StateRead] = Field(description="The latest answer per activity and separate consent.")
    history: list[ConsentRead] = Field(description="The ledger, newest first (at most `limit` entries).")
    next_cursor: uuid.UUID | None


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    activity: Key


class CheckRead(BaseModel):
    user_id: uuid.UUID
    activity: str
    allowed: bool
    basis: LegalBasis | None = Field(description="What the processing rests on when allowed.")
    reason: str | None = Field(description="Why not: consent.not_granted, consent.withdrawn, … ")
    missing: list[str] = Field(description="Separate consents still needed (consent.separate_required).")


class AgeDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int = Field(ge=0, le=150, description="The age in full years the user declared.")


class GuardianCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guardian_user_id: uuid.UUID = Field(description="The guardian: a user of the app verified by resident ID, adult.")
    policy_version_id: uuid.UUID | None = None
    channel: Channel | None = None
    client_time: AwareDatetime


class ActivityPermission(BaseModel):
    activity: str
    basic: bool
    allowed: bool
    basis: LegalBasis | None
    reason: str | None


class FullPermissionsRead(PermissionsRead):
    processing: list[ActivityPermission] = Field(
        description="Per processing activity: may it process the user's PI now (a basic function on necessary PI "
        "is never denied because the user refused other processing)."
    )


# --- data-subject requests ------------------------------------------------------------------------------------------

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=_NO_NUL)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_NO_NUL)]


class DataRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID = Field(description="The requesting user, of the calling app.")
    kind: RequestKind
    details: LongText = Field(default="", description="What the user asked, in their words (for correction: what).")


class DataRequestConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=8, pattern=r"^\d+$")] = (
        Field(description="The code sent by SMS to the user's verified phone.")
    )


class DataRequestClose(BaseModel):
    """Staff closing a request: the note is the outcome of a correction or explanation, or the reasons of a
    rejection (PIPL Art 50)."""

    model_config = ConfigDict(extra="forbid")

    note: Note


class DataRequestRead(BaseModel):
    id: uuid.UUID
    app_id: uuid.UUID
    user_id: uuid.UUID | None = Field(description="Null once the user row is gone; the request is kept as evidence.")
    kind: RequestKind
    status: RequestStatus
    details: str
    received_at: dt.datetime
    due_on: dt.date = Field(description="15 working days after receipt (Beijing date, configured calendar).")
    working_days_left: int = Field(description="Working days until the due date; negative when overdue.")
    overdue: bool
    verification_id: uuid.UUID | None
    verification_status: str | None = Field(description="Of the OTP re-verification: pending, verified, locked…")
    verified_at: dt.datetime | None
    outcome_code: str | None
    outcome_zh: str
    outcome_en: str
    has_export: bool
    closed_at: dt.datetime | None
    closed_by: str | None


class DataRequestPage(BaseModel):
    items: list[DataRequestRead]
    next_cursor: uuid.UUID | None


class DataExportRead(BaseModel):
    request_id: uuid.UUID
    kind: RequestKind
    status: RequestStatus
    ready: bool = Field(description="False until the request is completed; `export` is then null.")
    export: dict[str, object] | None = Field(description="Everything held about the user, masked; no clear ID.")


class LegalHoldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500, pattern=_NO_NUL)]


class LegalHoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID
    user_id: uuid.UUID
    reason: str
    placed_by: str
    placed_at: dt.datetime
    released_at: dt.datetime | None
    released_by: str | None
