"""Boundary models of the agreements module."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from appcomply.agreements.rules import Channel, DocumentKind, Language, VersionState

_NO_NUL = r"^[^\x00]*$"


class AcceptanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_id: uuid.UUID = Field(description="The version shown to the user (from GET /v1/documents).")
    accepted: bool = Field(description="Must be true: the user affirmatively accepted (ticked, tapped 同意).")
    # Optional in the schema so that its absence is answered with its own code (agreements.acceptance.channel_required)
    # rather than a generic validation error: a client must learn that acceptance is never implied.
    channel: Channel | None = Field(default=None, description="Where the user accepted.")
    client_time: AwareDatetime = Field(description="When the user accepted, by the client's clock, with offset.")
    ip: Annotated[str, StringConstraints(max_length=45)] = Field(description="The user's IP address.")
    user_agent: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=_NO_NUL)] = Field(
        description="The client's user agent; stored truncated to 255 characters."
    )

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        return str(ipaddress.ip_address(value))


class AcceptanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    text_sha256: str
    channel: Channel
    client_time: dt.datetime
    ip_masked: str
    accepted_at: dt.datetime


class PendingItem(BaseModel):
    kind: DocumentKind
    version_id: uuid.UUID = Field(description="The version in force to show and accept.")
    version: int
    language: Language
    material: bool
    text_sha256: str


class PendingRead(BaseModel):
    user_id: uuid.UUID
    pending: list[PendingItem]


class ClauseRead(BaseModel):
    number: str
    heading: str
    address: str = Field(description="`{kind}/{version}/{clause}`, the citation used by sanctions.")


class VersionRead(BaseModel):
    id: uuid.UUID
    number: int
    state: VersionState
    language: Language
    effective_at: dt.datetime | None
    material: bool
    change_summary: str
    text_sha256: str
    body: str
    clauses: list[ClauseRead]


class DocumentRead(BaseModel):
    kind: DocumentKind
    slug: str
    language: Language
    title: str
    public_url: str
    in_force: VersionRead | None
    scheduled: list[VersionRead]
    archive: list[VersionRead] = Field(description="Superseded versions, newest first.")


class LicenceRef(BaseModel):
    kind: str
    number: str
    scope: str


class DocumentsRead(BaseModel):
    app_id: uuid.UUID
    app_name: str
    entity_name: str
    licences: list[LicenceRef] = Field(description="Licences and filing numbers to display in the app (AGR-04).")
    documents: list[DocumentRead]


class NoticeCountsRead(BaseModel):
    """The change notices a version caused (an inbox notice per registered user) and when they went out."""

    version_id: uuid.UUID
    queued: int = Field(description="Notices written when the version was scheduled (0 for a minor change).")
    pending: int = Field(description="Not delivered yet: waiting, being sent or retrying.")
    sent: int = Field(description="Delivered to the users' inboxes.")
    dead: int = Field(description="Given up after the last attempt; staff may re-queue them.")
    first_sent_at: dt.datetime | None = Field(description="When the first notice went out; null before any did.")
    last_sent_at: dt.datetime | None = Field(description="When the latest notice went out.")


class DraftForm(BaseModel):
    """A draft's text and facts, as the console editor posts them."""

    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, StringConstraints(min_length=1, max_length=200_000, pattern=_NO_NUL)]
    material: bool = False
    change_summary: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] = ""
    effective_at: dt.datetime | None = None
