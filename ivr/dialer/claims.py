"""The atomic claim of due jobs, and the sweep of claims whose dialer died.

A claim is one short transaction, committed BEFORE any call is placed:

1. On PostgreSQL, ``pg_advisory_xact_lock`` serialises the claims of every dialer
   for the few milliseconds they take, so the bound on calls in progress (counted
   from the database: attempts still ``placed``) holds across machines. On SQLite
   every write transaction is ``BEGIN IMMEDIATE`` (models.db): the same effect.
   In the same transaction the emergencies the IVR took after hours become work
   orders (:mod:`ivr.dialer.emergencies`): their ladders' first calls are claimed at once.
2. Due jobs are read ``FOR UPDATE OF outbound_jobs SKIP LOCKED``: a job another
   writer holds (a webhook recording an outcome) is passed over, not waited for.
3. Each job outside its community's calling hours is moved to the hours' next
   opening; a resident who may not be called ends the job as ``opted_out``.
4. Each job claimed becomes ``calling`` with ``claimed_by``/``claimed_until``, its
   ``attempts`` goes up by one and an :class:`~models.outbound.OutboundAttempt` is
   inserted with the next ``seq``; ``(job_id, seq)`` is unique, so even a second
   claim that slipped through could not insert the same attempt.

Only the dialer whose transaction inserted attempt *n* ever places it, and it
places it once: nothing anywhere places an attempt that already exists.

The sweep (:func:`sweep_lapsed`): a job still ``calling`` after ``claimed_until``
lost its dialer (killed, machine gone) or its call's outcome (a status callback that
never came). If the attempt has no ``provider_call_id`` the dialer died between the
claim and the record of the placement: the call may or may not have been placed.
Placing that attempt again could call the resident twice for one attempt, so it is
never placed again: it ends ``failed`` (lost) and the job goes to
:func:`models.survey_policy.after_attempt`, which schedules the next attempt after
the usual spacing (or, attempts used up, a manual callback). A lost attempt that was
in fact placed still reports through its correlation id (``attempt-<id>``), and a
survey the resident completed on it completes the job before the next attempt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TypeVar

from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.orm import Session

from ivr.dialer.emergencies import open_after_hours
from models import Community, Resident
from models.escalation import ACCEPTED_NOTICE, is_urgent
from models.outbound import (
    AttemptOutcome,
    Campaign,
    CampaignStatus,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
)
from models.survey_policy import after_attempt, calling_window, may_call

log = logging.getLogger(__name__)

_Row = TypeVar("_Row", Community, Resident)
CLAIM_LOCK = 0x686F746C696E65  # "hotline": the advisory lock every dialer's claim takes


@dataclasses.dataclass(frozen=True)
class Claim:
    """One attempt a dialer has claimed and committed, and must now place (once)."""

    job_id: int
    attempt_id: int
    seq: int
    purpose: JobPurpose
    number: str
    language: str
    dialer: str

    @property
    def correlation_id(self) -> str:
        """What travels with the call's webhooks (``correlation_id``) to find the attempt."""
        return f"attempt-{self.attempt_id}"


def attempt_id_of(correlation_id: str) -> int | None:
    """The attempt's id in ``attempt-<id>`` (:attr:`Claim.correlation_id`); None for another
    kind of correlation id."""
    prefix, _, number = correlation_id.strip().partition("-")
    return int(number) if prefix == "attempt" and number.isdigit() and number.isascii() else None


def in_progress(session: Session) -> int:
    """Attempts claimed or placed whose outcome is not known: the calls in progress."""
    count = session.scalar(
        select(func.count(OutboundAttempt.id)).where(
            OutboundAttempt.outcome == AttemptOutcome.PLACED
        )
    )
    return int(count or 0)


URGENT_FIRST = case(
    (OutboundJob.purpose == JobPurpose.ON_CALL, 0),
    (OutboundJob.reason == ACCEPTED_NOTICE, 1),
    else_=2,
)


