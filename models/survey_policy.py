"""Callback survey policy (回访): which completed work gets a survey, by when, how the
attempts go on, and what a dissatisfied answer sets off.

Public functions (the dialer, the survey IVR and the console call them)::

    schedule_for_completed(session, order, *, now)      on completing a work order
    schedule_many(session, orders, *, now)              the same for a batch (catch-up)
    calling_window(community, when)                     first moment inside calling hours
    may_call(resident, purpose)                         do-not-call, survey opt-out
    after_attempt(session, job, attempt, outcome, *, now)   how an attempt ended
    record_answers(session, job, attempt, ..., now)     the answers, and their escalation
    sample_home_services(session, community, month, *, now, rng)   monthly sample
    expire_overdue(session, *, now)                     surveys past their deadline → people
    cancel_for_reopened(session, order, *, now)         work_order_flow.reopen calls it

Rules (defaults in :class:`~models.survey_rules.SurveySettings`, the domain rules):

- safety facilities (lifts, gas, electrical, fire, power outage): survey within 2 days of
  completion; leaks (repair ``leak``, emergency ``burst_pipe``/``flooding``): within 3 days
  after the water test (``WorkOrder.water_test_at``; counted from completion when none is
  recorded); other repairs and every emergency: 2 days; complaints: always, 2 days;
  inquiries: not surveyed (configurable); home services: by monthly sampling only.
- a difficult issue (``WorkOrder.difficult``): a SUPERVISOR_CALLBACK task due 24 h after
  completion, on top of the survey (a person calls, not the dialer).
- a reopened order cancels its surveys still waiting; completed again, it gets a new
  survey (reason suffixed ``/r<rework count>``): the rework is checked like the work.

All functions add to the session and flush; the caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.escalation import after_on_call, is_urgent
from models.estate import Community, Resident
from models.outbound import (
    AttemptOutcome,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    TaskKind,
)
from models.survey_answers import record_answers
from models.survey_jobs import Wanted, make_survey_jobs, manual_task, supervisor_task
from models.survey_rules import (
    SurveySettings,
    active_settings,
    calling_window,
    configure,
    dissatisfied,
    may_call,
    settings_from_config,
)
from models.survey_sampling import sample_home_services
from models.work_orders import Category, WorkOrder

__all__ = [
    "SurveySettings",
    "active_settings",
    "after_attempt",
    "calling_window",
    "cancel_for_reopened",
    "configure",
    "dissatisfied",
    "expire_overdue",
    "may_call",
    "record_answers",
    "sample_home_services",
    "schedule_for_completed",
    "schedule_many",
    "settings_from_config",
    "survey_plan",
]

# Safety facilities (安全设施): what fails dangerously. Decided here, documented above.
SAFETY = frozenset(
    {
        (Category.REPAIR, "lift"),
        (Category.REPAIR, "gas"),
        (Category.REPAIR, "electrical"),
        (Category.EMERGENCY, "gas"),
        (Category.EMERGENCY, "fire"),
        (Category.EMERGENCY, "lift_trapped"),
        (Category.EMERGENCY, "power_outage"),
    }
)
LEAKS = frozenset(
    {
        (Category.REPAIR, "leak"),
        (Category.EMERGENCY, "burst_pipe"),
        (Category.EMERGENCY, "flooding"),
    }
)
RETRY = frozenset(
    {
        AttemptOutcome.NO_ANSWER,
        AttemptOutcome.BUSY,
        AttemptOutcome.MACHINE,
        AttemptOutcome.FAILED,
        AttemptOutcome.PARTIAL,
    }
)
FINISHED = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.MANUAL,
        JobStatus.OPTED_OUT,
        JobStatus.CANCELLED,
        JobStatus.EXHAUSTED,
    }
)


@dataclasses.dataclass(frozen=True)
class Plan:
    """The survey a completed order gets: the rule's name and its window."""

    reason: str
    due_from: dt.datetime
    due_by: dt.datetime


def survey_plan(order: WorkOrder, done: dt.datetime, rules: SurveySettings) -> Plan | None:
    """The survey ``order`` completed at ``done`` gets by rule, or None (not surveyed now)."""
    kind = (order.category, order.subcategory)
    start = done
    if kind in LEAKS:
        start = max(done, order.water_test_at or done)
        rule, window = "leak", rules.leak_window
    elif kind in SAFETY:
        rule, window = "safety", rules.safety_window
    elif order.category in (Category.REPAIR, Category.EMERGENCY):
        rule, window = "repair", rules.repair_window
    elif order.category is Category.COMPLAINT:
        rule, window = "complaint", rules.complaint_window
    elif order.category is Category.INQUIRY and rules.inquiry_window is not None:
        rule, window = "inquiry", rules.inquiry_window
    else:
        return None  # home services: sampled monthly (sample_home_services)
    return Plan(_round(rule, order), start, start + window)


def _round(rule: str, order: WorkOrder) -> str:
    """The rule's reason for this completion of ``order`` (after rework: ``rule/r<n>``)."""
    return f"{rule}/r{order.rework_count}" if order.rework_count else rule


def schedule_for_completed(
    session: Session,
    order: WorkOrder,
    *,
    now: dt.datetime,
    settings: SurveySettings | None = None,
) -> list[OutboundJob]:
    """The survey jobs the rules give a just-completed ``order`` (idempotent; flushed).

    Also makes the SUPERVISOR_CALLBACK task of a difficult issue (due 24 h after
    completion). Returns the order's survey job for this completion, or [] when the
    rules survey it otherwise (home services) or not at all (inquiries, by default).
    """
    return schedule_many(session, [order], now=now, settings=settings)


