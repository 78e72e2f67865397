"""What the on-call pages read and write: the calendar, the ladder settings, the shifts.

Every function takes a community the caller has checked is in the agent's scope;
changes are audited in the same transaction (the caller commits).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from agent_console.surveys.exceptions import FormRejected
from models.audit import audit
from models.escalation import current_shift
from models.estate import Community
from models.oncall import TRADES, Escalation, OnCallRotation, OnCallShift, OnCallStep
from models.outbound import JobPurpose, OutboundAttempt, OutboundJob
from models.phones import InvalidPhoneNumber, to_e164
from models.staff import Agent
from models.work_orders import Team, Technician

DAYS_SHOWN = 14
MAX_SHIFT = dt.timedelta(days=7)
MAX_LADDER = 4  # the person on call and up to three backups
FORM_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
RETRY_RANGE = (30, 3600)  # seconds before calling the same person again
TRIES_RANGE = (1, 5)


@dataclasses.dataclass(frozen=True)
class ShiftRow:
    """One shift as the calendar shows it: local times and the ladder's names."""

    shift: OnCallShift
    starts: str
    ends: str
    people: list[str]
    current: bool


@dataclasses.dataclass(frozen=True)
class TradeRota:
    """One trade's rotation (None before a supervisor sets it) and its coming shifts."""

    trade: str
    rotation: OnCallRotation | None
    shifts: list[ShiftRow]


def technicians(session: Session, community_id: int) -> list[Technician]:
    """The community's active technicians with a phone: who may be on call."""
    return list(
        session.scalars(
            select(Technician)
            .join(Team, Team.id == Technician.team_id)
            .where(
                Team.community_id == community_id,
                Technician.active.is_(True),
                Technician.phone.is_not(None),
            )
            .order_by(Team.name, Technician.name, Technician.id)
        )
    )


def calendar(session: Session, community: Community, now: dt.datetime) -> list[TradeRota]:
    """Each trade's rotation and its shifts from now for :data:`DAYS_SHOWN` days."""
    rotations = {
        r.trade: r
        for r in session.scalars(
            select(OnCallRotation).where(OnCallRotation.community_id == community.id)
        )
    }
    staff = select(Technician).join(Team, Team.id == Technician.team_id)
    names = {t.id: t.name for t in session.scalars(staff.where(Team.community_id == community.id))}
    zone = ZoneInfo(community.timezone)
    rotas = []
    for trade in TRADES:
        rotation = rotations.get(trade)
        rows: list[ShiftRow] = []
        if rotation is not None:
            on_now = current_shift(session, rotation.id, now)
            shifts = session.scalars(
                select(OnCallShift)
                .options(selectinload(OnCallShift.steps))
                .where(
                    OnCallShift.rotation_id == rotation.id,
                    OnCallShift.ends_at > now,
                    OnCallShift.starts_at < now + dt.timedelta(days=DAYS_SHOWN),
                )
                .order_by(OnCallShift.starts_at, OnCallShift.id)
            )
            rows = [
                ShiftRow(
                    shift=s,
                    starts=s.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    ends=s.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    people=[names.get(step.technician_id, "?") for step in s.steps],
                    current=on_now is not None and on_now.id == s.id,
                )
                for s in shifts
            ]
        rotas.append(TradeRota(trade, rotation, rows))
    return rotas


def _whole(form: Mapping[str, str], field: str, bounds: tuple[int, int]) -> int:
    text = (form.get(field) or "").strip()
    if not text.isdigit() or not bounds[0] <= int(text) <= bounds[1]:
        raise FormRejected({field: "number"})
    return int(text)


def save_settings(
    session: Session,
    community: Community,
    trade: str,
    form: Mapping[str, str],
    agent: Agent,
    *,
    region: str,
) -> OnCallRotation:
    """Set a trade's ladder settings (the rotation is made on first save); audited.

    :raises FormRejected: a value out of range, or a supervisor's phone that is not one.
    """
    retry = _whole(form, "retry_seconds", RETRY_RANGE)
    tries = _whole(form, "tries_per_person", TRIES_RANGE)
    name = (form.get("supervisor_name") or "").strip()[:100]
    raw_phone = (form.get("supervisor_phone") or "").strip()
    try:
        phone = to_e164(raw_phone, region, strict=True) if raw_phone else None
    except InvalidPhoneNumber:
        phone = None
    if raw_phone and phone is None:
        raise FormRejected({"supervisor_phone": "phone"})
    rotation = _rotation(session, community, trade)
    before = _settings(rotation)
    rotation.retry_seconds, rotation.tries_per_person = retry, tries
    rotation.supervisor_name, rotation.supervisor_phone = name, phone
    session.flush()
    audit(session, action="update", subject_type="on_call_rotation", subject_id=rotation.id,
          agent_id=agent.id, community_id=community.id, trade=trade, before=before,
          after=_settings(rotation))  # fmt: skip
    return rotation


