"""On-call escalation (值班升级): an emergency's ladder called until someone accepts.

Public functions::

    ladder_for(session, community_id, trade, when)     who is called, in order, at ``when``
    start_escalation(session, order, *, now)            on opening an emergency work order
    after_on_call(session, job, outcome, *, now)        how a rung's call ended (after_attempt)
    stop_escalation(session, order, *, now)             staff on site or the work done
    take_events(session)                                what to publish once committed

Rules:

- the ladder is the shift's people covering the moment the order is opened (first,
  then the backups), then the rotation's supervisor; people with no phone are left
  out. No rotation for the trade: the supervisor alone; nobody at all: the
  escalation is ``exhausted`` at once (the agent sees it on the order).
- each rung is an on-call job tried ``tries_per_person`` times, ``retry_seconds``
  apart; no answer, voicemail, busy, a lost call or a decline all count as a try.
  When a rung's tries are used up the next rung is called at once.
- accepting (1 on the on-call call) stops the ladder, records who and when, and
  schedules a notice to the resident: help is on the way, expected in
  ``eta_minutes``. On-call calls and that notice ignore calling hours.

Functions add to the session and flush; the caller commits, then publishes
:func:`take_events` (``oncall.started``, ``oncall.accepted``, ``oncall.exhausted``,
``oncall.cancelled``). A ladder still calling when staff reach the site or the work is
completed stops.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from models.calls import Call
from models.oncall import (
    DEFAULT_TRADE,
    TRADES,
    Escalation,
    EscalationStatus,
    OnCallRotation,
    OnCallShift,
)
from models.outbound import AttemptOutcome, JobPurpose, JobStatus, OutboundJob
from models.work_order_catalogue import find
from models.work_orders import Category, Technician, WorkOrder

log = logging.getLogger(__name__)

EVENTS = "hotline.oncall_events"  # session.info key: events to publish after commit
ACCEPTED_NOTICE = "oncall/accepted"  # the reason of the resident's notice job
RUNG_REASON = "oncall/{rung}"
ETA_MINUTES = 10  # 09:00–22:00 staff reach the site within 10 minutes (domain rules)
NOTICE_ATTEMPTS = 3
STAFF_LANGUAGE = "zh-CN"


def is_urgent(job: OutboundJob) -> bool:
    """An on-call call or the notice after one: called at any hour."""
    return job.purpose is JobPurpose.ON_CALL or job.reason == ACCEPTED_NOTICE


def trade_for(order: WorkOrder) -> str:
    """The trade whose rota an emergency calls (plumbing for a burst pipe …)."""
    found = find(order.category, order.subcategory)
    return found.trade if found is not None and found.trade in TRADES else DEFAULT_TRADE


def current_shift(session: Session, rotation_id: int, when: dt.datetime) -> OnCallShift | None:
    """The rotation's shift covering ``when`` (the latest-starting one if they overlap)."""
    return session.scalars(
        select(OnCallShift)
        .where(
            OnCallShift.rotation_id == rotation_id,
            OnCallShift.starts_at <= when,
            OnCallShift.ends_at > when,
        )
        .order_by(OnCallShift.starts_at.desc(), OnCallShift.id.desc())
        .limit(1)
    ).first()


def ladder_for(
    session: Session, community_id: int, trade: str, when: dt.datetime
) -> tuple[OnCallRotation | None, list[dict[str, Any]]]:
    """The rotation and the people to call at ``when``: the shift's, then the supervisor."""
    rotation = session.scalars(
        select(OnCallRotation).where(
            OnCallRotation.community_id == community_id, OnCallRotation.trade == trade
        )
    ).first()
    if rotation is None:
        return None, []
    people: list[dict[str, Any]] = []
    shift = current_shift(session, rotation.id, when)
    for step in shift.steps if shift is not None else []:
        tech = session.get(Technician, step.technician_id)
        if tech is not None and tech.active and tech.phone:
            role = "first" if not people else "backup"
            people.append(
                {"name": tech.name, "phone": tech.phone, "technician_id": tech.id, "role": role}
            )
    if rotation.supervisor_phone:
        people.append(
            {
                "name": rotation.supervisor_name,
                "phone": rotation.supervisor_phone,
                "technician_id": None,
                "role": "supervisor",
            }
        )
    return rotation, people


