"""What every telephony adapter asks of the database for an inbound call.

- :func:`find_community`: the community a dialled number (DNIS) reaches;
- :func:`build_context`: the flow's :class:`~ivr.flow.CallContext` for a caller;
- :func:`answer_lookup`: the flow's :class:`~ivr.flow.Lookup` questions answered.

Adapters call these inside their own fail-safe: if the database is out, the flow
still runs with an unknown caller.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, or_, select
from sqlalchemy.orm import Session

from ivr import flow
from models import Building, Community, HotlineNumber, Status, Unit, WorkOrder, format_address
from models.db import PreparedList
from models.incidents import affecting
from models.lookup import lookup_caller
from models.phones import caller_e164
from models.sla import is_overdue

OPEN_STATUSES = (Status.OPEN, Status.DISPATCHED, Status.ON_SITE)
MAX_WORK_ORDERS = 5


@dataclasses.dataclass(frozen=True)
class CommunityInfo:
    """What a call needs to know of its community (read without the ORM)."""

    id: int
    code: str
    name: str
    name_en: str
    timezone: str
    opens_at: dt.time
    closes_at: dt.time
    business_days: str
    on_call_number: str | None
    country: str = "CN"
    fire_number: str | None = None
    ambulance_number: str | None = None
    police_number: str | None = None


_COMMUNITY_COLUMNS = (
    Community.id,
    Community.code,
    Community.name,
    Community.name_en,
    Community.timezone,
    Community.opens_at,
    Community.closes_at,
    Community.business_days,
    Community.on_call_number,
    Community.country,
    Community.fire_number,
    Community.ambulance_number,
    Community.police_number,
)


# Built once, run on the session's connection: plain Core, compiled once and cached.
_COMMUNITY_BY_NUMBER = (
    select(*_COMMUNITY_COLUMNS).join(HotlineNumber).where(HotlineNumber.e164 == bindparam("e164"))
)
_FIRST_COMMUNITY = select(*_COMMUNITY_COLUMNS).order_by(Community.id).limit(1)


Reader = Session | Connection  # a session, or (cheaper) a connection, to read with


def connection_of(db: Reader) -> Connection:
    """The connection to run Core statements on."""
    return db if isinstance(db, Connection) else db.connection()


def find_community(session: Reader, dialled: str, region: str) -> CommunityInfo | None:
    """The community whose hotline number was dialled; the only (or first) one otherwise."""
    e164 = caller_e164(dialled, region)
    conn = connection_of(session)
    row = conn.execute(_COMMUNITY_BY_NUMBER, {"e164": e164}).first() if e164 else None
    if row is None:
        row = conn.execute(_FIRST_COMMUNITY).first()
    return CommunityInfo(*row) if row else None


class CommunityDirectory:
    """:func:`find_community` remembered for ``ttl`` seconds per dialled number.

    Communities and their hotline numbers change rarely; every call asks.
    """

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, CommunityInfo | None]] = {}

    def find(self, session: Reader, dialled: str, region: str) -> CommunityInfo | None:
        key, now = (dialled, region), self._clock()
        hit = self._known.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = find_community(session, dialled, region)
        self._known[key] = (now + self.ttl, found)
        return found


def build_context(
    session: Reader,
    *,
    call_id: str,
    caller: str,
    community: CommunityInfo | None,
    region: str,
    now: dt.datetime,
) -> flow.CallContext:
    """Who is calling, their units in this community, and their open work orders."""
    if community is None:
        return unknown_context(call_id, now)
    matches = lookup_caller(session, caller, region)
    residents = [
        flow.ResidentRef(
            resident_id=m.resident_id,
            name=m.name,
            language=m.language,
            senior_care=m.senior_care,
            units=[
                flow.UnitRef(u.unit_id, u.address)
                for u in m.units
                if u.community_id == community.id
            ],
        )
        for m in matches
    ]
    unit_ids = sorted({u.unit_id for r in residents for u in r.units})
    return flow.CallContext(
        call_id=call_id,
        community=flow.Community(community.code, community.name, community.name_en),
        now=now.astimezone(ZoneInfo(community.timezone)).isoformat(),
        hours=flow.BusinessHours(
            open=community.opens_at.strftime("%H:%M"),
            close=community.closes_at.strftime("%H:%M"),
            weekdays=[int(d) for d in community.business_days],
        ),
        on_call_number=community.on_call_number,
        caller_known=bool(residents),
        residents=residents,
        work_orders=_open_work_orders(session, unit_ids, now),
        emergency_numbers=flow.policy.emergency_numbers(
            community.country,
            community.fire_number,
            community.ambulance_number,
            community.police_number,
        ),
        incidents=_incidents(session, community.id, unit_ids),
    )


def _incidents(session: Reader, community_id: int, unit_ids: list[int]) -> list[flow.IncidentRef]:
    """The open incidents the caller is affected by (an unknown caller: community-wide ones)."""
    return [
        flow.IncidentRef(incident_id, message, message_en)
        for incident_id, message, message_en in affecting(
            connection_of(session), community_id, unit_ids
        )
    ]


def unknown_context(call_id: str, now: dt.datetime) -> flow.CallContext:
    """The context when nothing can be read: an unknown caller, open hours, no on-call."""
    return flow.CallContext(
        call_id=call_id,
        community=flow.Community(code="", name="", name_en=""),
        now=now.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(),
        hours=flow.BusinessHours(open="00:00", close="00:00"),
    )


_OPEN_WORK_ORDERS = PreparedList(
    lambda units: (
        select(
            WorkOrder.number,
            WorkOrder.status,
            WorkOrder.category,
            WorkOrder.created_at,
            WorkOrder.unit_id,
        )
        .where(
            WorkOrder.unit_id.in_(units),
            or_(*(WorkOrder.status == status for status in OPEN_STATUSES)),
        )
        .order_by(WorkOrder.created_at.desc())
        .limit(MAX_WORK_ORDERS)
    ),
    "unit",
)


def _open_work_orders(
    session: Reader, unit_ids: list[int], now: dt.datetime
) -> list[flow.WorkOrderRef]:
    if not unit_ids:
        return []
    orders = _OPEN_WORK_ORDERS.execute(connection_of(session), unit_ids)
    return [
        flow.WorkOrderRef(
            number=number,
            status=status.value,
            overdue=is_overdue(category, created_at, now),
            unit_id=unit_id,
        )
        for number, status, category, created_at, unit_id in orders
    ]


_DIGITS = re.compile(r"\d+")


def answer_lookup(session: Reader, lookup: flow.Lookup, community_code: str) -> flow.LookupResult:
    """Answer the flow's question; an unknown kind gets an empty answer."""
    if lookup.kind != "unit":
        return flow.LookupResult(kind=lookup.kind, data={})
    building = str(lookup.params.get("building", "")).lstrip("0") or "0"
    room = str(lookup.params.get("room", ""))
    unit = _find_unit(connection_of(session), community_code, building, room)
    if unit is None:
        return flow.LookupResult(kind="unit", data={"unit_id": None})
    unit_id, building_name, entrance, unit_room = unit
    address = format_address(building_name, entrance, unit_room)
    return flow.LookupResult(kind="unit", data={"unit_id": unit_id, "address": address})


