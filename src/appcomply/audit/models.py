"""Audit tables: the entries and the one-row chain head that the chainer moves."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.audit.rules import EntryFields
from appcomply.db.base import Base

_BIG = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER on SQLite: the id is then the rowid


class AuditEntry(Base):
    """One entry. `record()` inserts it with `id` from the database (no lock) and no chain position; the chainer
    (`chain_pending`) later gives it `seq`, `prev_hash` and `hash` in one update, in the order it sees commits.

    `id` is only the queue order of entries waiting to be chained and is not hashed: once chained, `seq` is the
    entry's position and the hash binds it (with every other field), so chains written before ids existed still
    verify. An entry whose `seq` is NULL is not yet protected by the chain (only by database permissions).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_app_id_id", "app_id", "id"),
        Index("ix_audit_entries_subject", "subject_kind", "subject_id"),
        CheckConstraint(
            "(seq IS NULL AND prev_hash IS NULL AND hash IS NULL) "
            "OR (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL)",
            name="chained_together",
        ),
    )

    id: Mapped[int] = mapped_column(_BIG, Identity(), primary_key=True)
    seq: Mapped[int | None] = mapped_column(_BIG, unique=True)
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
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    def fields(self) -> EntryFields:
        """The hashed content of a chained entry (an unchained one has no seq or prev_hash yet)."""
        if self.seq is None or self.prev_hash is None:
            raise ValueError(f"audit entry {self.id} is not chained yet")
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
    """The chain's tip. Locking this single row (FOR UPDATE) serialises the chainers, not the appends (A4)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
