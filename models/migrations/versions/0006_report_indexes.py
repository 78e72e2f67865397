"""Indexes the reports read a period by: a period's queue events

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_EVENTS = sa.text(
    "kind IN ('queue.joined', 'agent.connected', 'queue.abandoned', 'call.hangup', "
    "'call.queue_result')"
)


def upgrade() -> None:
    op.create_index(
        "ix_call_events_report",
        "call_events",
        ["at"],
        postgresql_include=["call_id", "kind", "data"],
        postgresql_where=QUEUE_EVENTS,
        sqlite_where=QUEUE_EVENTS,
    )


def downgrade() -> None:
    op.drop_index("ix_call_events_report", table_name="call_events")
