"""Test helpers of on-call escalation: an estate with a rota, and emergencies opened in it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models import Agent, AgentRole, ResidentRole, Team, Technician
from models.oncall import OnCallRotation, OnCallShift, OnCallStep
from models.work_order_flow import OrderDetails, open_work_order
from models.work_orders import Category, WorkOrder
from tests import factories

# Wednesday 2 December 2026, 03:00 in Shanghai (19:00 UTC the day before): after hours.
NOW = dt.datetime(2026, 12, 1, 19, 0, tzinfo=dt.UTC)
FIRST, BACKUP, SUPERVISOR = "+8613900000001", "+8613900000002", "+8613900000009"
RESIDENT = "+8613800138000"


def estate(session: Session, *, tries: int = 2, retry: int = 120) -> dict[str, int]:
    """A community with a plumbing rota (first, one backup, a supervisor) covering ``NOW``,
    a unit with its resident, and an agent; committed. Their ids by name."""
    place = factories.community(session)
    unit = factories.unit(session, place, "3", "1502", entrance="2")
    resident = factories.resident(
        session, "王芳", units=[(unit, ResidentRole.OWNER)], phones=[(RESIDENT, True)]
    )
    team = Team(community_id=place.id, name="工程部", trade="plumbing")
    session.add(team)
    session.flush()
    first = Technician(team_id=team.id, name="李师傅", phone=FIRST)
    backup = Technician(team_id=team.id, name="张师傅", phone=BACKUP)
    agent = Agent(login="agent1", name="客服一", role=AgentRole.AGENT, password_hash="x")
    session.add_all([first, backup, agent])
    session.flush()
    rotation = OnCallRotation(
        community_id=place.id,
        trade="plumbing",
        retry_seconds=retry,
        tries_per_person=tries,
        supervisor_name="陈主管",
        supervisor_phone=SUPERVISOR,
    )
    session.add(rotation)
    session.flush()
    shift = OnCallShift(
        rotation_id=rotation.id,
        starts_at=NOW - dt.timedelta(hours=8),
        ends_at=NOW + dt.timedelta(hours=8),
    )
    session.add(shift)
    session.flush()
    session.add_all(
        [
            OnCallStep(shift_id=shift.id, position=1, technician_id=first.id),
            OnCallStep(shift_id=shift.id, position=2, technician_id=backup.id),
        ]
    )
    session.commit()
    return {
        "community": place.id,
        "unit": unit.id,
        "resident": resident.id,
        "first": first.id,
        "backup": backup.id,
        "agent": agent.id,
        "rotation": rotation.id,
    }


def emergency(
    session: Session,
    ids: dict[str, int],
    *,
    subcategory: str = "burst_pipe",
    now: dt.datetime = NOW,
) -> WorkOrder:
    """A burst pipe in the resident's unit, opened by the agent; committed."""
    from models import Community

    details = OrderDetails(
        category=Category.EMERGENCY,
        subcategory=subcategory,
        description="厨房水管爆裂",
        unit_id=ids["unit"],
        resident_id=ids["resident"],
    )
    community = session.get_one(Community, ids["community"])
    order = open_work_order(session, community, details, agent_id=ids["agent"], now=now)
    session.commit()
    return order
