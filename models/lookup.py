"""Caller lookup: who is calling, from the number they call from."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.estate import (
    Building,
    Community,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
    format_address,
)
from models.phones import caller_e164


@dataclasses.dataclass(frozen=True)
class UnitMatch:
    """A unit the caller is tied to, and how."""

    unit_id: int
    address: str
    role: ResidentRole
    community_id: int
    community_code: str
    community_name: str


@dataclasses.dataclass(frozen=True)
class CallerMatch:
    """A resident whose file holds the caller's number, with their units."""

    resident_id: int
    name: str
    language: str
    senior_care: bool
    do_not_call: bool
    primary: bool  # the number is this resident's primary contact
    units: tuple[UnitMatch, ...]


def lookup_caller(
    session: Session, raw_number: str | None, region: str = "CN"
) -> list[CallerMatch]:
    """Every resident reachable on ``raw_number``, primary contacts first.

    A withheld, anonymous or malformed caller ID matches nobody and raises nothing.
    """
    e164 = caller_e164(raw_number, region)
    if e164 is None:
        return []
    people = session.execute(
        select(
            Resident.id,
            Resident.name,
            Resident.language,
            Resident.senior_care,
            Resident.do_not_call,
            PhoneNumber.is_primary,
        )
        .join(PhoneNumber, PhoneNumber.resident_id == Resident.id)
        .where(PhoneNumber.e164 == e164)
        .order_by(PhoneNumber.is_primary.desc(), Resident.id)
    ).all()
    if not people:
        return []
    units = _units_of(session, [p.id for p in people])
    return [
        CallerMatch(
            resident_id=p.id,
            name=p.name,
            language=str(p.language),
            senior_care=p.senior_care,
            do_not_call=p.do_not_call,
            primary=p.is_primary,
            units=tuple(units.get(p.id, ())),
        )
        for p in people
    ]


def _units_of(session: Session, resident_ids: list[int]) -> dict[int, list[UnitMatch]]:
    """The units of each resident, in address order."""
    rows = session.execute(
        select(
            Occupancy.resident_id,
            Occupancy.role,
            Unit.id,
            Unit.entrance,
            Unit.room,
            Building.name,
            Community.id,
            Community.code,
            Community.name,
        )
        .join(Unit, Unit.id == Occupancy.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Community, Community.id == Building.community_id)
        .where(Occupancy.resident_id.in_(resident_ids))
        .order_by(Occupancy.resident_id, Community.code, Building.name, Unit.entrance, Unit.room)
    ).all()
    found: dict[int, list[UnitMatch]] = {}
    for resident_id, role, unit_id, entrance, room, building, cid, code, cname in rows:
        found.setdefault(resident_id, []).append(
            UnitMatch(
                unit_id=unit_id,
                address=format_address(building, entrance, room),
                role=role,
                community_id=cid,
                community_code=code,
                community_name=cname,
            )
        )
    return found