def schedule_many(
    session: Session,
    orders: Sequence[WorkOrder],
    *,
    now: dt.datetime,
    settings: SurveySettings | None = None,
) -> list[OutboundJob]:
    """:func:`schedule_for_completed` for many completed orders at once (a catch-up after
    an import or an outage): a few queries per batch instead of a few per order."""
    rules = settings or active_settings()
    wanted = []
    for order in orders:
        plan = survey_plan(order, order.completed_at or now, rules)
        if plan is not None:
            wanted.append(Wanted(order, plan.reason, plan.due_from, plan.due_by))
    jobs = make_survey_jobs(session, wanted, now=now, rules=rules)
    job_of = {job.work_order_id: job.id for job in jobs}
    for order in orders:
        if order.difficult:
            supervisor_task(
                session,
                TaskKind.SUPERVISOR_CALLBACK,
                community_id=order.community_id,
                work_order_id=order.id,
                job_id=job_of.get(order.id),
                reason=f"supervisor calls back {order.number}",
                due_at=(order.completed_at or now) + rules.difficult_callback,
                now=now,
                key=_round("difficult", order),
            )
    return jobs


def cancel_for_reopened(session: Session, order: WorkOrder, *, now: dt.datetime) -> int:
    """Cancel ``order``'s survey jobs still waiting to be dialled (it is being reworked).

    A job a dialer holds (CALLING) finishes its call. Returns how many were cancelled.
    """
    result = session.execute(
        update(OutboundJob)
        .where(
            OutboundJob.work_order_id == order.id,
            OutboundJob.status == JobStatus.SCHEDULED,
        )
        .values(status=JobStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def expire_overdue(session: Session, *, now: dt.datetime, limit: int = 500) -> list[OutboundJob]:
    """Work-order surveys still waiting for a call past their deadline (the dialer was
    down, or calling hours left no room): each becomes MANUAL with a MANUAL_CALLBACK task,
    so that every survey is done by someone (callback rate target 100%). Flushed.

    Campaign jobs are left to their campaign. Returns the jobs handed to people.
    """
    query = (
        select(OutboundJob)
        .where(
            OutboundJob.status == JobStatus.SCHEDULED,
            OutboundJob.purpose == JobPurpose.SURVEY,
            OutboundJob.campaign_id.is_(None),
            OutboundJob.due_by < now,
        )
        .order_by(OutboundJob.due_by, OutboundJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    jobs = list(session.scalars(query))
    for job in jobs:
        job.updated_at = now
        _give_up(session, job, f"deadline passed after {job.attempts} attempt(s)", now)
    return jobs


def after_attempt(
    session: Session,
    job: OutboundJob,
    attempt: OutboundAttempt,
    outcome: AttemptOutcome,
    *,
    now: dt.datetime,
    settings: SurveySettings | None = None,
) -> None:
    """Record how ``attempt`` ended and move ``job`` on (idempotent for one attempt).

    COMPLETED: the job is completed. OPTED_OUT: the job is opted out and the resident's
    survey opt-out (do-not-call for other purposes) is set. Any other ending: a retry
    after the spacing, inside calling hours and before ``due_by``; else (attempts used up,
    deadline passed) the job is MANUAL with a MANUAL_CALLBACK task. The claim is cleared.

    :raises ValueError: ``outcome`` is PLACED, or the attempt is another job's.
    """
    if outcome is AttemptOutcome.PLACED or attempt.job_id != job.id:
        raise ValueError(f"after_attempt: {outcome} for attempt {attempt.id} of job {job.id}")
    if attempt.outcome is not AttemptOutcome.PLACED:
        return  # already recorded: a repeated report changes nothing
    attempt.outcome = outcome
    attempt.ended_at = now
    job.attempts = max(job.attempts, attempt.seq)
    job.claimed_by = None
    job.claimed_until = None
    job.updated_at = now
    if job.status in FINISHED:
        pass
    elif job.purpose is JobPurpose.ON_CALL:  # a rung of an emergency's ladder
        after_on_call(session, job, outcome, now=now)
    else:
        _move_on(session, job, outcome, now, settings or active_settings())
    session.flush()


def _move_on(
    session: Session,
    job: OutboundJob,
    outcome: AttemptOutcome,
    now: dt.datetime,
    rules: SurveySettings,
) -> None:
    """The job's next state after an attempt ended with ``outcome``."""
    if outcome is AttemptOutcome.COMPLETED:
        job.status = JobStatus.COMPLETED
        return
    if outcome is AttemptOutcome.OPTED_OUT:
        job.status = JobStatus.OPTED_OUT
        resident = session.get(Resident, job.resident_id) if job.resident_id else None
        if resident is not None and job.purpose is JobPurpose.SURVEY:
            resident.survey_opt_out = True
        elif resident is not None:
            resident.do_not_call = True
        return
    community = session.get(Community, job.community_id)
    assert community is not None  # a foreign key
    next_at = now + rules.retry_spacing
    if not is_urgent(job):  # an emergency's notice is not held to calling hours
        next_at = calling_window(community, next_at, rules)
    if job.attempts >= job.max_attempts:
        _give_up(session, job, f"{outcome}: {job.attempts} attempts, none completed", now)
    elif next_at > job.due_by:
        _give_up(session, job, f"{outcome}: no calling time left before the deadline", now)
    else:
        job.status = JobStatus.SCHEDULED
        job.next_attempt_at = next_at


def _give_up(session: Session, job: OutboundJob, reason: str, now: dt.datetime) -> None:
    """The dialer cannot do the job: a person calls back (MANUAL_CALLBACK task)."""
    job.status = JobStatus.MANUAL
    session.flush()
    manual_task(session, job, reason, now=now)
