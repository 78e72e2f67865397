"""Calls: the resident, unit and agent indexes hold only the calls that have one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A new call has none of them (the IVR writes it before it knows; an agent answers later).
SET_LATER = ("resident_id", "unit_id", "agent_id")


def upgrade() -> None:
    for column in SET_LATER:
        op.drop_index(f"ix_calls_{column}", table_name="calls")
        known = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_calls_{column}", "calls", [column], postgresql_where=known, sqlite_where=known
        )


def downgrade() -> None:
    for column in SET_LATER:
        op.drop_index(f"ix_calls_{column}", table_name="calls")
        op.create_index(f"ix_calls_{column}", "calls", [column])
