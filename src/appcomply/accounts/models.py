"""End users of an app: the public profile (nickname, avatar) and account status. No real identity here."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appcomply.db.base import Base
from appcomply.kernel.ids import new_id


class EndUser(Base):
    __tablename__ = "end_users"
    __table_args__ = (UniqueConstraint("app_id", "external_ref"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    external_ref: Mapped[str] = mapped_column(String(128))
    nickname: Mapped[str] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    # Set by the identity module when the account verifies as an organisation: it may then use protected
    # terms contained in that name (an organisation's registered name is public, not personal information).
    verified_org_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class NicknameTerm(Base):
    """An app's own protected term (its brand, its officials' titles), added to the packaged list."""

    __tablename__ = "nickname_terms"
    __table_args__ = (UniqueConstraint("app_id", "term"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
