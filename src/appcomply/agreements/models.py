"""Tables of published documents: the app's policy, documents, their versions, and users' acceptances."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.agreements import rules
from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class AgreementPolicy(Base):
    """Per app: the notice period for material changes and the kinds a user must accept at registration."""

    __tablename__ = "agreement_policies"

    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=rules.DEFAULT_NOTICE_DAYS)
    required_kinds: Mapped[list[Any]]
    updated_at: Mapped[dt.datetime]


class Document(Base):
    """One document series of an app in one language, e.g. the app's Chinese privacy policy."""

    __tablename__ = "agreement_documents"
    __table_args__ = (UniqueConstraint("app_id", "kind", "slug", "language"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    slug: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]


class Version(Base):
    """One numbered text of a document. Drafts change; once published (`published_at`) a row is never updated."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement_documents.id", ondelete="CASCADE"))
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    clauses: Mapped[list[Any]]
    material: Mapped[bool] = mapped_column(Boolean, default=False)
    change_summary: Mapped[str] = mapped_column(Text, default="")
    effective_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
    notices_queued: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Acceptance(Base):
    """A user's affirmative acceptance of one version, tied to its exact text by hash. Never updated.

    The IP address is personal information: only a keyed index (to match later requests) and a masked form
    are kept. The user agent is kept, truncated, as the evidence of which client showed the text.
    """

    __tablename__ = "agreement_acceptances"
    __table_args__ = (Index("ix_agreement_acceptances_user_document", "user_id", "document_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement_documents.id", ondelete="CASCADE"))
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    client_time: Mapped[dt.datetime]
    ip_index: Mapped[str] = mapped_column(String(64))
    ip_masked: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(rules.USER_AGENT_MAX))
    accepted_at: Mapped[dt.datetime]
