"""Audit tables: the entries and the one-row chain head that serialises appends."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.audit.rules import EntryFields
from appcomply.db.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_app_id_seq", "app_id", "seq"),
        Index("ix_audit_entries_subject", "subject_kind", "subject_id"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[dt.datetime]
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(100), index=True)
    subject_kind: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def fields(self) -> EntryFields:
        return EntryFields(
            seq=self.seq,
            at=self.at,
            app_id=self.app_id,
            actor_kind=self.actor_kind,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            request_id=self.request_id,
            event=self.event,
            subject_kind=self.subject_kind,
            subject_id=self.subject_id,
            data=self.data,
            prev_hash=self.prev_hash,
        )


class AuditHead(Base):
    """The chain's tip. Locking this single row (FOR UPDATE) serialises appends on PostgreSQL (A4)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
