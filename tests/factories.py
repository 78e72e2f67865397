"""Small builders for test data: an estate with named units and residents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models import (
    Building,
    Community,
    HotlineNumber,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
)


def community(
    session: Session, code: str = "SH01", name: str = "阳光花园", **kw: object
) -> Community:
    c = Community(
        code=code,
        name=name,
        name_en=kw.pop("name_en", "Sunshine Garden"),
        timezone=kw.pop("timezone", "Asia/Shanghai"),
        opens_at=kw.pop("opens_at", dt.time(8, 30)),
        closes_at=kw.pop("closes_at", dt.time(18, 0)),
        **kw,
    )
    session.add(c)
    session.flush()
    return c


def hotline_number(session: Session, c: Community, e164: str) -> HotlineNumber:
    n = HotlineNumber(community_id=c.id, e164=e164)
    session.add(n)
    session.flush()
    return n


def unit(session: Session, c: Community, building: str, room: str, entrance: str = "") -> Unit:
    b = session.query(Building).filter_by(community_id=c.id, name=building).one_or_none()
    if b is None:
        b = Building(community_id=c.id, name=building)
        session.add(b)
        session.flush()
    u = Unit(building_id=b.id, entrance=entrance, room=room)
    session.add(u)
    session.flush()
    return u


def resident(
    session: Session,
    name: str,
    *,
    units: list[tuple[Unit, ResidentRole]] = (),  # type: ignore[assignment]
    phones: list[tuple[str, bool]] = (),  # type: ignore[assignment]
    **kw: object,
) -> Resident:
    r = Resident(name=name, **kw)
    session.add(r)
    session.flush()
    for u, role in units:
        session.add(Occupancy(resident_id=r.id, unit_id=u.id, role=role))
    for e164, primary in phones:
        session.add(PhoneNumber(resident_id=r.id, e164=e164, is_primary=primary))
    session.flush()
    return r
