"""Unknown callers: find a resident by address or name, attach them to the call, or add one.

Only units of the communities the agent serves are searched or written to;
attaching and creating are audited, and the call records who did it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.privacy import record_view
from models import (
    Building,
    Call,
    CallEvent,
    Community,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
    audit,
    format_address,
)
from models.staff import Agent

from .exceptions import Refused

FOUND_MAX = 20
# "3栋2单元1502", "3栋1502", "3-2-1502", "3-1502", "3号楼1502室"
_ADDRESS = re.compile(
    r"^\s*(?P<building>[0-9A-Za-z]+)\s*(?:栋|幢|号楼|-|/|\s)\s*"
    r"(?:(?P<entrance>[0-9A-Za-z]+)\s*(?:单元|-|/)\s*)?"
    r"(?P<room>[0-9A-Za-z]+)\s*(?:室|号)?\s*$"
)


@dataclasses.dataclass(frozen=True)
class Found:
    """One resident at one unit (``resident_id`` None: the unit has nobody on file)."""

    resident_id: int | None
    name: str
    unit_id: int
    address: str
    community: str


def _units(scope: Collection[int]) -> Any:
    return (
        select(Unit, Building, Community)
        .join(Building, Building.id == Unit.building_id)
        .join(Community, Community.id == Building.community_id)
        .where(Community.id.in_(scope))
    )


def search(session: Session, text: str, scope: Collection[int]) -> list[Found]:
    """Residents (or empty units) at the address typed, else residents with that name."""
    text = text.strip()
    if not text or not scope:
        return []
    address = _ADDRESS.match(text)
    if address:
        query = _units(scope).where(
            Building.name == address["building"], Unit.room == address["room"]
        )
        if address["entrance"]:
            query = query.where(Unit.entrance == address["entrance"])
        units = session.execute(query.limit(FOUND_MAX)).all()
        found: list[Found] = []
        for unit, building, community in units:
            where = format_address(building.name, unit.entrance, unit.room)
            people = session.scalars(
                select(Resident)
                .join(Occupancy, Occupancy.resident_id == Resident.id)
                .where(Occupancy.unit_id == unit.id)
                .order_by(Occupancy.id)
            ).all()
            found += [Found(p.id, p.name, unit.id, where, community.name) for p in people]
            if not people:
                found.append(Found(None, "", unit.id, where, community.name))
        return found[:FOUND_MAX]
    rows = session.execute(
        _units(scope)
        .add_columns(Resident)
        .join(Occupancy, Occupancy.unit_id == Unit.id)
        .join(Resident, Resident.id == Occupancy.resident_id)
        .where(Resident.name.contains(text, autoescape=True))
        .order_by(Resident.name, Resident.id)
        .limit(FOUND_MAX)
    ).all()
    return [
        Found(r.id, r.name, u.id, format_address(b.name, u.entrance, u.room), c.name)
        for u, b, c, r in rows
    ]


def _unit_in_scope(session: Session, unit_id: int, scope: Collection[int]) -> Unit:
    row = session.execute(_units(scope).where(Unit.id == unit_id)).first()
    if row is None:
        raise Refused(_("No such unit in your communities."))
    unit: Unit = row[0]
    return unit


def attach(
    session: Session,
    agent: Agent,
    call: Call,
    *,
    resident_id: int | None,
    unit_id: int,
    scope: Collection[int],
    now: dt.datetime,
) -> None:
    """Tie ``call`` to a unit and (optionally) one of its residents; audited."""
    _unit_in_scope(session, unit_id, scope)
    if resident_id is not None:
        lives_there = session.scalar(
            select(Occupancy.id).where(
                Occupancy.unit_id == unit_id, Occupancy.resident_id == resident_id
            )
        )
        if lives_there is None:
            raise Refused(_("This resident is not on file at that unit."))
    call.resident_id, call.unit_id = resident_id, unit_id
    data = {"agent_id": agent.id, "resident_id": resident_id, "unit_id": unit_id}
    session.add(CallEvent(call_id=call.id, at=now, kind="agent.attached", data=data))
    audit(
        session, action="update", subject_type="call", subject_id=call.id, agent_id=agent.id,
        resident_id=resident_id, unit_id=unit_id,
    )  # fmt: skip
    if resident_id is not None:
        record_view(session, agent, "resident", resident_id, call_id=call.id, via="attach")
    session.flush()


def create_resident(
    session: Session,
    agent: Agent,
    call: Call,
    *,
    name: str,
    unit_id: int,
    role: str,
    scope: Collection[int],
    now: dt.datetime,
) -> Resident:
    """A new resident at ``unit_id`` with the caller's number, attached to ``call``; audited."""
    name = " ".join(name.split())[:100]
    if not name:
        raise Refused(_("Give the resident's name."))
    try:
        occupancy_role = ResidentRole(role)
    except ValueError:
        raise Refused(_("Choose the resident's role.")) from None
    _unit_in_scope(session, unit_id, scope)
    resident = Resident(name=name, created_at=now, updated_at=now)
    session.add(resident)
    session.flush()
    session.add(Occupancy(resident_id=resident.id, unit_id=unit_id, role=occupancy_role))
    if call.caller_e164:
        session.add(PhoneNumber(resident_id=resident.id, e164=call.caller_e164, is_primary=True))
    audit(
        session, action="create", subject_type="resident", subject_id=resident.id,
        agent_id=agent.id, call_id=call.id, unit_id=unit_id,
    )  # fmt: skip
    session.flush()
    attach(session, agent, call, resident_id=resident.id, unit_id=unit_id, scope=scope, now=now)
    return resident
