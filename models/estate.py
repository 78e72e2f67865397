"""The estate: communities (小区), buildings (栋), units (室), residents and their phones."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from models.calls import Call
    from models.work_orders import WorkOrder


class ResidentRole(enum.StrEnum):
    """How a resident is tied to a unit."""

    OWNER = "owner"  # 业主
    OCCUPANT = "occupant"  # 住户
    TENANT = "tenant"  # 租户
    FAMILY = "family"  # 家属


class Language(enum.StrEnum):
    """Languages the hotline speaks."""

    ZH_CN = "zh-CN"
    EN = "en"


class Community(Base):
    """A managed residential estate (小区/项目) with its own hotline numbers and hours."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. SH01, prefixes order numbers
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opens_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 30))
    closes_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(18, 0))
    business_days: Mapped[str] = mapped_column(String(7), default="1234567")  # ISO weekdays
    on_call_number: Mapped[str | None] = mapped_column(String(20))
    # The public emergency numbers callers are told to ring: the country's, unless set here.
    country: Mapped[str] = mapped_column(String(2), default="CN")  # ISO 3166-1 alpha-2
    fire_number: Mapped[str | None] = mapped_column(String(20))
    ambulance_number: Mapped[str | None] = mapped_column(String(20))
    police_number: Mapped[str | None] = mapped_column(String(20))
    # When the hotline may call residents (surveys, notices): local time, and days it never does.
    calling_from: Mapped[dt.time] = mapped_column(Time, default=dt.time(9, 0))
    calling_until: Mapped[dt.time] = mapped_column(Time, default=dt.time(20, 0))
    quiet_days: Mapped[str] = mapped_column(String(7), default="")  # ISO weekdays, e.g. "7"

    numbers: Mapped[list[HotlineNumber]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )
    buildings: Mapped[list[Building]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"Community(id={self.id!r}, code={self.code!r}, name={self.name!r})"


class HotlineNumber(Base):
    """A number residents dial (the DNIS) that reaches one community."""

    __tablename__ = "hotline_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), unique=True)

    community: Mapped[Community] = relationship(back_populates="numbers")

    def __repr__(self) -> str:
        return f"HotlineNumber(e164={self.e164!r}, community_id={self.community_id!r})"


class Building(Base):
    """A building (栋/楼) of a community."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))  # "3", "A", without the 栋 suffix

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building")

    def __repr__(self) -> str:
        return f"Building(id={self.id!r}, name={self.name!r})"


class Unit(Base):
    """A dwelling: building, optional entrance (单元), room (室)."""

    __tablename__ = "units"
    # entrance is "" when the building has none, so that the unique key holds on every database.
    __table_args__ = (UniqueConstraint("building_id", "entrance", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    entrance: Mapped[str] = mapped_column(String(10), default="")
    room: Mapped[str] = mapped_column(String(20))

    building: Mapped[Building] = relationship(back_populates="units")
    occupancies: Mapped[list[Occupancy]] = relationship(back_populates="unit")
    calls: WriteOnlyMapped[Call] = relationship(back_populates="unit")
    work_orders: WriteOnlyMapped[WorkOrder] = relationship(back_populates="unit")

    @property
    def address(self) -> str:
        """The address as the estate writes it, e.g. ``3栋2单元1502``."""
        return format_address(self.building.name, self.entrance, self.room)

    def __repr__(self) -> str:
        return f"Unit(id={self.id!r}, building_id={self.building_id!r}, room={self.room!r})"


def format_address(building: str, entrance: str, room: str) -> str:
    """``3栋2单元1502`` from its parts; the entrance is left out when there is none."""
    return f"{building}栋{entrance + '单元' if entrance else ''}{room}"


class Resident(Base):
    """A person on the estate's files (业主档案): confidential."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    language: Mapped[Language] = mapped_column(enum_column(Language, 8), default=Language.ZH_CN)
    senior_care: Mapped[bool] = mapped_column(Boolean, default=False)  # 居家养老 enrolled
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    survey_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    arrears_cents: Mapped[int | None] = mapped_column(Integer)  # fees owed, where recorded
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    occupancies: Mapped[list[Occupancy]] = relationship(
        back_populates="resident", cascade="all, delete-orphan"
    )
    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )

    def __repr__(self) -> str:
        return f"Resident(id={self.id!r}, name={self.name!r})"


class Occupancy(Base):
    """A resident's tie to a unit, in a role: one person may hold several units."""

    __tablename__ = "occupancies"
    __table_args__ = (UniqueConstraint("resident_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[ResidentRole] = mapped_column(enum_column(ResidentRole, 10))

    resident: Mapped[Resident] = relationship(back_populates="occupancies")
    unit: Mapped[Unit] = relationship(back_populates="occupancies")

    def __repr__(self) -> str:
        return f"Occupancy(resident_id={self.resident_id!r}, unit_id={self.unit_id!r})"


class PhoneNumber(Base):
    """A resident's phone number in E.164; several residents may share one."""

    __tablename__ = "phone_numbers"
    __table_args__ = (
        UniqueConstraint("resident_id", "e164"),
        # Caller lookup reads by number; the primary flag orders the matches.
        Index("ix_phone_numbers_e164", "e164"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(20), default="mobile")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    resident: Mapped[Resident] = relationship(back_populates="phones")

    def __repr__(self) -> str:
        return f"PhoneNumber(resident_id={self.resident_id!r}, e164={self.e164!r})"
