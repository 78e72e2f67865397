"""A work order's life (派工单): opened, dispatched, on site, completed, closed, reopened.

Every change checks that the order may make it, time-stamps the status column, and
adds a :class:`~models.work_orders.WorkOrderChange` naming the agent. Functions here
add to the session and flush; the caller commits (and then publishes its events).

::

    open ──dispatch──▶ dispatched ──on site──▶ on_site ──complete──▶ completed ──close──▶ closed
     │                  ▲   │ (re-dispatch)                ▲                 │              │
     └──────────────────┼───┴────────────complete──────────┘                 │              │
                        └──────── reopen (返修: rework_count + 1) ◀──────────┴──────────────┘

Reopening goes back to ``dispatched`` when a team was assigned, else to ``open``, and
starts the deadlines again from the moment of reopening. Any agent who may see the
order may make any change; the owner (首问责任制) stays the agent who opened it.

Errors::

    HotlineError
    └── WorkOrderError         a work order cannot be opened or changed as asked
        ├── InvalidOrder       the details break a rule; ``problems`` lists each (field, code)
        ├── InvalidTransition  the order's status does not allow the change
        └── WrongCommunity     a unit, call, team or technician of another community
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from hotline.exceptions import HotlineError
from models import sla
from models.base import utcnow
from models.calls import Call, CallEvent
from models.escalation import start_escalation, stop_escalation
from models.estate import Community, Unit
from models.work_order_catalogue import find
from models.work_orders import (
    Category,
    ComplaintType,
    Location,
    Severity,
    Status,
    Team,
    Technician,
    WorkOrder,
    WorkOrderChange,
    create_work_order,
)

MAX_DESCRIPTION = 4000
MAX_DETAIL = 200  # WorkOrder.location_detail's length
ACTIVE = (Status.OPEN, Status.DISPATCHED, Status.ON_SITE)
PLACED = (Category.EMERGENCY, Category.REPAIR, Category.HOME_SERVICE)  # work done somewhere


class WorkOrderError(HotlineError):
    """A work order cannot be opened or changed as asked."""


class InvalidOrder(WorkOrderError):
    """The details of a new order break a rule; ``problems`` holds (field, code) pairs."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {code}" for field, code in self.problems))


class InvalidTransition(WorkOrderError):
    """The order's status does not allow the change."""

    def __init__(self, order: WorkOrder, action: str) -> None:
        self.action = action
        self.status = order.status
        super().__init__(f"work order {order.number} is {order.status.value}: cannot {action}")


class WrongCommunity(WorkOrderError):
    """A unit, call, team or technician that belongs to another community than the order."""


@dataclasses.dataclass(frozen=True)
class OrderDetails:
    """What the agent records when opening an order."""

    category: Category
    subcategory: str
    description: str
    unit_id: int | None = None
    resident_id: int | None = None
    location: Location = Location.IN_UNIT
    location_detail: str = ""
    appointment_from: dt.datetime | None = None  # 方便维修的时间, aware
    appointment_to: dt.datetime | None = None
    paid: bool = False  # 有偿
    large_problem: bool = False
    severity: Severity | None = None  # complaints only
    complaint_type: ComplaintType | None = None  # complaints only


def problems(details: OrderDetails) -> list[tuple[str, str]]:
    """Each rule ``details`` breaks, as (field, code); empty when the order may be opened."""
    found: list[tuple[str, str]] = []
    if find(details.category, details.subcategory) is None:
        found.append(("subcategory", "unknown" if details.subcategory else "required"))
    if not details.description.strip():
        found.append(("description", "required"))
    elif len(details.description) > MAX_DESCRIPTION:
        found.append(("description", "too_long"))
    if len(details.location_detail) > MAX_DETAIL:
        found.append(("location_detail", "too_long"))
    if details.category in PLACED:
        if details.location is Location.IN_UNIT and details.unit_id is None:
            found.append(("unit", "required"))
        if details.location is Location.COMMON_AREA and not details.location_detail.strip():
            found.append(("location_detail", "required"))
    start, end = details.appointment_from, details.appointment_to
    if (start is None) != (end is None):
        found.append(("appointment", "incomplete"))
    elif start is not None and end is not None and end <= start:
        found.append(("appointment", "order"))
    complaint = details.category is Category.COMPLAINT
    for field, value in (
        ("severity", details.severity),
        ("complaint_type", details.complaint_type),
    ):
        if complaint and value is None:
            found.append((field, "required"))
        if not complaint and value is not None:
            found.append((field, "complaints_only"))
    return found


