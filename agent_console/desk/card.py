"""The screen-pop card (来电弹屏): who is calling and what the hotline knows about them.

Read from the database when the agent's browser asks for it; every resident
whose file the card shows is written to the audit log (:func:`record_view`).
Only units of the communities the agent serves are shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from agent_console.privacy import may_unmask, record_view, shown_number
from agent_console.surveys.services import last_survey
from models import (
    Building,
    Call,
    CallbackRequest,
    CallEvent,
    Category,
    Occupancy,
    Resident,
    Status,
    Unit,
    WorkOrder,
)
from models.incidents import Incident
from models.lookup import lookup_caller
from models.sla import sla_state
from models.staff import Agent
from models.work_order_flow import LINKED as WORK_ORDER_LINKED

from .services import WRAP_UP_CODES

RECENT_CALLS = 10
OPEN = (Status.OPEN, Status.DISPATCHED, Status.ON_SITE)
INVOLVED = ("call.offered", "agent.called", "agent.connected")  # CallEvents naming an agent


@dataclasses.dataclass(frozen=True)
class Home:
    """One unit a resident is tied to (in a community the agent serves)."""

    unit_id: int
    address: str
    role: str
    community: str


@dataclasses.dataclass(frozen=True)
class Match:
    """A resident the call may be from, with their homes."""

    resident_id: int
    name: str
    homes: tuple[Home, ...]


def involved(session: Session, agent: Agent, call: Call, offered_call_id: int | None) -> bool:
    """Whether ``call`` was offered to, or answered by, ``agent`` (or its callback)."""
    if call.agent_id == agent.id or offered_call_id == call.id:
        return True
    called_back = select(CallbackRequest.id).where(
        CallbackRequest.call_id == call.id, CallbackRequest.agent_id == agent.id
    )
    if session.scalar(called_back) is not None:
        return True
    rows = session.scalars(
        select(CallEvent.data).where(CallEvent.call_id == call.id, CallEvent.kind.in_(INVOLVED))
    )
    return any(isinstance(d, dict) and d.get("agent_id") == agent.id for d in rows)


def matches(
    session: Session, call: Call, scope: Collection[int], region: str = "CN"
) -> list[Match]:
    """The residents on file for the caller's number (and the one attached to the call),
    with their units in ``scope``; residents with no unit in scope are left out."""
    found: dict[int, Match] = {}
    for m in lookup_caller(session, call.caller_e164, region) if call.caller_e164 else []:
        homes = tuple(
            Home(u.unit_id, u.address, u.role.value, u.community_name)
            for u in m.units
            if u.community_id in scope
        )
        if homes:
            found[m.resident_id] = Match(m.resident_id, m.name, homes)
    if call.resident_id is not None and call.resident_id not in found:
        attached = _resident_homes(session, call.resident_id, scope)
        if attached is not None:
            found = {attached.resident_id: attached, **found}
    return list(found.values())


def _resident_homes(session: Session, resident_id: int, scope: Collection[int]) -> Match | None:
    resident = session.scalars(
        select(Resident)
        .where(Resident.id == resident_id)
        .options(
            selectinload(Resident.occupancies)
            .selectinload(Occupancy.unit)
            .selectinload(Unit.building)
            .selectinload(Building.community)
        )
    ).one_or_none()
    if resident is None:
        return None
    homes = tuple(
        Home(o.unit_id, o.unit.address, o.role.value, o.unit.building.community.name)
        for o in resident.occupancies
        if o.unit.building.community_id in scope
    )
    return Match(resident.id, resident.name, homes) if homes else None


def choose(
    found: list[Match], call: Call, resident_id: int | None, unit_id: int | None
) -> tuple[Match | None, Home | None]:
    """The resident and unit shown: the agent's choice, else the call's, else the first."""
    by_id = {m.resident_id: m for m in found}
    match = by_id.get(resident_id or -1) or by_id.get(call.resident_id or -1)
    if match is None and found:
        match = found[0]
    if match is None:
        return None, None
    homes = {h.unit_id: h for h in match.homes}
    home = homes.get(unit_id or -1) or homes.get(call.unit_id or -1) or match.homes[0]
    return match, home


def build(
    session: Session,
    agent: Agent,
    call: Call,
    *,
    scope: Collection[int],
    now: dt.datetime,
    resident_id: int | None = None,
    unit_id: int | None = None,
    region: str = "CN",
) -> dict[str, Any]:
    """Everything the card shows; audit rows for each resident shown (not committed)."""
    found = matches(session, call, scope, region)
    match, home = choose(found, call, resident_id, unit_id)
    resident = session.get(Resident, match.resident_id) if match else None
    household = _household(session, home.unit_id, match.resident_id) if home and match else []
    card: dict[str, Any] = {
        "call": call,
        "number": shown_number(call.caller_e164),  # never the raw caller ID: it may be a number
        "may_unmask": may_unmask(agent) and bool(call.caller_e164),
        "matches": found,
        "several": sum(len(m.homes) for m in found) > 1,
        "resident": resident,
        "home": home,
        "household": household,
        "senior_household": any(r.senior_care for r, _ in household),
        "complaints": _complaints(session, home, resident),
        "ivr": ivr_path(session, call.id),
        "links": call_links(session, call.id),
        "work_orders": _open_orders(session, home, now),
        "recent": _recent_calls(session, call, home, scope),
        "survey": last_survey(
            session, match.resident_id if match else None, home.unit_id if home else None
        ),
        "codes": WRAP_UP_CODES,
        "now": now,
    }
    for shown in {m.resident_id for m in found} | {r.id for r, _ in household}:
        record_view(session, agent, "resident", shown, call_id=call.id, via="screen_pop")
    return card


def _household(session: Session, unit_id: int, except_id: int) -> list[tuple[Resident, str]]:
    rows = session.execute(
        select(Resident, Occupancy.role)
        .join(Occupancy, Occupancy.resident_id == Resident.id)
        .where(Occupancy.unit_id == unit_id, Resident.id != except_id)
        .order_by(Occupancy.id)
    ).all()
    return [(r, role.value) for r, role in rows]


def _complaints(session: Session, home: Home | None, resident: Resident | None) -> int:
    """Earlier complaints (投诉) of the unit or the resident: complaint work orders."""
    ties = []
    if home is not None:
        ties.append(WorkOrder.unit_id == home.unit_id)
    if resident is not None:
        ties.append(WorkOrder.resident_id == resident.id)
    if not ties:
        return 0
    query = select(WorkOrder.id).where(WorkOrder.category == Category.COMPLAINT, or_(*ties))
    return len(session.scalars(query).all())


def _open_orders(session: Session, home: Home | None, now: dt.datetime) -> list[dict[str, Any]]:
    if home is None:
        return []
    orders = session.scalars(
        select(WorkOrder)
        .where(WorkOrder.unit_id == home.unit_id, WorkOrder.status.in_(OPEN))
        .order_by(WorkOrder.created_at)
    ).all()
    return [{"order": o, "sla": sla_state(o, now)} for o in orders]


def _recent_calls(
    session: Session, call: Call, home: Home | None, scope: Collection[int]
) -> list[Call]:
    """The last calls from the same number or about the same unit (this one left out)."""
    ties = []
    if call.caller_e164:
        ties.append(Call.caller_e164 == call.caller_e164)
    if home is not None:
        ties.append(Call.unit_id == home.unit_id)
    if not ties:
        return []
    return list(
        session.scalars(
            select(Call)
            .where(or_(*ties), Call.id != call.id, Call.community_id.in_(scope))
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(RECENT_CALLS)
        )
    )


def ivr_path(session: Session, call_id: int) -> list[dict[str, Any]]:
    """What the caller did in the IVR: each menu step with the key pressed or words said,
    and what the flow concluded (identified, emergency, queue)."""
    path: list[dict[str, Any]] = []
    events = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.id)
    )
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind == "ivr.step":
            heard = data.get("event") or {}
            kind = heard.get("event", "")
            if kind not in ("digits", "speech", "no_input"):
                continue
            path.append(
                {
                    "step": data.get("step", ""),
                    "kind": kind,
                    "value": heard.get("digits") or heard.get("text") or "",
                    "next": data.get("next", ""),
                }
            )
        elif event.kind in ("call.identified", "call.emergency", "call.message", "queue.joined"):
            value = data.get("kind") or data.get("queue") or data.get("unit_id") or ""
            path.append({"step": "", "kind": event.kind, "value": str(value), "next": ""})
    return path


LINKS = (WORK_ORDER_LINKED, "call.incident", "call.guard_requested")


def call_links(session: Session, call_id: int) -> list[dict[str, Any]]:
    """What the call is tied to besides its own work orders: the open order a repeated
    call was linked to, the incidents it stayed with, a guard asked for an ambulance."""
    links: list[dict[str, Any]] = []
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call_id, CallEvent.kind.in_(LINKS))
        .order_by(CallEvent.id)
    )
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind == WORK_ORDER_LINKED:
            links.append({"kind": "work_order", "id": data.get("work_order_id"),
                          "number": data.get("number", "")})  # fmt: skip
        elif event.kind == "call.incident":
            for incident_id in data.get("incident_ids", []):
                incident = session.get(Incident, incident_id)
                title = incident.title if incident else ""
                links.append({"kind": "incident", "id": incident_id, "title": title})
        else:
            links.append({"kind": "guard", "unit_id": data.get("unit_id")})
    return links
