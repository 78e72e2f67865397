"""On-call rotations, their shifts and ladders, the escalations of emergencies, and an
index of the emergency calls the dialer turns into work orders after hours

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMERGENCY_EVENTS = sa.text("kind = 'call.emergency'")


def upgrade() -> None:
    op.create_table(
        "on_call_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("trade", sa.String(length=16), nullable=False),
        sa.Column("retry_seconds", sa.Integer(), nullable=False),
        sa.Column("tries_per_person", sa.Integer(), nullable=False),
        sa.Column("supervisor_name", sa.String(length=100), nullable=False),
        sa.Column("supervisor_phone", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_on_call_rotations_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_call_rotations")),
        sa.UniqueConstraint(
            "community_id", "trade", name=op.f("uq_on_call_rotations_community_id_trade")
        ),
    )
    op.create_table(
        "on_call_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["agents.id"], name=op.f("fk_on_call_shifts_created_by_agents")
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["on_call_rotations.id"],
            name=op.f("fk_on_call_shifts_rotation_id_on_call_rotations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_call_shifts")),
    )
    with op.batch_alter_table("on_call_shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_on_call_shifts_when", ["rotation_id", "starts_at", "ends_at"], unique=False
        )
    op.create_table(
        "on_call_steps",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["on_call_shifts.id"],
            name=op.f("fk_on_call_steps_shift_id_on_call_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_on_call_steps_technician_id_technicians"),
        ),
        sa.PrimaryKeyConstraint("shift_id", "position", name=op.f("pk_on_call_steps")),
    )
    with op.batch_alter_table("on_call_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_on_call_steps_technician_id"), ["technician_id"], unique=False
        )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("trade", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "calling",
                "accepted",
                "exhausted",
                "cancelled",
                name="escalationstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("ladder", sa.JSON(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("retry_seconds", sa.Integer(), nullable=False),
        sa.Column("tries_per_person", sa.Integer(), nullable=False),
        sa.Column("eta_minutes", sa.Integer(), nullable=False),
        sa.Column("accepted_name", sa.String(length=100), nullable=False),
        sa.Column("accepted_technician_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_technician_id"],
            ["technicians.id"],
            name=op.f("fk_escalations_accepted_technician_id_technicians"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_escalations_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_escalations_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_escalations_work_order_id")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalations_community_id"), ["community_id"], unique=False
        )

    op.create_index(
        "ix_call_events_emergency",
        "call_events",
        ["at"],
        postgresql_where=EMERGENCY_EVENTS,
        sqlite_where=EMERGENCY_EVENTS,
    )


def downgrade() -> None:
    op.drop_index("ix_call_events_emergency", table_name="call_events")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_community_id"))
    op.drop_table("escalations")
    with op.batch_alter_table("on_call_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_on_call_steps_technician_id"))
    op.drop_table("on_call_steps")
    with op.batch_alter_table("on_call_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_on_call_shifts_when")
    op.drop_table("on_call_shifts")
    op.drop_table("on_call_rotations")