def _rotation(session: Session, community: Community, trade: str) -> OnCallRotation:
    found = session.scalars(
        select(OnCallRotation)
        .where(OnCallRotation.community_id == community.id, OnCallRotation.trade == trade)
        .with_for_update()
    ).first()
    if found is None:
        found = OnCallRotation(community_id=community.id, trade=trade, supervisor_name="")
        session.add(found)
        session.flush()
    return found


def _settings(rotation: OnCallRotation) -> dict[str, Any]:
    return {
        "retry_seconds": rotation.retry_seconds,
        "tries_per_person": rotation.tries_per_person,
        "supervisor_name": rotation.supervisor_name,
        "supervisor_phone": rotation.supervisor_phone,
    }


def _moment(form: Mapping[str, str], field: str, zone: ZoneInfo) -> dt.datetime:
    try:
        local = dt.datetime.strptime((form.get(field) or "").strip(), FORM_FORMAT)
    except ValueError:
        raise FormRejected({field: "required"}) from None
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def add_shift(
    session: Session,
    community: Community,
    trade: str,
    form: Mapping[str, str],
    people: Sequence[str],
    agent: Agent,
    *,
    now: dt.datetime,
) -> OnCallShift:
    """A shift from the form (local times; ``people`` the ladder's technician ids in
    order, blanks ignored); audited.

    :raises FormRejected: missing or reversed times, a shift over 7 days, nobody on
        call, someone not of this community or named twice.
    """
    zone = ZoneInfo(community.timezone)
    starts, ends = _moment(form, "starts", zone), _moment(form, "ends", zone)
    if ends <= starts:
        raise FormRejected({"ends": "order"})
    if ends - starts > MAX_SHIFT:
        raise FormRejected({"ends": "too_long"})
    chosen = [p.strip() for p in people if p.strip()][:MAX_LADDER]
    allowed = {str(t.id) for t in technicians(session, community.id)}
    if not chosen:
        raise FormRejected({"people": "required"})
    if any(p not in allowed for p in chosen):
        raise FormRejected({"people": "unknown"})
    if len(set(chosen)) != len(chosen):
        raise FormRejected({"people": "twice"})
    rotation = _rotation(session, community, trade)
    shift = OnCallShift(
        rotation_id=rotation.id, starts_at=starts, ends_at=ends, created_by=agent.id, created_at=now
    )
    session.add(shift)
    session.flush()
    for position, technician_id in enumerate(chosen, start=1):
        session.add(
            OnCallStep(shift_id=shift.id, position=position, technician_id=int(technician_id))
        )
    session.flush()
    audit(session, action="create", subject_type="on_call_shift", subject_id=shift.id,
          agent_id=agent.id, community_id=community.id, trade=trade,
          starts_at=starts.isoformat(), ends_at=ends.isoformat(),
          ladder=[int(p) for p in chosen])  # fmt: skip
    return shift


def remove_shift(session: Session, shift: OnCallShift, agent: Agent) -> None:
    """Remove a shift from the calendar (ladders already running keep their people); audited."""
    rotation = session.get_one(OnCallRotation, shift.rotation_id)
    audit(session, action="delete", subject_type="on_call_shift", subject_id=shift.id,
          agent_id=agent.id, community_id=rotation.community_id, trade=rotation.trade,
          starts_at=shift.starts_at.isoformat(), ends_at=shift.ends_at.isoformat(),
          ladder=[s.technician_id for s in shift.steps])  # fmt: skip
    session.delete(shift)
    session.flush()


@dataclasses.dataclass(frozen=True)
class LadderCall:
    """One call of an escalation, as the work order's page lists it."""

    name: str
    role: str
    seq: int
    outcome: str
    at: dt.datetime | None


def escalation_of(session: Session, order_id: int) -> tuple[Escalation | None, list[LadderCall]]:
    """A work order's escalation and every call its ladder made, oldest first."""
    escalation = session.scalars(
        select(Escalation).where(Escalation.work_order_id == order_id)
    ).first()
    if escalation is None:
        return None, []
    rows = session.execute(
        select(OutboundJob.payload, OutboundAttempt.seq, OutboundAttempt.outcome,
               OutboundAttempt.created_at)
        .join(OutboundAttempt, OutboundAttempt.job_id == OutboundJob.id)
        .where(OutboundJob.work_order_id == order_id, OutboundJob.purpose == JobPurpose.ON_CALL)
        .order_by(OutboundAttempt.created_at, OutboundAttempt.id)
    )  # fmt: skip
    calls = [
        LadderCall(str(p.get("name") or ""), str(p.get("role") or ""), seq, outcome.value, at)
        for p, seq, outcome, at in rows
    ]
    return escalation, calls
