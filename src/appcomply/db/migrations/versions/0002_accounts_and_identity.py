"""accounts and identity

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:11:05.328694
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import appcomply.db.base

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "end_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("nickname", sa.String(length=64), nullable=False),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_org_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_end_users_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_users")),
        sa.UniqueConstraint("app_id", "external_ref", name=op.f("uq_end_users_app_id_external_ref")),
    )
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_end_users_app_id"), ["app_id"], unique=False)

    op.create_table(
        "identity_policies",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column(
            "requirements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_identity_policies_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_identity_policies")),
    )
    op.create_table(
        "nickname_terms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_nickname_terms_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nickname_terms")),
        sa.UniqueConstraint("app_id", "term", name=op.f("uq_nickname_terms_app_id_term")),
    )
    with op.batch_alter_table("nickname_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nickname_terms_app_id"), ["app_id"], unique=False)

    op.create_table(
        "verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result_code", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_request_id", sa.String(length=128), nullable=False),
        sa.Column(
            "masked", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("authorization_version", sa.String(length=64), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("name_sealed", sa.Text(), nullable=True),
        sa.Column("id_number_sealed", sa.Text(), nullable=True),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("uscc_sealed", sa.Text(), nullable=True),
        sa.Column("uscc_index", sa.String(length=64), nullable=True),
        sa.Column("org_name", sa.String(length=200), nullable=True),
        sa.Column("age_at_verification", sa.Integer(), nullable=True),
        sa.Column("otp_digest", sa.String(length=64), nullable=True),
        sa.Column("otp_expires_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_verifications_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["end_users.id"], name=op.f("fk_verifications_user_id_end_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index("ix_verifications_app_id_number", ["app_id", "id_number_index"], unique=False)
        batch_op.create_index("ix_verifications_app_phone", ["app_id", "phone_index"], unique=False)
        batch_op.create_index("ix_verifications_user_status", ["user_id", "status"], unique=False)

    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("verification_id", sa.Uuid(), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("ip_index", sa.String(length=64), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_request_id", sa.String(length=128), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("result_code", sa.String(length=64), nullable=False),
        sa.Column("dev_body", sa.Text(), nullable=True),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_sms_messages_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["verifications.id"],
            name=op.f("fk_sms_messages_verification_id_verifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
    )
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_messages_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_sms_messages_ip_sent", ["app_id", "ip_index", "created_at"], unique=False)
        batch_op.create_index("ix_sms_messages_phone_sent", ["app_id", "phone_index", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_messages_verification_id"), ["verification_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_messages_verification_id"))
        batch_op.drop_index("ix_sms_messages_phone_sent")
        batch_op.drop_index("ix_sms_messages_ip_sent")
        batch_op.drop_index(batch_op.f("ix_sms_messages_created_at"))

    op.drop_table("sms_messages")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_verifications_user_status")
        batch_op.drop_index("ix_verifications_app_phone")
        batch_op.drop_index("ix_verifications_app_id_number")

    op.drop_table("verifications")
    with op.batch_alter_table("nickname_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nickname_terms_app_id"))

    op.drop_table("nickname_terms")
    op.drop_table("identity_policies")
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_end_users_app_id"))

    op.drop_table("end_users")
