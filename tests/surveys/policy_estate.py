"""An estate for the survey policy's tests: one community, households, a team, orders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Agent,
    Category,
    FollowUpTask,
    OutboundJob,
    ResidentRole,
    Team,
    Technician,
    WorkOrder,
    create_work_order,
)
from models.work_order_flow import complete
from tests import factories

# Wednesday 2 December 2026, 10:00 in Shanghai (UTC+8, no DST).
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class PolicyEstate:
    """SH01 with a unit (owner with two phones, a tenant with one), a team and an agent."""

    def __init__(self, session: Session, **community: object) -> None:
        self.session = session
        self.sh01 = factories.community(session, code="SH01", **community)
        self.unit = factories.unit(session, self.sh01, "3", "1502", "2")
        self.owner = factories.resident(
            session,
            "张伟",
            units=[(self.unit, ResidentRole.OWNER)],
            phones=[("+8613900000002", False), ("+8613900000001", True)],
        )
        self.tenant = factories.resident(
            session,
            "Tom Baker",
            units=[(self.unit, ResidentRole.TENANT)],
            phones=[("+8613900000009", True)],
            language="en",
        )
        self.team = Team(community_id=self.sh01.id, name="工程部", trade="plumbing")
        session.add(self.team)
        session.flush()
        self.tech = Technician(team_id=self.team.id, name="李师傅", started_on=dt.date(2020, 1, 1))
        self.agent = Agent(login="a1", name="王丽", password_hash="x")
        session.add_all([self.tech, self.agent])
        session.flush()

    def order(
        self,
        category: Category = Category.REPAIR,
        subcategory: str = "plumbing",
        *,
        resident_id: int | None = None,
        unit_id: int | None = -1,
        opened: dt.datetime = NOW - DAY,
        **columns: object,
    ) -> WorkOrder:
        """An open order of the unit (``unit_id=None``: none), with ``columns`` set."""
        order = create_work_order(
            self.session,
            community=self.sh01,
            category=category,
            subcategory=subcategory,
            description="test",
            unit_id=self.unit.id if unit_id == -1 else unit_id,
            resident_id=resident_id,
            owner_agent_id=self.agent.id,
            now=opened,
        )
        order.technician_id = self.tech.id
        order.team_id = self.team.id
        for name, value in columns.items():
            setattr(order, name, value)
        self.session.flush()
        return order

    def completed(self, *args: object, at: dt.datetime = NOW, **kw: object) -> WorkOrder:
        """An order completed at ``at`` through the work-order flow (which schedules)."""
        order = self.order(*args, **kw)  # type: ignore[arg-type]
        complete(self.session, order, agent_id=self.agent.id, now=at)
        return order

    def jobs(self, order: WorkOrder | None = None) -> list[OutboundJob]:
        query = select(OutboundJob).order_by(OutboundJob.id)
        if order is not None:
            query = query.where(OutboundJob.work_order_id == order.id)
        return list(self.session.scalars(query))

    def tasks(self) -> list[FollowUpTask]:
        return list(self.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id)))