_UNITS_IN_BUILDING = (
    select(Unit.id, Building.name, Unit.entrance, Unit.room)
    .join(Building, Building.id == Unit.building_id)
    .join(Community, Community.id == Building.community_id)
    .where(Community.code == bindparam("code"), Building.name == bindparam("building"))
)
_UNITS_BY_ROOM = _UNITS_IN_BUILDING.where(Unit.room == bindparam("room")).limit(2)
_UNIT_BY_ENTRANCE = (
    _UNITS_IN_BUILDING.where(Unit.entrance == bindparam("entrance"), Unit.room == bindparam("room"))
    .order_by(Unit.id)
    .limit(1)
)


def _find_unit(
    conn: Connection, code: str, building: str, room: str
) -> Row[int, str, str, str] | None:
    """The unit typed on the keypad: the room alone, or entrance digit then room (21502).

    A room number that exists in several entrances of the building is ambiguous on
    its own and matches nothing; the caller then types the entrance first.
    """
    where = {"code": code, "building": building}
    candidates = conn.execute(_UNITS_BY_ROOM, {**where, "room": room}).all()
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and len(room) > 3:
        found = {**where, "entrance": room[0], "room": room[1:]}
        return conn.execute(_UNIT_BY_ENTRANCE, found).first()
    return None
