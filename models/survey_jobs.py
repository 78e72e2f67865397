"""Making survey jobs and follow-up tasks: shared by scheduling and home-service sampling.

A new survey job is SCHEDULED at its first calling moment; with no number to call it is
MANUAL at once with a MANUAL_CALLBACK task (the callback rate target is 100%); for a
resident who asked not to be called or surveyed it is OPTED_OUT (kept, never called).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.estate import Community
from models.outbound import (
    FollowUpTask,
    JobPurpose,
    JobStatus,
    OutboundJob,
    TaskKind,
)
from models.survey_rules import (
    CHUNK,
    Contact,
    SurveySettings,
    calling_window,
    contacts_for,
    may_call,
)
from models.work_orders import WorkOrder


@dataclasses.dataclass(frozen=True)
class Wanted:
    """A survey a rule asks for: about which order, why (the rule), in which window."""

    order: WorkOrder
    reason: str
    due_from: dt.datetime
    due_by: dt.datetime
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)


def make_survey_jobs(
    session: Session, wanted: Sequence[Wanted], *, now: dt.datetime, rules: SurveySettings
) -> list[OutboundJob]:
    """A survey job for each of ``wanted`` (the one made before, when a rule made it
    already: scheduling twice changes nothing); flushed, in the order of ``wanted``."""
    jobs = _existing(session, [w.order.id for w in wanted])
    fresh = {(w.order.id, w.reason): w for w in wanted if (w.order.id, w.reason) not in jobs}
    contacts = contacts_for(session, [w.order for w in fresh.values()])
    problems: dict[tuple[int, str], str] = {}
    for key, want in fresh.items():
        job, problem = _new_job(want, contacts[want.order.id], now, rules)
        session.add(job)
        jobs[key] = job
        if problem:
            problems[key] = problem
    session.flush()
    for key, problem in problems.items():
        manual_task(session, jobs[key], problem, now=now)
    return [jobs[(w.order.id, w.reason)] for w in wanted]


def new_survey_job(
    session: Session,
    order: WorkOrder,
    *,
    reason: str,
    due_from: dt.datetime,
    due_by: dt.datetime,
    now: dt.datetime,
    rules: SurveySettings,
    payload: dict[str, Any] | None = None,
) -> OutboundJob:
    """One survey job about ``order`` (flushed), or the one ``reason`` made before."""
    want = Wanted(order, reason, due_from, due_by, payload or {})
    return make_survey_jobs(session, [want], now=now, rules=rules)[0]


def _existing(session: Session, order_ids: list[int]) -> dict[tuple[int, str], OutboundJob]:
    """The survey jobs already made for these orders, by (order id, reason)."""
    found: dict[tuple[int, str], OutboundJob] = {}
    ordered = sorted(set(order_ids))
    for low in range(0, len(ordered), CHUNK):
        query = select(OutboundJob).where(
            OutboundJob.work_order_id.in_(ordered[low : low + CHUNK]),
            OutboundJob.purpose == JobPurpose.SURVEY,
        )
        for job in session.scalars(query):
            found[(job.work_order_id or 0, job.reason)] = job
    return found


def _new_job(
    want: Wanted, contact: Contact, now: dt.datetime, rules: SurveySettings
) -> tuple[OutboundJob, str]:
    """The job ``want`` asks for, and what stops it being dialled ("" when nothing)."""
    order = want.order
    job = OutboundJob(
        purpose=JobPurpose.SURVEY,
        reason=want.reason,
        community_id=order.community_id,
        work_order_id=order.id,
        resident_id=contact.resident.id if contact.resident else None,
        unit_id=order.unit_id,
        number=contact.number,
        language=contact.language,
        payload=_order_payload(order) | want.payload,
        status=JobStatus.SCHEDULED,
        due_from=want.due_from,
        due_by=want.due_by,
        next_attempt_at=max(want.due_from, now),
        attempts=0,
        max_attempts=rules.max_attempts,
        created_at=now,
        updated_at=now,
    )
    problem = _first_call(order.community, job, rules)
    if not may_call(contact.resident, JobPurpose.SURVEY):
        job.status = JobStatus.OPTED_OUT
        problem = ""
    elif problem:
        job.status = JobStatus.MANUAL
    return job, problem


def _first_call(community: Community, job: OutboundJob, rules: SurveySettings) -> str:
    """Set the job's first calling moment; what stops it being dialled ("" when nothing)."""
    if not job.number:
        return "no number to call"
    try:
        job.next_attempt_at = calling_window(community, job.next_attempt_at, rules)
    except ValueError:
        return "no calling hours"
    return ""


def _order_payload(order: WorkOrder) -> dict[str, Any]:
    """What the survey call says about the order ("your leak repair on 20 November")."""
    done = order.completed_at
    return {
        "work_order": order.number,
        "category": str(order.category),
        "subcategory": order.subcategory,
        "completed_at": done.isoformat() if done else None,
        "technician_id": order.technician_id,
    }


def manual_task(
    session: Session, job: OutboundJob, reason: str, *, now: dt.datetime
) -> FollowUpTask:
    """The job's MANUAL_CALLBACK task for an agent (one per job), due by the job's deadline."""
    query = select(FollowUpTask).where(
        FollowUpTask.job_id == job.id, FollowUpTask.kind == TaskKind.MANUAL_CALLBACK
    )
    task = session.scalars(query).first()
    if task is None:
        task = FollowUpTask(
            kind=TaskKind.MANUAL_CALLBACK,
            community_id=job.community_id,
            job_id=job.id,
            work_order_id=job.work_order_id,
            reason=reason[:200],
            due_at=max(job.due_by, now),
            created_at=now,
        )
        session.add(task)
        session.flush()
    return task


def supervisor_task(
    session: Session,
    kind: TaskKind,
    *,
    community_id: int,
    work_order_id: int | None,
    job_id: int | None,
    reason: str,
    due_at: dt.datetime,
    now: dt.datetime,
    key: str,
) -> FollowUpTask:
    """A supervisor's task: one per job for a follow-up, one per order and ``key`` (the
    order's completion round) for a difficult issue's callback; ``reason`` is kept after
    the key."""
    query = select(FollowUpTask).where(FollowUpTask.kind == kind)
    if kind is TaskKind.SUPERVISOR_FOLLOW_UP:
        query = query.where(FollowUpTask.job_id == job_id)
    else:
        query = query.where(
            FollowUpTask.work_order_id == work_order_id,
            FollowUpTask.reason.startswith(f"{key}:", autoescape=True),
        )
    task = session.scalars(query).first()
    if task is None:
        task = FollowUpTask(
            kind=kind,
            community_id=community_id,
            job_id=job_id,
            work_order_id=work_order_id,
            reason=f"{key}: {reason}"[:200],
            due_at=due_at,
            created_at=now,
        )
        session.add(task)
        session.flush()
    return task
