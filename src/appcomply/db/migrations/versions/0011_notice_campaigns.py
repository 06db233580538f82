"""vulnerability notice campaigns (VUL-04): notices to an app's users in committed chunks

Self-contained: it creates one table and touches no other, so it can be rebased onto 0010 by changing
`down_revision` alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:14:06.439184
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import appcomply.db.base

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vulnerability_notice_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("vulnerability_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channels", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("subject_zh", sa.String(length=90), nullable=False),
        sa.Column("subject_en", sa.String(length=100), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("cursor", sa.Uuid(), nullable=True),
        sa.Column(
            "queued", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "skipped_no_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("users_total", sa.Integer(), nullable=False),
        sa.Column("users_done", sa.Integer(), nullable=False),
        sa.Column("users_matched", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_vulnerability_notice_campaigns_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["vulnerability_id"],
            ["vulnerabilities.id"],
            name=op.f("fk_vulnerability_notice_campaigns_vulnerability_id_vulnerabilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vulnerability_notice_campaigns")),
    )
    with op.batch_alter_table("vulnerability_notice_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vulnerability_notice_campaigns_state_created_at", ["state", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_vulnerability_notice_campaigns_vulnerability_id", ["vulnerability_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vulnerability_notice_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_vulnerability_notice_campaigns_vulnerability_id")
        batch_op.drop_index("ix_vulnerability_notice_campaigns_state_created_at")

    op.drop_table("vulnerability_notice_campaigns")
