"""security incidents and their timeline; authority clocks owned by a vulnerability or an incident

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import appcomply.db.base

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER = "(vulnerability_id IS NULL) <> (incident_id IS NULL)"


def upgrade() -> None:
    op.create_table(
        "security_incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("grade", sa.String(length=24), nullable=False),
        sa.Column("operator_class", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detected_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("affected_users", sa.Integer(), nullable=True),
        sa.Column("personal_information_involved", sa.Boolean(), nullable=False),
        sa.Column("vulnerability_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_security_incidents_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["vulnerability_id"],
            ["vulnerabilities.id"],
            name=op.f("fk_security_incidents_vulnerability_id_vulnerabilities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incidents")),
    )
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_security_incidents_app_id_state", ["app_id", "state"], unique=False)
        batch_op.create_index("ix_security_incidents_state_grade", ["state", "grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_incidents_vulnerability_id"), ["vulnerability_id"], unique=False)

    op.create_table(
        "security_incident_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("at", appcomply.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["security_incidents.id"],
            name=op.f("fk_security_incident_events_incident_id_security_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incident_events")),
    )
    with op.batch_alter_table("security_incident_events", schema=None) as batch_op:
        batch_op.create_index("ix_security_incident_events_incident_id_at", ["incident_id", "at"], unique=False)

    # The clocks table gains a second possible owner. SQLite cannot alter a column's nullability or add a CHECK in
    # place: batch mode rebuilds the table (render_as_batch), PostgreSQL alters it.
    with op.batch_alter_table("vulnerability_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("vulnerability_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_vulnerability_clocks_incident_id_security_incidents"),
            "security_incidents",
            ["incident_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_vulnerability_clocks_incident_id_kind"), ["incident_id", "kind"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_vulnerability_clocks_one_owner"), sa.text(ONE_OWNER))


def downgrade() -> None:
    # An incident's clocks have no vulnerability to belong to once the column is NOT NULL again: they go with the
    # incidents (whose tables are dropped below).
    op.execute(sa.text("DELETE FROM vulnerability_clocks WHERE incident_id IS NOT NULL"))
    with op.batch_alter_table("vulnerability_clocks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_vulnerability_clocks_one_owner"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_vulnerability_clocks_incident_id_kind"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_vulnerability_clocks_incident_id_security_incidents"), type_="foreignkey"
        )
        batch_op.alter_column("vulnerability_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("incident_id")

    with op.batch_alter_table("security_incident_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_incident_events_incident_id_at")
    op.drop_table("security_incident_events")
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_incidents_vulnerability_id"))
        batch_op.drop_index("ix_security_incidents_state_grade")
        batch_op.drop_index("ix_security_incidents_app_id_state")
    op.drop_table("security_incidents")