def start_escalation(session: Session, order: WorkOrder, *, now: dt.datetime) -> Escalation | None:
    """The escalation of an emergency ``order`` (the one made before, if any); None for an
    order that is not an emergency. Its first rung's job is due at once. Flushed."""
    if order.category is not Category.EMERGENCY:
        return None
    found = session.scalars(select(Escalation).where(Escalation.work_order_id == order.id)).first()
    if found is not None:
        return found
    trade = trade_for(order)
    rotation, people = ladder_for(session, order.community_id, trade, now)
    escalation = Escalation(
        work_order_id=order.id,
        community_id=order.community_id,
        trade=trade,
        ladder=people,
        rung=0,
        retry_seconds=rotation.retry_seconds if rotation else 120,
        tries_per_person=max(1, rotation.tries_per_person) if rotation else 1,
        eta_minutes=ETA_MINUTES,
        status=EscalationStatus.CALLING if people else EscalationStatus.EXHAUSTED,
        created_at=now,
        updated_at=now,
    )
    session.add(escalation)
    session.flush()
    if people:
        _call_rung(session, escalation, now)
        _event(session, "oncall.started", escalation, order)
    else:
        _event(session, "oncall.exhausted", escalation, order)
    return escalation


def _call_rung(session: Session, escalation: Escalation, now: dt.datetime) -> OutboundJob:
    """The job that calls the escalation's current rung, due now."""
    person = escalation.ladder[escalation.rung]
    job = OutboundJob(
        purpose=JobPurpose.ON_CALL,
        reason=RUNG_REASON.format(rung=escalation.rung),
        community_id=escalation.community_id,
        work_order_id=escalation.work_order_id,
        number=str(person["phone"]),
        language=STAFF_LANGUAGE,
        payload={"escalation_id": escalation.id, "rung": escalation.rung, **person},
        status=JobStatus.SCHEDULED,
        due_from=now,
        due_by=now + dt.timedelta(days=1),
        next_attempt_at=now,
        attempts=0,
        max_attempts=escalation.tries_per_person,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def after_on_call(
    session: Session, job: OutboundJob, outcome: AttemptOutcome, *, now: dt.datetime
) -> None:
    """Move the ladder on after one call of rung ``job`` ended with ``outcome``.

    The caller holds the job's row lock (as every writer of a job does), and a ladder
    has one live rung at a time, so the escalation's row changes under that lock.
    """
    escalation = session.get(Escalation, int(job.payload.get("escalation_id") or 0))
    if escalation is None or escalation.status is not EscalationStatus.CALLING:
        job.status = JobStatus.CANCELLED  # stopped meanwhile (accepted, cancelled)
        return
    escalation.updated_at = now
    if outcome is AttemptOutcome.COMPLETED:
        job.status = JobStatus.COMPLETED
        _accepted(session, escalation, job, now)
    elif job.attempts < job.max_attempts:
        job.status = JobStatus.SCHEDULED
        job.next_attempt_at = now + dt.timedelta(seconds=escalation.retry_seconds)
    else:
        job.status = JobStatus.EXHAUSTED
        escalation.rung += 1
        if escalation.rung < len(escalation.ladder):
            _call_rung(session, escalation, now)
        else:
            escalation.status = EscalationStatus.EXHAUSTED
            order = session.get(WorkOrder, job.work_order_id)
            _event(session, "oncall.exhausted", escalation, order)


def stop_escalation(session: Session, order: WorkOrder, *, now: dt.datetime) -> bool:
    """The order no longer needs anyone called (staff on site, work done): its ladder
    still calling is cancelled, with its rung's job if it waits; a call in progress ends
    as it ends and calls no one after it. True when a ladder was stopped. Flushed."""
    if order.category is not Category.EMERGENCY:
        return False
    escalation = session.scalars(
        select(Escalation).where(Escalation.work_order_id == order.id).with_for_update()
    ).first()
    if escalation is None or escalation.status is not EscalationStatus.CALLING:
        return False
    escalation.status, escalation.updated_at = EscalationStatus.CANCELLED, now
    session.execute(
        update(OutboundJob)
        .where(
            OutboundJob.work_order_id == order.id,
            OutboundJob.purpose == JobPurpose.ON_CALL,
            OutboundJob.status == JobStatus.SCHEDULED,
        )
        .values(status=JobStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    _event(session, "oncall.cancelled", escalation, order)
    session.flush()
    return True


def _accepted(session: Session, escalation: Escalation, job: OutboundJob, now: dt.datetime) -> None:
    """Someone accepted: the ladder stops, who and when are kept, the resident is told."""
    person = escalation.ladder[int(job.payload.get("rung", escalation.rung))]
    escalation.status = EscalationStatus.ACCEPTED
    escalation.accepted_name = str(person.get("name") or "")[:100]
    escalation.accepted_technician_id = person.get("technician_id")
    escalation.accepted_at = now
    order = session.get_one(WorkOrder, escalation.work_order_id)
    notice_resident(session, escalation, order, now=now)
    _event(session, "oncall.accepted", escalation, order)


def notice_resident(
    session: Session, escalation: Escalation, order: WorkOrder, *, now: dt.datetime
) -> OutboundJob | None:
    """The notice to the resident that help is on the way (None: no number to call)."""
    from models.survey_rules import contacts_for  # survey_rules imports the outbound models

    number, language, resident_id = "", STAFF_LANGUAGE, order.resident_id
    call = session.get(Call, order.call_id) if order.call_id else None
    if call is not None and call.caller_e164:
        number = call.caller_e164
    contact = contacts_for(session, [order]).get(order.id)
    if contact is not None:
        language = contact.language or language
        if not number:
            number = contact.number
            resident_id = contact.resident.id if contact.resident else resident_id
    if not number:
        return None
    job = OutboundJob(
        purpose=JobPurpose.NOTICE,
        reason=ACCEPTED_NOTICE,
        community_id=order.community_id,
        work_order_id=order.id,
        resident_id=resident_id,
        unit_id=order.unit_id,
        number=number,
        language=language,
        payload={"eta_minutes": escalation.eta_minutes, "work_order": order.number},
        status=JobStatus.SCHEDULED,
        due_from=now,
        due_by=now + dt.timedelta(hours=1),
        next_attempt_at=now,
        attempts=0,
        max_attempts=NOTICE_ATTEMPTS,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def _event(session: Session, topic: str, escalation: Escalation, order: WorkOrder | None) -> None:
    payload = {
        "escalation_id": escalation.id,
        "work_order_id": escalation.work_order_id,
        "number": order.number if order is not None else "",
        "community_id": escalation.community_id,
        "status": escalation.status.value,
        "accepted_name": escalation.accepted_name,
        "accepted_at": escalation.accepted_at.isoformat() if escalation.accepted_at else None,
    }
    session.info.setdefault(EVENTS, []).append((topic, payload))


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    """Rolled back: nothing happened, nothing is published."""
    session.info.pop(EVENTS, None)


def take_events(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The escalation events of the committed transaction, once (publish them)."""
    events: list[tuple[str, dict[str, Any]]] = session.info.pop(EVENTS, [])
    return events


Publish = Callable[[str, dict[str, Any]], object]


def announce(session: Session, publish: Publish | None) -> int:
    """Publish the committed transaction's escalation events; a failure is logged, never
    raised (the database is the record). How many were published."""
    sent = 0
    for topic, payload in take_events(session):
        if publish is None:
            continue
        try:
            publish(topic, payload)
            sent += 1
        except Exception:  # the bus is down: the order's page still shows it
            log.exception("escalation %s: %s not published", payload["escalation_id"], topic)
    return sent
