"""A placed outbound call to answer: a completed leak repair, its survey job, attempt 1."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import (
    Agent,
    Call,
    CallEvent,
    Category,
    Community,
    Resident,
    ResidentRole,
    Unit,
    create_work_order,
)
from models.outbound import (
    FollowUpTask,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    SurveyResponse,
)
from models.work_order_flow import OrderDetails, complete, open_work_order
from models.work_orders import Status
from tests import factories

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
DONE = dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC)  # 20 November, 14:30 local
RESIDENT = "+8613800138000"
DONE_TODAY = NOW  # a repair completed now: its survey is due at once


@dataclasses.dataclass(frozen=True)
class Placed:
    """The ids of what one placed call is about."""

    job: int
    attempt: int
    order: int | None
    resident: int
    community: int

    @property
    def correlation_id(self) -> str:
        return f"attempt-{self.attempt}"


def placed_call(
    engine: Engine,
    *,
    purpose: JobPurpose = JobPurpose.SURVEY,
    language: str = "zh-CN",
    payload: dict[str, Any] | None = None,
    seq: int = 1,
    max_attempts: int = 3,
) -> Placed:
    """A job being called (claimed, attempt ``seq`` placed), as the dialer leaves it."""
    with Session(engine) as s:
        c, u, r = _household(s)
        order_id = None
        if purpose is JobPurpose.SURVEY:
            order = create_work_order(
                s, community=c, category=Category.REPAIR, subcategory="leak", unit_id=u.id,
                resident_id=r.id, now=DONE - dt.timedelta(days=1),
            )  # fmt: skip
            order.status, order.completed_at = Status.COMPLETED, DONE
            order_id = order.id
        job = OutboundJob(
            purpose=purpose,
            reason="test",
            community_id=c.id,
            work_order_id=order_id,
            resident_id=r.id,
            unit_id=u.id,
            number=RESIDENT,
            language=language,
            payload=payload or {},
            status=JobStatus.CALLING,
            due_from=NOW - dt.timedelta(hours=1),
            due_by=NOW + dt.timedelta(days=2),
            next_attempt_at=NOW,
            attempts=seq,
            max_attempts=max_attempts,
            claimed_by="dialer-test",
            claimed_until=NOW + dt.timedelta(minutes=10),
        )
        s.add(job)
        s.flush()
        attempt = OutboundAttempt(job_id=job.id, seq=seq, dialer="dialer-test", placed_at=NOW)
        s.add(attempt)
        s.commit()
        return Placed(job.id, attempt.id, order_id, r.id, c.id)


def _household(s: Session) -> tuple[Community, Unit, Resident]:
    """阳光花园 (calling all day), 3栋2单元1502 and its owner: made once, then found."""
    c = s.scalars(select(Community).where(Community.code == "SH01")).one_or_none()
    if c is not None:
        r = s.scalars(select(Resident).where(Resident.name == "王建国")).one()
        u = s.scalars(select(Unit).where(Unit.room == "1502")).one()
        return c, u, r
    c = factories.community(s, calling_from=dt.time(0, 0), calling_until=dt.time(23, 59))
    u = factories.unit(s, c, "3", "1502", entrance="2")
    r = factories.resident(s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[(RESIDENT, True)])
    return c, u, r


def job_of(engine: Engine, placed: Placed) -> OutboundJob:
    with Session(engine) as s:
        return s.get_one(OutboundJob, placed.job)


def attempt_of(engine: Engine, placed: Placed) -> OutboundAttempt:
    with Session(engine) as s:
        return s.get_one(OutboundAttempt, placed.attempt)


def response_of(engine: Engine, placed: Placed) -> SurveyResponse | None:
    with Session(engine) as s:
        return s.scalars(
            select(SurveyResponse).where(SurveyResponse.attempt_id == placed.attempt)
        ).one_or_none()


def call_of(engine: Engine, placed: Placed) -> Call:
    with Session(engine) as s:
        attempt = s.get_one(OutboundAttempt, placed.attempt)
        assert attempt.call_id is not None, "no call row linked from the attempt"
        return s.get_one(Call, attempt.call_id)


def event_kinds(engine: Engine, placed: Placed) -> list[str]:
    call = call_of(engine, placed)
    with Session(engine) as s:
        rows = s.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
        return list(rows)


def tasks(engine: Engine) -> list[FollowUpTask]:
    with Session(engine) as s:
        return list(s.scalars(select(FollowUpTask).order_by(FollowUpTask.id)))


def completed_repair(engine: Engine, *, language: str = "zh-CN") -> int:
    """A door-lock repair for 王建国's flat, opened, dispatched and completed by an agent."""
    with Session(engine) as s:
        community = factories.community(s)  # calling hours: the default 09:00–20:00
        unit = factories.unit(s, community, "3", "1502", entrance="2")
        resident = factories.resident(
            s, "王建国", units=[(unit, ResidentRole.OWNER)], phones=[(RESIDENT, True)]
        )
        resident.language = language
        agent = Agent(login="li", name="李娜", password_hash="-", communities=[community])
        s.add(agent)
        s.flush()
        details = OrderDetails(
            Category.REPAIR, "doors_locks", "入户门锁打不开", unit.id, resident.id
        )
        order = open_work_order(
            s, community, details, agent_id=agent.id, now=DONE_TODAY - dt.timedelta(hours=5)
        )
        order.status = Status.DISPATCHED  # the work's own steps are not what is tested here
        complete(s, order, agent_id=agent.id, now=DONE_TODAY)
        s.commit()
        return order.id
