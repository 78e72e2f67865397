"""What the work-order pages read and write: lists, the form, the detail, the events.

Every query here is limited to the communities the logged-in agent serves; single
objects named in a URL go through :func:`agent_console.auth.in_scope_or_404`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from agent_console.auth import community_scope, in_scope_or_404
from agent_console.privacy import shown_number
from agent_console.work_orders import labels
from agent_console.work_orders.exceptions import FormRejected
from hotline.bus import BusError
from models.calls import Call
from models.estate import Building, Community, Resident, Unit
from models.sla import SlaState, sla_state
from models.staff import Agent
from models.work_order_catalogue import find
from models.work_order_flow import ACTIVE, OrderDetails, overdue_clause, problems
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
)

log = logging.getLogger(__name__)
PAGE = 50  # orders a list page shows
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
FORM_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


def publish(topic: str, order: WorkOrder) -> None:
    """Tell the bus about ``order`` (after commit); a bus failure is logged, never raised."""
    payload = {
        "id": order.id,
        "number": order.number,
        "community_id": order.community_id,
        "status": order.status.value,
        "due_at": order.due_at.isoformat() if order.due_at else None,
        "owner_agent_id": order.owner_agent_id,
    }
    try:
        current_app.extensions["hotline.bus"].publish(topic, payload)
    except BusError:
        log.exception("work order %s: %s not published", order.number, topic)


def local_text(when: dt.datetime | None, timezone: str) -> str:
    """``2026-12-02 12:00`` in the community's time; empty for None."""
    return when.astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT) if when else ""


def remaining_text(seconds: int, day: str) -> str:
    """``1d 02:03:04`` (``day`` is the translated unit); the absolute value of ``seconds``."""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days}{day} {clock}" if days else clock


@dataclasses.dataclass(frozen=True)
class Row:
    """One order as a list or the detail page shows it."""

    order: WorkOrder
    state: SlaState
    address: str
    owner: str
    timezone: str

    @property
    def subcategory(self) -> str:
        found = find(self.order.category, self.order.subcategory)
        return found.label(_language()) if found else self.order.subcategory


def _language() -> str:
    from agent_console.auth.i18n import current_language

    return current_language()


def address(order: WorkOrder) -> str:
    """Where the work is: the unit's address, the common area, or both."""
    parts = [order.unit.address] if order.unit else []
    if order.location_detail:
        parts.append(order.location_detail)
    return " · ".join(parts)


def with_places(query: Select[Any]) -> Select[Any]:
    return query.options(
        joinedload(WorkOrder.unit).joinedload(Unit.building), joinedload(WorkOrder.community)
    )


def rows(session: Session, orders: Sequence[WorkOrder], now: dt.datetime) -> list[Row]:
    """The orders with their deadline state and their owners' names."""
    owners = agent_names(session, {o.owner_agent_id for o in orders})
    return [
        Row(
            o, sla_state(o, now), address(o), owners.get(o.owner_agent_id, ""), o.community.timezone
        )
        for o in orders
    ]


def agent_names(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    """Agent id → name."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(wanted))).all())


@dataclasses.dataclass(frozen=True)
class Filters:
    """The list's filters, from the query string; unknown values are ignored."""

    status: str = ""  # a Status value, "active" (not completed or closed), or "" for all
    category: Category | None = None
    community_id: int | None = None
    overdue: bool = False
    unit_id: int | None = None  # one unit's history (scope still applies)
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], scope: frozenset[int]) -> Filters:
        status = args.get("status", "")
        category = args.get("category", "")
        community = args.get("community", "")
        return cls(
            status=status if status in {"active", *Status} else "",
            category=Category(category) if category in set(Category) else None,
            community_id=int(community)
            if community.isdigit() and int(community) in scope
            else None,
            overdue=args.get("overdue") == "1",
            unit_id=int(unit) if (unit := args.get("unit", "")).isdigit() else None,
            page=max(1, min(int(page), 10_000)) if (page := args.get("page", "")).isdigit() else 1,
        )


def list_orders(
    session: Session, scope: frozenset[int], filters: Filters, now: dt.datetime
) -> tuple[list[Row], bool]:
    """A page of the orders of the agent's communities that pass ``filters``, newest first;
    and whether older ones follow."""
    query = select(WorkOrder).where(WorkOrder.community_id.in_(scope))
    if filters.status == "active":
        query = query.where(WorkOrder.status.in_(ACTIVE))
    elif filters.status:
        query = query.where(WorkOrder.status == Status(filters.status))
    if filters.category:
        query = query.where(WorkOrder.category == filters.category)
    if filters.community_id:
        query = query.where(WorkOrder.community_id == filters.community_id)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    if filters.unit_id:
        query = query.where(WorkOrder.unit_id == filters.unit_id)
    query = (
        query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
        .offset((filters.page - 1) * PAGE)
        .limit(PAGE + 1)  # one more tells whether an older page exists
    )
    found = session.scalars(with_places(query)).unique().all()
    return rows(session, found[:PAGE], now), len(found) > PAGE


