"""Incidents (突发事件: burst main, power cut, lift out) declared for a community, some of
its buildings, or a set of its units, while they last.

Callers from the affected units (every caller, for a community-wide incident) hear the
incident's status message before the menu; a call that stays with it is linked to it
(a ``call.incident`` CallEvent) instead of becoming a new work order. Closing an
incident may start a notice campaign to the affected households.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    bindparam,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.db import PreparedList
from models.estate import Building, Unit

MAX_MESSAGE = 500  # a status message is short: it is played before the menu


class IncidentScope(enum.StrEnum):
    """Which callers an incident concerns."""

    COMMUNITY = "community"  # everyone calling the community
    BUILDINGS = "buildings"  # the units of some buildings
    UNITS = "units"  # a set of units


class IncidentStatus(enum.StrEnum):
    """Whether an incident is still going on."""

    OPEN = "open"
    CLOSED = "closed"


incident_buildings = Table(
    "incident_buildings",
    Base.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)

incident_units = Table(
    "incident_units",
    Base.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Incident(Base):
    """One incident, from its declaration to its closing."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    scope: Mapped[IncidentScope] = mapped_column(enum_column(IncidentScope, 12))
    title: Mapped[str] = mapped_column(String(100))  # what the console lists
    message: Mapped[str] = mapped_column(Text)  # the status callers hear (zh-CN)
    message_en: Mapped[str] = mapped_column(Text, default="")  # for English callers
    recording: Mapped[str] = mapped_column(String(200), default="")  # its recorded master
    status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, 8), default=IncidentStatus.OPEN
    )
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    closed_at: Mapped[dt.datetime | None]
    notice_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))

    buildings: Mapped[list[Building]] = relationship(secondary=incident_buildings)
    units: Mapped[list[Unit]] = relationship(secondary=incident_units)

    def __repr__(self) -> str:
        return f"Incident(id={self.id!r}, scope={self.scope!r}, status={self.status!r})"


MAX_HEARD = 3  # a caller hears at most this many incidents' status, newest first


def _affecting(units: list[BindParameter[Any]]) -> Select[int, str, str]:
    concerns = [Incident.scope == IncidentScope.COMMUNITY]
    if units:
        in_building = (
            select(incident_buildings.c.incident_id)
            .join(Unit, Unit.building_id == incident_buildings.c.building_id)
            .where(Unit.id.in_(units))
        )
        in_unit = select(incident_units.c.incident_id).where(incident_units.c.unit_id.in_(units))
        concerns += [Incident.id.in_(in_building), Incident.id.in_(in_unit)]
    return (
        select(Incident.id, Incident.message, Incident.message_en)
        .where(
            Incident.community_id == bindparam("community"),
            Incident.status == IncidentStatus.OPEN,
            or_(*concerns),
        )
        .order_by(Incident.declared_at.desc(), Incident.id.desc())
        .limit(MAX_HEARD)
    )


# Every call's lookup runs it, on the driver's cursor (building the expression, or
# SQLAlchemy's execution of it, cost more than SQLite's work).
_AFFECTING = PreparedList(_affecting, "unit")


def affecting(
    conn: Connection, community_id: int, unit_ids: list[int]
) -> list[tuple[int, str, str]]:
    """The open incidents of the community that concern a caller from ``unit_ids``
    (none known: only the community-wide ones), newest first: id, message, message_en.
    """
    return _AFFECTING.execute(conn, unit_ids, {"community": community_id})


def affected_units(session: Session, incident: Incident) -> list[int]:
    """The ids of every unit the incident concerns."""
    query = select(Unit.id).join(Building, Building.id == Unit.building_id)
    if incident.scope is IncidentScope.COMMUNITY:
        query = query.where(Building.community_id == incident.community_id)
    elif incident.scope is IncidentScope.BUILDINGS:
        query = query.where(Building.id.in_([b.id for b in incident.buildings]))
    else:
        query = query.where(Unit.id.in_([u.id for u in incident.units]))
    return list(session.scalars(query.order_by(Unit.id)))
