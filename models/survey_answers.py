"""A survey's answers (回访记录) and what a dissatisfied one sets off: the supervisor's
second callback (客服主管第二次回访) and, when the problem is not solved, rework (返修)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.outbound import OutboundAttempt, OutboundJob, SurveyResponse, TaskKind
from models.survey_jobs import supervisor_task
from models.survey_rules import SurveySettings, active_settings, dissatisfied
from models.work_orders import Status, WorkOrder


def record_answers(
    session: Session,
    job: OutboundJob,
    attempt: OutboundAttempt | None,
    *,
    timeliness: int | None = None,
    skill: int | None = None,
    attitude: int | None = None,
    solved: bool | None = None,
    comment: str = "",
    complete: bool = False,
    now: dt.datetime,
    settings: SurveySettings | None = None,
) -> SurveyResponse:
    """Keep the answers ``attempt`` got so far (one response per attempt, updated as the
    answers come) and escalate a dissatisfied one. ``attempt`` None: answers a person took
    down on a call of their own, a new response each time.

    Any score ≤ 2 or ``solved`` False: a SUPERVISOR_FOLLOW_UP task due in 24 h (once per
    job); ``solved`` False also reopens the work order for rework (once per job).

    :raises ValueError: a score outside 1–5, or an attempt of another job.
    """
    if attempt is not None and attempt.job_id != job.id:
        raise ValueError(f"record_answers: attempt {attempt.id} is not of job {job.id}")
    for name, score in (("timeliness", timeliness), ("skill", skill), ("attitude", attitude)):
        if score is not None and not 1 <= score <= 5:
            raise ValueError(f"{name} must be 1-5, got {score}")
    response = _response_for(session, job, attempt, now)
    for name, value in (
        ("timeliness", timeliness),
        ("skill", skill),
        ("attitude", attitude),
        ("solved", solved),
    ):
        if value is not None:
            setattr(response, name, value)
    if comment.strip():
        response.comment = comment.strip()
    response.complete = response.complete or complete
    response.answered_at = now
    session.flush()
    _escalate(session, job, response, now, settings or active_settings())
    return response


def _response_for(
    session: Session, job: OutboundJob, attempt: OutboundAttempt | None, now: dt.datetime
) -> SurveyResponse:
    """The attempt's response so far; a person's call (no attempt): a new one each time."""
    response = None
    if attempt is not None:
        query = select(SurveyResponse).where(
            SurveyResponse.job_id == job.id, SurveyResponse.attempt_id == attempt.id
        )
        response = session.scalars(query).first()
    if response is None:
        order = session.get(WorkOrder, job.work_order_id) if job.work_order_id else None
        response = SurveyResponse(
            job_id=job.id,
            attempt_id=attempt.id if attempt is not None else None,
            work_order_id=job.work_order_id,
            technician_id=order.technician_id if order is not None else None,
            comment="",
            complete=False,
            answered_at=now,
        )
        session.add(response)
    return response


def _escalate(
    session: Session,
    job: OutboundJob,
    response: SurveyResponse,
    now: dt.datetime,
    rules: SurveySettings,
) -> None:
    """The supervisor's second callback (客服主管第二次回访) and the rework (返修)."""
    found = dissatisfied(response)
    if not found:
        return
    task = supervisor_task(
        session,
        TaskKind.SUPERVISOR_FOLLOW_UP,
        community_id=job.community_id,
        work_order_id=job.work_order_id,
        job_id=job.id,
        reason=", ".join(found),
        due_at=now + rules.follow_up_due,
        now=now,
        key="dissatisfied",
    )
    if task.response_id is None:
        task.response_id = response.id
    if response.solved is False and not (job.payload or {}).get("reopened"):
        _reopen(session, job, now)


def _reopen(session: Session, job: OutboundJob, now: dt.datetime) -> None:
    """Send the survey's work order back for rework, once per job."""
    from models import work_order_flow

    order = session.get(WorkOrder, job.work_order_id) if job.work_order_id else None
    job.payload = {**(job.payload or {}), "reopened": True}
    if order is not None and order.status in (Status.COMPLETED, Status.CLOSED):
        work_order_flow.reopen(
            session, order, agent_id=None, note="callback survey: not solved (返修)", now=now
        )
    session.flush()