def my_orders(
    session: Session, agent_id: int, scope: frozenset[int], now: dt.datetime
) -> list[Row]:
    """The agent's own orders not yet closed (首问责任制), overdue first, then by deadline."""
    query = select(WorkOrder).where(
        WorkOrder.owner_agent_id == agent_id,
        WorkOrder.status != Status.CLOSED,
        WorkOrder.community_id.in_(scope),
    )
    found = rows(session, session.scalars(with_places(query)).unique().all(), now)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def urgency(row: Row) -> tuple[bool, bool, dt.datetime]:
        running = row.state.deadline is not None
        return (not row.state.overdue, not running, row.state.due_at or far)

    return sorted(found, key=urgency)


def communities(session: Session, scope: frozenset[int]) -> list[Community]:
    """The communities the agent serves, by code."""
    return list(
        session.scalars(select(Community).where(Community.id.in_(scope)).order_by(Community.code))
    )


@dataclasses.dataclass
class Prefill:
    """What the new-order form knows from the call, the unit and the resident."""

    call: Call | None = None
    community: Community | None = None
    unit: Unit | None = None
    resident: Resident | None = None

    @property
    def occupants(self) -> list[Resident]:
        """The people on file for the unit, for the agent to pick the caller from."""
        return [o.resident for o in self.unit.occupancies] if self.unit else []

    @property
    def shown(self) -> list[Resident]:
        """The residents the form names: the caller when known, else the unit's occupants."""
        return [self.resident] if self.resident else self.occupants


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def prefill(session: Session, values: Mapping[str, str]) -> Prefill:
    """The call, unit and resident named by ``call``/``unit``/``resident``; 404 out of scope."""
    found = Prefill()
    call_id, unit_id, resident_id = (_int(values.get(k)) for k in ("call", "unit", "resident"))
    if call_id is not None:
        found.call = in_scope_or_404(session.get(Call, call_id))
        found.community = session.get(Community, found.call.community_id)
        unit_id = unit_id or found.call.unit_id
        resident_id = resident_id or found.call.resident_id
    if unit_id is not None:
        found.unit = in_scope_or_404(session.get(Unit, unit_id), lambda u: u.building.community_id)
        if found.community is not None and found.unit.building.community_id != found.community.id:
            found.unit = None  # the call's community decides; a stray unit is dropped
        else:
            found.community = found.unit.building.community
    if resident_id is not None and found.call and resident_id == found.call.resident_id:
        found.resident = session.get(Resident, resident_id)  # the call's own caller
    elif resident_id is not None:
        found.resident = _resident_in_scope(session, resident_id)
    return found


def _resident_in_scope(session: Session, resident_id: int) -> Resident:
    """The resident when they hold a unit in a community the agent serves; else 404."""
    resident = session.get(Resident, resident_id)
    scope = community_scope()
    served = [
        o.unit.building.community_id
        for o in (resident.occupancies if resident else [])
        if o.unit.building.community_id in scope
    ]
    return in_scope_or_404(resident, lambda r: served[0] if served else None)


def find_unit(
    session: Session, community_id: int, building: str, entrance: str, room: str
) -> Unit | None:
    """The unit at that address in the community, or None."""
    return session.scalars(
        select(Unit)
        .join(Building, Building.id == Unit.building_id)
        .where(
            Building.community_id == community_id,
            Building.name == building.strip().removesuffix("栋"),
            Unit.entrance == entrance.strip().removesuffix("单元"),
            Unit.room == room.strip(),
        )
    ).one_or_none()


def parse_local(text: str, timezone: str) -> dt.datetime | None:
    """A ``datetime-local`` value read in the community's time, as UTC; None when empty.

    :raises ValueError: when it is not a date and time.
    """
    if not text.strip():
        return None
    naive = dt.datetime.strptime(text.strip()[:16], FORM_FORMAT)
    return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value in {m.value for m in kind} else None


def read_form(
    session: Session, form: Mapping[str, str], community: Community, known: Prefill
) -> OrderDetails:
    """The order the form describes.

    :raises FormRejected: with a message per wrong field.
    """
    errors: dict[str, object] = {}
    category = _enum(Category, form.get("category"))
    if category is None:
        raise FormRejected({"category": labels.problem("category", "required")})
    unit = known.unit
    if unit is None and any(form.get(k, "").strip() for k in ("building", "room")):
        unit = find_unit(
            session,
            community.id,
            form.get("building", ""),
            form.get("entrance", ""),
            form.get("room", ""),
        )
        if unit is None:
            errors["unit"] = labels.problem("unit", "not_found")
    times: dict[str, dt.datetime | None] = {}
    for key in ("appointment_from", "appointment_to"):
        try:
            times[key] = parse_local(form.get(key, ""), community.timezone)
        except ValueError:
            errors["appointment"] = labels.problem("appointment", "invalid")
            times[key] = None
    complaint = category is Category.COMPLAINT
    details = OrderDetails(
        category=category,
        subcategory=form.get("subcategory", ""),
        description=form.get("description", ""),
        unit_id=unit.id if unit else None,
        resident_id=known.resident.id if known.resident else None,
        location=_enum(Location, form.get("location")) or Location.IN_UNIT,
        location_detail=form.get("location_detail", ""),
        appointment_from=times["appointment_from"],
        appointment_to=times["appointment_to"],
        paid=form.get("paid") == "1",
        large_problem=category is Category.REPAIR and form.get("large_problem") == "1",
        severity=_enum(Severity, form.get("severity")) if complaint else None,
        complaint_type=_enum(ComplaintType, form.get("complaint_type")) if complaint else None,
    )
    for field, code in problems(details):
        errors.setdefault(field, labels.problem(field, code))
    if errors:
        raise FormRejected(errors)
    return details