def open_work_order(
    session: Session,
    community: Community,
    details: OrderDetails,
    *,
    agent_id: int | None,
    call_id: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Open an order with the community's next number, its deadlines and its first change.

    The agent who opens it owns it (首问责任制); ``agent_id`` None: the IVR opened it
    (an emergency after hours), owned by nobody until an agent takes it. An emergency
    starts its on-call ladder (:func:`models.escalation.start_escalation`). Flushed,
    not committed.

    :raises InvalidOrder: the details break a rule.
    :raises WrongCommunity: the unit or call belongs to another community.
    """
    found = problems(details)
    if found:
        raise InvalidOrder(found)
    _check_places(session, community, details.unit_id, call_id)
    opened = now or utcnow()
    order = create_work_order(
        session,
        community=community,
        category=details.category,
        subcategory=details.subcategory,
        description=details.description.strip(),
        unit_id=details.unit_id,
        resident_id=details.resident_id,
        call_id=call_id,
        owner_agent_id=agent_id,
        now=opened,
    )
    order.location = details.location
    order.location_detail = details.location_detail.strip()
    order.appointment_from = details.appointment_from
    order.appointment_to = details.appointment_to
    order.paid = details.paid
    order.large_problem = details.large_problem and details.category is Category.REPAIR
    order.severity = details.severity
    order.complaint_type = details.complaint_type
    _set_deadlines(order, community, opened)
    _record(session, order, None, Status.OPEN, agent_id, opened, "")
    session.flush()
    start_escalation(session, order, now=opened)  # an emergency: the on-call ladder is called
    return order


LINKED = "work_order.linked"  # the CallEvent of a repeated call kept with an open order


def find_repeat(
    session: Session, details: OrderDetails, *, now: dt.datetime, window: dt.timedelta
) -> WorkOrder | None:
    """The open order on the same unit about the same problem (category and subcategory)
    opened within ``window`` before ``now``: a repeated call belongs with it."""
    if details.unit_id is None or window <= dt.timedelta(0):
        return None
    query = (
        select(WorkOrder)
        .where(
            WorkOrder.unit_id == details.unit_id,
            WorkOrder.category == details.category,
            WorkOrder.subcategory == details.subcategory,
            WorkOrder.status.in_(ACTIVE),
            WorkOrder.created_at >= now - window,
        )
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def link_call(
    session: Session, order: WorkOrder, call_id: int, *, agent_id: int, now: dt.datetime
) -> CallEvent:
    """Keep a repeated call with ``order`` instead of opening a duplicate (flushed)."""
    _check_places(session, order.community, None, call_id)
    event = CallEvent(
        call_id=call_id,
        at=now,
        kind=LINKED,
        data={"work_order_id": order.id, "number": order.number, "agent_id": agent_id},
    )
    session.add(event)
    session.flush()
    return event


def _check_places(
    session: Session, community: Community, unit_id: int | None, call_id: int | None
) -> None:
    """The unit and the call, when given, exist and are the community's."""
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.building.community_id != community.id:
            raise WrongCommunity(f"unit {unit_id} is not in {community.code}")
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None or call.community_id not in (None, community.id):
            raise WrongCommunity(f"call {call_id} was not to {community.code}")


def _set_deadlines(order: WorkOrder, community: Community, start: dt.datetime) -> None:
    """Fix the order's deadlines counting from ``start``."""
    due = sla.deadlines(
        order.category,
        start,
        timezone=community.timezone,
        large_problem=order.large_problem,
        severity=order.severity,
        appointment_to=order.appointment_to,
    )
    order.dispatch_due_at = due.dispatch_due_at
    order.due_at = due.due_at


def _record(
    session: Session,
    order: WorkOrder,
    from_status: Status | None,
    to_status: Status,
    agent_id: int | None,
    now: dt.datetime,
    note: str,
) -> None:
    """Move ``order`` to ``to_status`` and keep the change in its history; an emergency's
    on-call ladder stops once staff are on site or the work is done."""
    order.status = to_status
    order.updated_at = now
    if to_status in (Status.ON_SITE, Status.COMPLETED, Status.CLOSED):
        stop_escalation(session, order, now=now)
    session.add(
        WorkOrderChange(
            work_order_id=order.id,
            at=now,
            agent_id=agent_id,
            from_status=from_status,
            to_status=to_status,
            note=note.strip(),
        )
    )


def _require(order: WorkOrder, action: str, *allowed: Status) -> Status:
    """The order's status, when it is one of ``allowed``."""
    if order.status not in allowed:
        raise InvalidTransition(order, action)
    return order.status


def dispatch(
    session: Session,
    order: WorkOrder,
    *,
    agent_id: int,
    team: Team | None = None,
    technician: Technician | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Send the order to a team or one of its technicians (派工); again to re-dispatch.

    :raises InvalidTransition: the order is on site or finished.
    :raises WrongCommunity: the team is another community's.
    :raises InvalidOrder: neither a team nor a technician, a technician not of the team,
        or a technician no longer active.
    """
    before = _require(order, "dispatch", Status.OPEN, Status.DISPATCHED)
    if technician is not None:
        if team is not None and technician.team_id != team.id:
            raise InvalidOrder([("technician", "not_in_team")])
        if not technician.active:
            raise InvalidOrder([("technician", "inactive")])
        team = technician.team
    if team is None:
        raise InvalidOrder([("team", "required")])
    if team.community_id != order.community_id:
        raise WrongCommunity(f"team {team.name} does not serve work order {order.number}")
    when = now or utcnow()
    order.team_id = team.id
    order.technician_id = technician.id if technician else None
    if order.dispatched_at is None:
        order.dispatched_at = when
    _record(session, order, before, Status.DISPATCHED, agent_id, when, note)
    session.flush()


def mark_on_site(
    session: Session,
    order: WorkOrder,
    *,
    agent_id: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Staff have reached the site (到场)."""
    before = _require(order, "mark on site", Status.DISPATCHED)
    when = now or utcnow()
    order.on_site_at = when
    _record(session, order, before, Status.ON_SITE, agent_id, when, note)
    session.flush()


def complete(
    session: Session,
    order: WorkOrder,
    *,
    agent_id: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> None:
    """The work is done, or the question answered (完成); its callback survey is scheduled."""
    from models.survey_policy import schedule_for_completed  # the policy imports this module

    before = _require(order, "complete", *ACTIVE)
    when = now or utcnow()
    order.completed_at = when
    _record(session, order, before, Status.COMPLETED, agent_id, when, note)
    session.flush()
    schedule_for_completed(session, order, now=when)


def close(
    session: Session,
    order: WorkOrder,
    *,
    agent_id: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Close a completed order (结案): its follow-up is over."""
    before = _require(order, "close", Status.COMPLETED)
    when = now or utcnow()
    order.closed_at = when
    _record(session, order, before, Status.CLOSED, agent_id, when, note)
    session.flush()


def reopen(
    session: Session,
    order: WorkOrder,
    *,
    agent_id: int | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Send a finished order back for rework (返修): counted, with fresh deadlines.

    ``agent_id`` is None when a callback survey's "not solved" reopens it. Its surveys
    still waiting are cancelled; completed again, it gets a new one.
    """
    from models.survey_policy import cancel_for_reopened

    before = _require(order, "reopen", Status.COMPLETED, Status.CLOSED)
    when = now or utcnow()
    order.rework_count += 1
    order.on_site_at = order.completed_at = order.closed_at = None
    if order.team_id is None:
        order.dispatched_at = None
    _set_deadlines(order, order.community, when)
    after = Status.DISPATCHED if order.team_id is not None else Status.OPEN
    _record(session, order, before, after, agent_id, when, note)
    session.flush()
    cancel_for_reopened(session, order, now=when)


ACTIONS = {
    "dispatch": (Status.OPEN, Status.DISPATCHED),
    "on_site": (Status.DISPATCHED,),
    "complete": ACTIVE,
    "close": (Status.COMPLETED,),
    "reopen": (Status.COMPLETED, Status.CLOSED),
}


def allowed_actions(order: WorkOrder) -> list[str]:
    """The changes ``order``'s status allows, in the order a page offers them."""
    return [name for name, statuses in ACTIONS.items() if order.status in statuses]


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """SQL for "its running deadline has passed at ``now``", as :func:`sla.sla_state` says.

    Orders without stored deadlines are left out.
    """
    dispatch_late = and_(
        WorkOrder.status == Status.OPEN,
        WorkOrder.dispatched_at.is_(None),
        WorkOrder.dispatch_due_at.is_not(None),
        WorkOrder.dispatch_due_at < now,
    )
    resolve_late = and_(
        WorkOrder.status.in_(ACTIVE),
        WorkOrder.due_at < now,
        or_(WorkOrder.category != Category.EMERGENCY, WorkOrder.on_site_at.is_(None)),
    )
    return or_(dispatch_late, resolve_late)
