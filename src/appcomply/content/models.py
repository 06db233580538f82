"""Tables of the content module: each app's lexicon (terms and allow-list phrases layered on the packaged default)
and the log of screening hits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class LexiconState(Base):
    """Per app: the lexicon's version counter (bumped by every change, so each process recompiles once) and whether
    the packaged default lexicon lies beneath the app's own terms."""

    __tablename__ = "content_lexicons"

    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    include_default: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime]


class LexiconTerm(Base):
    """One denied term of an app's lexicon. The text is stored as entered; the engine derives its variants."""

    __tablename__ = "content_terms"
    __table_args__ = (UniqueConstraint("app_id", "text"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    scopes: Mapped[list[Any]]
    stretch: Mapped[bool] = mapped_column(Boolean, default=True)
    pinyin: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class AllowPhrase(Base):
    """A phrase that wins over any denied term inside it (大麻烦 over 大麻)."""

    __tablename__ = "content_allow_phrases"
    __table_args__ = (UniqueConstraint("app_id", "text"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(50))
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]


class ScreeningHit(Base):
    """One hit of a screening that found something: which term or detector, never the screened text itself (it may
    carry personal information) and, for detector hits, no matched value."""

    __tablename__ = "content_screening_hits"
    __table_args__ = (Index("ix_content_screening_hits_app_term_at", "app_id", "term", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    screening_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(40))
    term: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    evasions: Mapped[list[Any]]
    lexicon_version: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