@dataclasses.dataclass(frozen=True)
class Choice:
    """A team, or a technician of it, the order may be dispatched to."""

    value: str  # "team-<id>" or "tech-<id>"
    label: str
    suggested: bool


def dispatch_choices(session: Session, order: WorkOrder) -> list[tuple[Team, list[Choice]]]:
    """The order's community's teams with their active technicians, the right trade first."""
    entry = find(order.category, order.subcategory)
    trade = entry.trade if entry else ""
    teams = session.scalars(
        select(Team).where(Team.community_id == order.community_id).order_by(Team.name)
    ).all()
    teams = sorted(teams, key=lambda t: (not (trade and t.trade == trade), t.name))
    found = []
    for team in teams:
        suggested = bool(trade) and team.trade == trade
        choices = [Choice(f"team-{team.id}", team.name, suggested)]
        choices += [
            Choice(f"tech-{t.id}", f"{team.name} · {t.name}", suggested)
            for t in team.technicians
            if t.active
        ]
        found.append((team, choices))
    return found


def assignee(session: Session, value: str) -> tuple[Team | None, Technician | None]:
    """The team or technician a dispatch form's ``assignee`` names (None when unknown)."""
    kind, _, ident = value.partition("-")
    if not ident.isdigit():
        return None, None
    if kind == "team":
        return session.get(Team, int(ident)), None
    if kind == "tech":
        technician = session.get(Technician, int(ident))
        return (technician.team if technician else None), technician
    return None, None


@dataclasses.dataclass(frozen=True)
class Step:
    """One line of an order's status history."""

    at: str
    agent: str
    from_status: Status | None
    to_status: Status
    note: str


def history(session: Session, order: WorkOrder) -> list[Step]:
    """The order's status changes, oldest first, with who made them, in local time."""
    changes = session.scalars(
        select(WorkOrderChange)
        .where(WorkOrderChange.work_order_id == order.id)
        .order_by(WorkOrderChange.at, WorkOrderChange.id)
    ).all()
    names = agent_names(session, {c.agent_id for c in changes})
    tz = order.community.timezone
    return [
        Step(local_text(c.at, tz), names.get(c.agent_id, ""), c.from_status, c.to_status, c.note)
        for c in changes
    ]


def parties(session: Session, order: WorkOrder) -> dict[str, object]:
    """Who the order concerns and who works on it, as the detail page shows them."""
    resident = session.get(Resident, order.resident_id) if order.resident_id else None
    phone = next((p.e164 for p in resident.phones if p.is_primary), None) if resident else None
    if resident and phone is None and resident.phones:
        phone = resident.phones[0].e164
    return {
        "resident": resident.name if resident else "",
        "phone": shown_number(phone),  # masked: 业主档案 are confidential
        "team": session.get(Team, order.team_id).name if order.team_id else "",  # type: ignore[union-attr]
        "technician": session.get(Technician, order.technician_id).name  # type: ignore[union-attr]
        if order.technician_id
        else "",
        "owner": agent_names(session, [order.owner_agent_id]).get(order.owner_agent_id, ""),
    }


def as_json(row: Row) -> dict[str, object]:
    """The order for other pages (the screen-pop card): no resident data."""
    order, state = row.order, row.state

    def iso(when: dt.datetime | None) -> str | None:
        return when.astimezone(dt.UTC).isoformat() if when else None

    return {
        "id": order.id,
        "number": order.number,
        "community_id": order.community_id,
        "community_code": order.community.code,
        "category": order.category.value,
        "subcategory": order.subcategory,
        "subcategory_label": row.subcategory,
        "status": order.status.value,
        "address": row.address,
        "owner_agent_id": order.owner_agent_id,
        "owner": row.owner,
        "created_at": iso(order.created_at),
        "dispatch_due_at": iso(order.dispatch_due_at),
        "due_at": iso(order.due_at),
        "rework_count": order.rework_count,
        "sla": {
            "deadline": state.deadline,
            "due_at": iso(state.due_at),
            "remaining_seconds": state.remaining_seconds,
            "overdue": state.overdue,
            "met": state.met,
        },
    }
