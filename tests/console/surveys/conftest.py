"""Survey rows built by hand on the work-order pages' estate (``places``).

阳光花园 (SH01): 李明's repair order, completed by 李师傅, with a survey the dialer gave
up on (three unanswered attempts: a manual callback task, ``manual``), a second job still
scheduled, and an earlier survey answered with a low attitude score (a supervisor's
follow-up, overdue). 翠湖苑 (SH02): a manual callback of its own order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Agent, Community, WorkOrder
from models.base import utcnow
from models.outbound import (
    AttemptOutcome,
    FollowUpTask,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    SurveyResponse,
    TaskKind,
)
from models.work_orders import Status
from tests.console.work_orders.conftest import Places, as_agent, open_order, places  # noqa: F401

NOW = utcnow()
HOUR = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Surveyed:
    """Ids of the survey rows."""

    order: int
    manual_job: int
    scheduled_job: int
    answered_job: int
    manual_task: int
    supervisor_task: int
    response: int
    sh02_job: int
    sh02_task: int


def job(s: Session, community_id: int, status: JobStatus, **kw: object) -> OutboundJob:
    fields: dict[str, object] = {
        "purpose": JobPurpose.SURVEY,
        "reason": "repair",
        "number": "+8613800138000",
        "due_from": NOW - 24 * HOUR,
        "due_by": NOW + 24 * HOUR,
        "next_attempt_at": NOW + HOUR,
    } | kw
    row = OutboundJob(community_id=community_id, status=status, **fields)
    s.add(row)
    s.flush()
    return row


def attempts(s: Session, row: OutboundJob, *outcomes: AttemptOutcome) -> None:
    for seq, outcome in enumerate(outcomes, 1):
        s.add(OutboundAttempt(job_id=row.id, seq=seq, dialer="test", outcome=outcome))
    row.attempts = len(outcomes)
    s.flush()


def task(s: Session, row: OutboundJob | None, kind: TaskKind, due: dt.datetime,
         **kw: object) -> FollowUpTask:  # fmt: skip
    found = FollowUpTask(
        kind=kind,
        community_id=row.community_id if row else kw.pop("community_id"),
        job_id=row.id if row else None,
        work_order_id=row.work_order_id if row else kw.pop("work_order_id", None),
        reason=str(kw.pop("reason", "test")),
        due_at=due,
        **kw,
    )
    s.add(found)
    s.flush()
    return found


@pytest.fixture
def surveyed(engine: Engine, places: Places) -> Surveyed:  # noqa: F811
    order_id = open_order(engine, places.sh01, "agent1", unit_id=places.unit,
                          resident_id=places.resident)  # fmt: skip
    with Session(engine) as s:
        order = s.get_one(WorkOrder, order_id)
        order.status, order.technician_id, order.team_id = (
            Status.COMPLETED, places.technician, places.plumbers)  # fmt: skip
        order.completed_at = NOW - 48 * HOUR
        ties = {"work_order_id": order_id, "resident_id": places.resident, "unit_id": places.unit}
        manual = job(s, places.sh01, JobStatus.MANUAL, **ties)
        attempts(s, manual, *[AttemptOutcome.NO_ANSWER] * 3)
        scheduled = job(s, places.sh01, JobStatus.SCHEDULED, **ties | {"reason": "rework"})
        answered = job(s, places.sh01, JobStatus.COMPLETED, **ties | {"reason": "complaint"})
        attempts(s, answered, AttemptOutcome.COMPLETED)
        first = s.scalars(select(OutboundAttempt).where(OutboundAttempt.job_id == answered.id))
        response = SurveyResponse(
            job_id=answered.id, attempt_id=first.one().id, work_order_id=order_id,
            technician_id=places.technician, timeliness=4, skill=5, attitude=2, solved=True,
            comment="师傅态度不好", complete=True, answered_at=NOW - 3 * HOUR,
        )  # fmt: skip
        s.add(response)
        s.flush()
        manual_task = task(s, manual, TaskKind.MANUAL_CALLBACK, NOW + 2 * HOUR,
                           reason="3 attempts unanswered")  # fmt: skip
        follow_up = task(s, answered, TaskKind.SUPERVISOR_FOLLOW_UP, NOW - HOUR,
                         reason="attitude 2", response_id=response.id)  # fmt: skip
        sh02 = job(s, places.sh02, JobStatus.MANUAL, work_order_id=places.sh02_order,
                   number="+8613912340000")  # fmt: skip
        sh02_task = task(s, sh02, TaskKind.MANUAL_CALLBACK, NOW + HOUR)
        s.commit()
        return Surveyed(order_id, manual.id, scheduled.id, answered.id, manual_task.id,
                        follow_up.id, response.id, sh02.id, sh02_task.id)  # fmt: skip


def as_agent_in(client: FlaskClient, login: str, language: str = "en") -> str:
    """Log ``login`` in, their browser asking for ``language``; a CSRF token."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return as_agent(client, login)


def agent_id(engine: Engine, login: str) -> int:
    with Session(engine) as s:
        return s.scalars(select(Agent.id).where(Agent.login == login)).one()


def community(engine: Engine, code: str) -> int:
    with Session(engine) as s:
        return s.scalars(select(Community.id).where(Community.code == code)).one()


def fetch(engine: Engine, kind: type, row_id: int) -> object:
    with Session(engine, expire_on_commit=False) as s:
        return s.get_one(kind, row_id)


__all__ = ["Places", "Surveyed", "as_agent", "as_agent_in", "places"]
