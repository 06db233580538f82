"""notices and agreements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:26:28.506680
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import appcomply.db.base

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_agreement_documents_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_documents")),
        sa.UniqueConstraint(
            "app_id", "kind", "slug", "language", name=op.f("uq_agreement_documents_app_id_kind_slug_language")
        ),
    )
    with op.batch_alter_table("agreement_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_documents_app_id"), ["app_id"], unique=False)

    op.create_table(
        "agreement_policies",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column(
            "required_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_agreement_policies_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_agreement_policies")),
    )
    op.create_table(
        "agreement_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "clauses", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("change_summary", sa.Text(), nullable=False),
        sa.Column("effective_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("notices_queued", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_agreement_versions_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["agreement_documents.id"],
            name=op.f("fk_agreement_versions_document_id_agreement_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_versions")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_agreement_versions_document_id_number")),
    )
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_versions_app_id"), ["app_id"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipient_sealed", sa.Text(), nullable=True),
        sa.Column("recipient_masked", sa.String(length=80), nullable=True),
        sa.Column("reason_kind", sa.String(length=40), nullable=True),
        sa.Column("reason_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_notices_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["end_users.id"], name=op.f("fk_notices_user_id_end_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_app_id_status_id", ["app_id", "status", "id"], unique=False)
        batch_op.create_index("ix_notices_status_not_before", ["status", "not_before"], unique=False)
        batch_op.create_index("ix_notices_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "agreement_acceptances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("client_time", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip_index", sa.String(length=64), nullable=False),
        sa.Column("ip_masked", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("accepted_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_agreement_acceptances_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["agreement_documents.id"],
            name=op.f("fk_agreement_acceptances_document_id_agreement_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["end_users.id"], name=op.f("fk_agreement_acceptances_user_id_end_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_acceptances_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_acceptances")),
    )
    with op.batch_alter_table("agreement_acceptances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_acceptances_app_id"), ["app_id"], unique=False)
        batch_op.create_index("ix_agreement_acceptances_user_document", ["user_id", "document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_acceptances_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agreement_acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_acceptances_version_id"))
        batch_op.drop_index("ix_agreement_acceptances_user_document")
        batch_op.drop_index(batch_op.f("ix_agreement_acceptances_app_id"))

    op.drop_table("agreement_acceptances")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_user_id_id")
        batch_op.drop_index("ix_notices_status_not_before")
        batch_op.drop_index("ix_notices_app_id_status_id")

    op.drop_table("notices")
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_versions_app_id"))

    op.drop_table("agreement_versions")
    op.drop_table("agreement_policies")
    with op.batch_alter_table("agreement_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_documents_app_id"))

    op.drop_table("agreement_documents")
