"""Boundary models of the notices module: a user's inbox."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field


class NoticeRead(BaseModel):
    """One notice in a user's in-app inbox. Its content is what was delivered and never changes."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject: str
    body: str
    reason_kind: str | None = Field(description="What caused the notice, e.g. `document_version`.")
    reason_id: str | None = Field(description="The id of what caused it.")
    created_at: dt.datetime
    sent_at: dt.datetime | None = Field(description="When it reached the inbox.")
    read_at: dt.datetime | None = Field(description="When the user read it; null while unread.")


class NoticePage(BaseModel):
    items: list[NoticeRead]
    next_cursor: uuid.UUID | None = Field(description="Pass as `before` to get older notices; null on the last page.")
