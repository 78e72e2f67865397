"""Indexes the reports read a period by: work orders by completion, survey answers by time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The callback rate counts the orders completed in a month; satisfaction, the answers
    # given in it (agent_console/reports).
    op.create_index("ix_work_orders_completed_at", "work_orders", ["completed_at"])
    op.create_index("ix_survey_responses_answered_at", "survey_responses", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_survey_responses_answered_at", table_name="survey_responses")
    op.drop_index("ix_work_orders_completed_at", table_name="work_orders")
