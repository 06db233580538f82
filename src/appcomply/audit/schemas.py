"""Audit read models."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int | None  # None until the chainer has chained the entry
    at: dt.datetime
    app_id: uuid.UUID | None
    actor_kind: str
    actor_label: str
    request_id: str
    event: str
    subject_kind: str
    subject_id: str
    data: dict[str, Any]
    hash: str | None
