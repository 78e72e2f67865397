"""Caller lookup: who is calling, from the number they call from."""

from __future__ import annotations

import dataclasses
import functools
import re

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from models.db import Prepared
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


# Built once: one round trip per lookup, people and their units together, primary
# contacts first. Units come in address order (buildings by number when numeric).
_BY_NUMBER = (
    select(
        Resident.id,
        Resident.name,
        Resident.language,
        Resident.senior_care,
        Resident.do_not_call,
        PhoneNumber.is_primary,
        Occupancy.role,
        Unit.id,
        Unit.entrance,
        Unit.room,
        Building.name,
        Community.id,
        Community.code,
        Community.name,
    )
    .join(PhoneNumber, PhoneNumber.resident_id == Resident.id)
    .outerjoin(Occupancy, Occupancy.resident_id == Resident.id)
    .outerjoin(Unit, Unit.id == Occupancy.unit_id)
    .outerjoin(Building, Building.id == Unit.building_id)
    .outerjoin(Community, Community.id == Building.community_id)
    .where(PhoneNumber.e164 == bindparam("e164"))
    .order_by(PhoneNumber.is_primary.desc(), Resident.id)
)
_BY_NUMBER_PREPARED = Prepared(_BY_NUMBER)  # run on the driver's cursor: see models.db


@functools.lru_cache(maxsize=1024)
def cached_e164(raw_number: str | None, region: str = "CN") -> str | None:
    """:func:`~models.phones.caller_e164`, remembered for the numbers of recent calls.

    Parsing a number costs as much as the lookup's query; a call needs it twice
    (the lookup, and the call record).
    """
    return caller_e164(raw_number, region)


def lookup_caller(
    session: Session | Connection, raw_number: str | None, region: str = "CN"
) -> list[CallerMatch]:
    """Every resident reachable on ``raw_number``, primary contacts first.

    ``session`` may be a Connection: a caller that reads nothing else saves the Session.

    A withheld, anonymous or malformed caller ID matches nobody and raises nothing.
    """
    e164 = cached_e164(raw_number, region)
    if e164 is None:
        return []
    people: dict[int, tuple[tuple, list[UnitMatch]]] = {}
    conn = session if isinstance(session, Connection) else session.connection()
    for row in _BY_NUMBER_PREPARED.execute(conn, {"e164": e164}):
        (
            rid,
            name,
            language,
            senior,
            dnc,
            primary,
            role,
            uid,
            entrance,
            room,
            bname,
            cid,
            code,
            cname,
        ) = row
        _, units = people.setdefault(rid, ((rid, name, language, senior, dnc, primary), []))
        if uid is not None:
            units.append(
                UnitMatch(uid, format_address(bname, entrance, room), role, cid, code, cname)
            )
    return [
        CallerMatch(
            resident_id=rid,
            name=name,
            language=str(language),
            senior_care=senior,
            do_not_call=dnc,
            primary=primary,
            units=tuple(sorted(units, key=_address_order)),
        )
        for (rid, name, language, senior, dnc, primary), units in people.values()
    ]


def _address_order(unit: UnitMatch) -> tuple:
    """Community, then building and room as people count them: 3栋 before 12栋."""
    return (unit.community_code, *_natural(unit.address))


def _natural(text: str) -> list[tuple[int, int | str]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in _PARTS.findall(text)]


_PARTS = re.compile(r"\d+|\D+")
