"""What an answered outbound call keeps, whichever adapter runs it (Twilio, Asterisk).

An outbound call is one :class:`~models.OutboundAttempt` of one job, found by the
correlation id the dialer gave the call (``attempt-<id>``). Once answered it gets a
:class:`~models.Call` row (direction outbound) linked from the attempt; the flow's
``LogEvent``\\ s become its call events, its answers go to the survey policy at once
(``record_answers``: a hang-up part-way keeps them) and its ``Close`` ends the attempt
(``after_attempt`` with COMPLETED, PARTIAL or OPTED_OUT).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.speech.transcripts import TRANSCRIBED, TranscriptionQueue
from ivr import flow
from ivr.dialer.claims import attempt_id_of
from ivr.flow.context import LANGUAGES, ZH
from ivr.flow.outbound import Emergency, OutboundContext, Subject
from ivr.flow.survey import subject_kind
from models import Call, CallEvent, utcnow
from models.calls import Direction
from models.estate import Community, PhoneNumber, Unit
from models.outbound import (
    AttemptOutcome,
    Campaign,
    FollowUpTask,
    JobPurpose,
    OutboundAttempt,
    OutboundJob,
    SurveyResponse,
    TaskKind,
)
from models.phones import caller_e164
from models.survey_policy import after_attempt, record_answers
from models.work_orders import WorkOrder

log = logging.getLogger(__name__)

COMMENT = "survey-comment"  # the comment's recording kind (audio.recordings, transcripts)
CALLBACK_DUE = dt.timedelta(hours=24)
# What Twilio's final statuses of an unanswered call mean for the attempt.
UNANSWERED = {
    "no-answer": AttemptOutcome.NO_ANSWER,
    "busy": AttemptOutcome.BUSY,
    "failed": AttemptOutcome.FAILED,
    "canceled": AttemptOutcome.FAILED,
}


def find(session: Session, correlation_id: str) -> tuple[OutboundAttempt, OutboundJob] | None:
    """The attempt and its job, locked for the webhook's transaction; None if unknown.

    The job's row is locked first, then the attempt's, as every writer of a job does (the
    dialer may be writing down the same call's placing while its first webhook arrives).
    """
    found = attempt_id_of(correlation_id)
    if found is None:
        return None
    job_id = session.scalar(select(OutboundAttempt.job_id).where(OutboundAttempt.id == found))
    if job_id is None:
        return None
    job = session.scalars(
        select(OutboundJob).where(OutboundJob.id == job_id).with_for_update()
    ).one()
    attempt = session.scalars(
        select(OutboundAttempt)
        .where(OutboundAttempt.id == found)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return attempt, job


def context(session: Session, attempt: OutboundAttempt, job: OutboundJob) -> OutboundContext:
    """What the flow may know about the call: the community, the work, the message."""
    community = session.get(Community, job.community_id)
    assert community is not None  # a foreign key
    payload = job.payload or {}
    campaign = session.get(Campaign, job.campaign_id) if job.campaign_id else None
    return OutboundContext(
        attempt_id=attempt.id,
        job_id=job.id,
        purpose=job.purpose.value,
        community=flow.Community(
            code=community.code, name=community.name, name_en=community.name_en
        ),
        language=job.language if job.language in LANGUAGES else ZH,
        subject=_subject(session, job, community),
        message=str(payload.get("message") or (campaign.message if campaign else "")),
        recording=str(payload.get("recording") or ""),
        amount=_amount(payload),
        due=str(payload.get("due") or payload.get("due_date") or ""),
        emergency=_emergency(session, job) if job.purpose is JobPurpose.ON_CALL else None,
        eta=str(payload.get("eta_minutes") or ""),
    )


def _emergency(session: Session, job: OutboundJob) -> Emergency | None:
    """What an on-call call reads out: the order's emergency, its unit, the callback number."""
    order = session.get(WorkOrder, job.work_order_id) if job.work_order_id else None
    if order is None:
        return None
    call = session.get(Call, order.call_id) if order.call_id else None
    callback = call.caller_e164 if call is not None and call.caller_e164 else ""
    if not callback and order.resident_id is not None:
        callback = (
            session.scalar(
                select(PhoneNumber.e164)
                .where(PhoneNumber.resident_id == order.resident_id)
                .order_by(PhoneNumber.is_primary.desc(), PhoneNumber.id)
                .limit(1)
            )
            or ""
        )
    unit = session.get(Unit, order.unit_id) if order.unit_id else None
    return Emergency(
        kind=order.subcategory,
        address=unit.address if unit is not None else "",
        callback=callback,
        work_order=order.number,
    )


def _amount(payload: dict[str, object]) -> str:
    """What is owed, in yuan: ``amount`` as written, or ``amount_cents`` (the console's)."""
    cents = payload.get("amount_cents")
    if isinstance(cents, int) and not isinstance(cents, bool) and cents > 0:
        return f"{cents // 100}.{cents % 100:02d}"
    return str(payload.get("amount") or "")


def _subject(session: Session, job: OutboundJob, community: Community) -> Subject | None:
    """The work order a survey is about: its kind and the local day it was completed."""
    order = session.get(WorkOrder, job.work_order_id) if job.work_order_id else None
    if order is None:
        return None
    done = order.completed_at
    day = ""
    if done is not None:
        day = done.astimezone(ZoneInfo(community.timezone or "Asia/Shanghai")).date().isoformat()
    kind = subject_kind(order.category.value, order.subcategory)
    return Subject(kind=kind, day=day, work_order=order.number)


def open_call(
    session: Session,
    attempt: OutboundAttempt,
    job: OutboundJob,
    *,
    provider: str,
    provider_call_id: str,
    now: dt.datetime,
    region: str = "CN",
) -> Call:
    """The answered call's row (direction outbound), linked from the attempt; made once."""
    if attempt.call_id is not None:
        found = session.get(Call, attempt.call_id)
        if found is not None:
            return found
    call = Call(
        provider=provider,
        provider_call_id=provider_call_id[:64],
        direction=Direction.OUTBOUND,
        caller_number=job.number[:40],  # the party on the other end: the resident
        caller_e164=caller_e164(job.number, region),
        community_id=job.community_id,
        resident_id=job.resident_id,
        unit_id=job.unit_id,
        started_at=now,
        answered_at=now,
    )
    session.add(call)
    session.flush()
    attempt.call_id = call.id
    attempt.provider_call_id = provider_call_id[:64] or attempt.provider_call_id
    return call


def keep(
    session: Session,
    call: Call,
    attempt: OutboundAttempt,
    job: OutboundJob,
    actions: Iterable[flow.Action],
    *,
    now: dt.datetime,
) -> None:
    """The record of a step: its events, the answers so far, and how the call ended."""
    for action in actions:
        match action:
            case flow.LogEvent(kind=kind, data=data):
                session.add(CallEvent(call_id=call.id, at=now, kind=kind, data=data))
                _act_on(session, kind, data, attempt, job, now)
            case flow.Close(disposition=disposition, step=step):
                call.disposition, call.disposition_step = disposition, step
                call.ended_at = call.ended_at or now
                end(session, attempt, job, AttemptOutcome(disposition), now=now)


def _act_on(
    session: Session,
    kind: str,
    data: dict[str, object],
    attempt: OutboundAttempt,
    job: OutboundJob,
    now: dt.datetime,
) -> None:
    if kind == "survey.answers" and job.purpose is JobPurpose.SURVEY:
        solved = data.get("solved")
        record_answers(
            session,
            job,
            attempt,
            timeliness=_score(data.get("timeliness")),
            skill=_score(data.get("skill")),
            attitude=_score(data.get("attitude")),
            solved=solved if isinstance(solved, bool) else None,
            complete=data.get("complete") is True,
            now=now,
        )
    elif kind == "outbound.callback_requested":
        session.add(
            FollowUpTask(
                kind=TaskKind.MANUAL_CALLBACK,
                community_id=job.community_id,
                job_id=job.id,
                reason="asked on the call to be called back",
                due_at=now + CALLBACK_DUE,
                created_at=now,
            )
        )


def _score(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def end(
    session: Session,
    attempt: OutboundAttempt,
    job: OutboundJob,
    outcome: AttemptOutcome,
    *,
    now: dt.datetime,
) -> None:
    """How the attempt ended, for the policy to move the job on (once per attempt)."""
    if attempt.outcome is not AttemptOutcome.PLACED:
        return
    log.info("attempt %s of job %s ended: %s", attempt.id, job.id, outcome)
    after_attempt(session, job, attempt, outcome, now=now)


class CommentTranscription(TranscriptionQueue):
    """Transcribes recordings; a survey comment's text also becomes the response's comment."""

    def _transcribe(self, job: Any) -> None:
        super()._transcribe(job)
        if job.recording == COMMENT:
            with self.sessions() as session:
                copy_comment(session, job.call_id, now=utcnow())
                session.commit()


def copy_comment(session: Session, call_id: int, *, now: dt.datetime) -> SurveyResponse | None:
    """The call's transcribed comment, kept on its attempt's survey response."""
    notes = session.execute(
        select(CallEvent.note, CallEvent.data)
        .where(CallEvent.call_id == call_id, CallEvent.kind == TRANSCRIBED)
        .order_by(CallEvent.id.desc())
    )
    text = next((note for note, data in notes if (data or {}).get("recording") == COMMENT), "")
    attempt = session.scalars(
        select(OutboundAttempt).where(OutboundAttempt.call_id == call_id)
    ).first()
    job = session.get(OutboundJob, attempt.job_id) if attempt else None
    if not text.strip() or attempt is None or job is None or job.purpose is not JobPurpose.SURVEY:
        return None
    return record_answers(session, job, attempt, comment=text, now=now)
