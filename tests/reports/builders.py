"""Work orders taken through their real life (models.work_order_flow) and survey answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models import Community
from models.outbound import JobPurpose, OutboundJob, SurveyResponse
from models.work_order_flow import OrderDetails, complete, dispatch, open_work_order
from models.work_orders import Category, ComplaintType, Severity, Team, Technician, WorkOrder
from tests import factories


def complaint(
    s: Session,
    c: Community,
    agent: int,
    when: dt.datetime,
    *,
    unit_room: str | None = "101",
    subcategory: str = "service",
    severity: Severity = Severity.MINOR,
) -> WorkOrder:
    unit = _unit(s, c, unit_room) if unit_room else None
    details = OrderDetails(
        Category.COMPLAINT, subcategory, "态度差", unit_id=unit,
        severity=severity, complaint_type=ComplaintType.VALID,
    )  # fmt: skip
    return open_work_order(s, c, details, agent_id=agent, now=when)


def repair(s: Session, c: Community, agent: int, when: dt.datetime, room: str = "101") -> WorkOrder:
    details = OrderDetails(Category.REPAIR, "leak", "厨房漏水", unit_id=_unit(s, c, room))
    return open_work_order(s, c, details, agent_id=agent, now=when)


def _unit(s: Session, c: Community, room: str) -> int:
    from models import Building, Unit

    found = (
        s.query(Unit)
        .join(Building)
        .filter(Building.community_id == c.id, Building.name == "1", Unit.room == room)
        .one_or_none()
    )
    return found.id if found else factories.unit(s, c, "1", room).id


def technician(s: Session, c: Community, name: str) -> Technician:
    team = s.query(Team).filter_by(community_id=c.id).one_or_none()
    if team is None:
        team = Team(community_id=c.id, name="工程部", trade="plumbing")
        s.add(team)
        s.flush()
    tech = Technician(team_id=team.id, name=name)
    s.add(tech)
    s.flush()
    return tech


def finish(
    s: Session, order: WorkOrder, agent: int, when: dt.datetime, tech: Technician | None = None
) -> None:
    """Dispatch (when the order needs it) and complete at ``when``."""
    if tech is not None:
        dispatch(s, order, agent_id=agent, technician=tech, now=when - dt.timedelta(minutes=1))
    complete(s, order, agent_id=agent, now=when)


def answer(
    s: Session,
    order: WorkOrder,
    when: dt.datetime,
    scores: tuple[int | None, int | None, int | None],
    solved: bool | None = True,
    comment: str = "",
) -> SurveyResponse:
    job = OutboundJob(
        purpose=JobPurpose.SURVEY, reason=f"test-{when.timestamp()}-{order.id}",
        community_id=order.community_id, work_order_id=None, number="+8613800138000",
        due_from=when, due_by=when, next_attempt_at=when,
    )  # fmt: skip
    s.add(job)
    s.flush()
    response = SurveyResponse(
        job_id=job.id, work_order_id=order.id, technician_id=order.technician_id,
        timeliness=scores[0], skill=scores[1], attitude=scores[2], solved=solved,
        comment=comment, complete=True, answered_at=when,
    )  # fmt: skip
    s.add(response)
    s.flush()
    return response
