"""The notices outbox table: one row per message to one user through one channel, and its delivery state."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class Notice(Base):
    """A notice written in the transaction of the change that causes it, delivered after commit by a worker.

    The recipient (phone or e-mail) is sealed by the vault; the console shows the masked form. `subject` and
    `body` are what was (or will be) sent and are never rewritten once the notice is sent.
    """

    __tablename__ = "notices"
    __table_args__ = (
        # The workers' claim: due notices by status and time.
        Index("ix_notices_status_not_before", "status", "not_before"),
        # The inbox: a user's notices newest first (ids are UUIDv7, so id order is creation order).
        Index("ix_notices_user_id_id", "user_id", "id"),
        Index("ix_notices_app_id_status_id", "app_id", "status", "id"),
        # What a change (a document version, a decision) notified: its delivery summary.
        Index("ix_notices_app_id_reason", "app_id", "reason_kind", "reason_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipient_sealed: Mapped[str | None] = mapped_column(Text)
    recipient_masked: Mapped[str | None] = mapped_column(String(80))
    reason_kind: Mapped[str | None] = mapped_column(String(40))
    reason_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    worker: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