def due_jobs(now: dt.datetime, limit: int) -> Select[OutboundJob]:
    """Scheduled jobs due now (a campaign's only while it runs), locked: an emergency's
    calls first (the on-call ladder, then the resident's notice), then earliest first."""
    return (
        select(OutboundJob)
        .outerjoin(Campaign, Campaign.id == OutboundJob.campaign_id)
        .where(
            OutboundJob.status == JobStatus.SCHEDULED,
            OutboundJob.next_attempt_at <= now,
            OutboundJob.due_from <= now,
            OutboundJob.attempts < OutboundJob.max_attempts,
            or_(OutboundJob.campaign_id.is_(None), Campaign.status == CampaignStatus.RUNNING),
        )
        .order_by(URGENT_FIRST, OutboundJob.next_attempt_at, OutboundJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundJob)
    )


def claim(
    session: Session, dialer: str, *, now: dt.datetime, max_calls: int, batch: int, lease: float
) -> list[Claim]:
    """Claim up to ``batch`` due jobs (fewer if ``max_calls`` are in progress), committed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    open_after_hours(session, now=now)  # their ladders' first calls are due in this claim
    room = min(batch, max_calls - in_progress(session))
    taken: list[tuple[OutboundJob, OutboundAttempt]] = []
    if room > 0:
        jobs = session.scalars(due_jobs(now, room * 2)).all()
        places = _by_id(session, Community, {j.community_id for j in jobs})
        people = _by_id(session, Resident, {j.resident_id for j in jobs if j.resident_id})
        with session.no_autoflush:  # one UPDATE and one INSERT for the round, not one a job
            for job in jobs:
                place, who = places[job.community_id], people.get(job.resident_id or 0)
                if len(taken) < room and _callable(job, place, who, now):
                    taken.append((job, _take(job, dialer, now=now, lease=lease)))
                    session.add(taken[-1][1])
    session.flush()  # the attempts' ids, in one INSERT … RETURNING where the database can
    claims = [
        Claim(job.id, attempt.id, attempt.seq, job.purpose, job.number, job.language, dialer)
        for job, attempt in taken
    ]
    session.commit()
    return claims


def _by_id(session: Session, model: type[_Row], ids: set[int]) -> dict[int, _Row]:
    """Rows of ``model`` by id, in one SELECT."""
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _callable(
    job: OutboundJob, community: Community, resident: Resident | None, now: dt.datetime
) -> bool:
    """Inside calling hours and allowed to call; otherwise the job is moved on.

    An emergency's calls (the on-call ladder, the resident's notice) are made at any hour.
    """
    if is_urgent(job):
        return True
    try:
        opens = calling_window(community, now)
    except ValueError as exc:  # no calling hours at all: a person must look
        log.error("job %s: %s; not called", job.id, exc)
        job.next_attempt_at = now + dt.timedelta(days=1)
        return False
    if opens > now:
        job.next_attempt_at = opens  # 免打扰: not before the hours open again
        return False
    if not may_call(resident, job.purpose):
        job.status = JobStatus.OPTED_OUT
        log.info("job %s: the resident may not be called (%s); opted out", job.id, job.purpose)
        return False
    return True


def _take(job: OutboundJob, dialer: str, *, now: dt.datetime, lease: float) -> OutboundAttempt:
    seq = job.attempts + 1  # (job_id, seq) unique: a second claim could not insert it
    job.status = JobStatus.CALLING
    job.claimed_by = dialer
    job.claimed_until = now + dt.timedelta(seconds=lease)
    job.attempts += 1
    job.updated_at = now
    return OutboundAttempt(job_id=job.id, seq=seq, dialer=dialer, created_at=now)


def record_placed(
    session: Session, found: Claim, provider_call_id: str, *, now: dt.datetime, lease: float
) -> None:
    """The provider took the call: its id, when, and the claim held for the call's length.

    The job's row first, as every writer of a job locks it: the provider may already be
    reporting the call's end (:func:`end_attempt`) on another thread.
    """
    session.execute(
        update(OutboundJob)
        .where(
            OutboundJob.id == found.job_id,
            OutboundJob.status == JobStatus.CALLING,
            OutboundJob.claimed_by == found.dialer,
        )
        .values(claimed_until=now + dt.timedelta(seconds=lease))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboundAttempt)
        .where(OutboundAttempt.id == found.attempt_id)
        .values(provider_call_id=provider_call_id, placed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def release(session: Session, found: Claim, *, now: dt.datetime, retry: float) -> bool:
    """Undo a claim whose call was never handed to a provider (the provider is down, the
    dialer is stopping): the attempt row goes, the job is due again after ``retry`` s.

    Only the dialer that inserted the attempt may release it, and only before asking the
    provider: the attempt never reached anyone, so its ``seq`` may be claimed again.
    """
    attempt = session.get(OutboundAttempt, found.attempt_id)
    job = session.get_one(OutboundJob, found.job_id, with_for_update=True)
    mine = job.status is JobStatus.CALLING and job.claimed_by == found.dialer
    if attempt is None or attempt.outcome is not AttemptOutcome.PLACED or not mine:
        session.rollback()
        return False
    session.delete(attempt)
    job.attempts -= 1
    job.status = JobStatus.SCHEDULED
    job.claimed_by = job.claimed_until = None
    job.next_attempt_at = now + dt.timedelta(seconds=retry)
    job.updated_at = now
    session.commit()
    return True


def end_attempt(
    session: Session, attempt_id: int, outcome: AttemptOutcome, *, now: dt.datetime
) -> bool:
    """Hand an attempt's outcome to the policy (refused, busy, no answer …), committed.

    False when the attempt had already ended (the policy is idempotent per attempt).
    """
    job_id = session.scalar(select(OutboundAttempt.job_id).where(OutboundAttempt.id == attempt_id))
    if job_id is None:
        session.rollback()
        return False
    # The job's row lock first (as every writer of a job takes it), then the attempt as it
    # is now: a second report of the same ending waits here and then finds it ended.
    job = session.get_one(OutboundJob, job_id, with_for_update=True)
    attempt = session.get_one(OutboundAttempt, attempt_id, populate_existing=True)
    if attempt.outcome is not AttemptOutcome.PLACED:
        session.rollback()
        return False
    after_attempt(session, job, attempt, outcome, now=now)
    session.commit()
    return True


def sweep_lapsed(session: Session, *, now: dt.datetime, limit: int = 100) -> list[int]:
    """Jobs ``calling`` past ``claimed_until``: their open attempt ends ``failed`` (never
    placed again) and the policy moves the job on; the ids of the jobs swept, committed."""
    jobs = session.scalars(
        select(OutboundJob)
        .where(OutboundJob.status == JobStatus.CALLING, OutboundJob.claimed_until < now)
        .order_by(OutboundJob.claimed_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for job in jobs:
        attempt = session.scalars(
            select(OutboundAttempt)
            .where(OutboundAttempt.job_id == job.id)
            .order_by(OutboundAttempt.seq.desc())
            .limit(1)
        ).first()
        if attempt is None or attempt.outcome is not AttemptOutcome.PLACED:
            outcome = attempt.outcome if attempt else None
            log.warning("job %s: calling with no open attempt (%s); rescheduled", job.id, outcome)
            job.status, job.claimed_by, job.claimed_until = JobStatus.SCHEDULED, None, None
            continue
        placed = "placed, no outcome came" if attempt.provider_call_id else "maybe placed: lost"
        log.warning("job %s attempt %s of %s: %s", job.id, attempt.seq, job.claimed_by, placed)
        after_attempt(session, job, attempt, AttemptOutcome.FAILED, now=now)
    session.commit()
    return [job.id for job in jobs]
