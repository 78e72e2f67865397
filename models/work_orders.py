"""Work orders (派工单) and their gapless numbers.

A work order's number, e.g. ``SH01-2026-000123``, is sequential per community per
year and never skipped, reused or edited. The counter row for (community, year) is
incremented in the same transaction that inserts the work order, so a rollback
takes the number back with it and concurrent creators queue on the counter row:
PostgreSQL locks the row for the UPDATE, SQLite's transactions start IMMEDIATE
(see models.db) so writers queue on the database lock.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.estate import Community

if TYPE_CHECKING:
    from models.estate import Unit


class Category(enum.StrEnum):
    """Kinds of request (求助服务分类)."""

    EMERGENCY = "emergency"  # 紧急
    REPAIR = "repair"  # 报修
    INQUIRY = "inquiry"  # 咨询
    COMPLAINT = "complaint"  # 投诉
    HOME_SERVICE = "home_service"  # 居家服务


class Status(enum.StrEnum):
    """Where a work order stands."""

    OPEN = "open"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CLOSED = "closed"


class Location(enum.StrEnum):
    """Where the work is."""

    IN_UNIT = "in_unit"  # 户内
    COMMON_AREA = "common_area"  # 公共区域


class Severity(enum.StrEnum):
    """A complaint's tier (domain-rules.md: major / important / minor)."""

    MAJOR = "major"  # 重大
    IMPORTANT = "important"  # 重要
    MINOR = "minor"  # 轻微


class ComplaintType(enum.StrEnum):
    """Valid complaints against the communicative kinds (沟通性投诉)."""

    VALID = "valid"  # 有效投诉
    HELP_SEEKING = "help_seeking"  # 求助型
    QUESTIONING = "questioning"  # 咨询型
    VENTING = "venting"  # 发泄型


class Team(Base):
    """A team work is dispatched to (工程部, 保安, 保洁 …), in one community."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    trade: Mapped[str] = mapped_column(String(32), default="")  # plumbing, electrical, lifts …

    technicians: Mapped[list[Technician]] = relationship(
        back_populates="team", order_by="Technician.id"
    )

    def __repr__(self) -> str:
        return f"Team(id={self.id!r}, name={self.name!r})"


class Technician(Base):
    """A person of a team who goes to the site."""

    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_on: Mapped[dt.date | None]  # a new staff member's service is always surveyed

    team: Mapped[Team] = relationship(back_populates="technicians")

    def __repr__(self) -> str:
        return f"Technician(id={self.id!r}, name={self.name!r})"


class WorkOrderCounter(Base):
    """The last number issued for a community in a year: one row per (community, year)."""

    __tablename__ = "work_order_counters"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"WorkOrderCounter({self.community_id!r}, {self.year!r}, last={self.last_seq!r})"


class WorkOrder(Base):
    """A request to be done (派工单), owned by the agent who first took it (首问责任制)."""

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("community_id", "year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    owner_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    category: Mapped[Category] = mapped_column(enum_column(Category, 16))
    subcategory: Mapped[str] = mapped_column(String(32), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[Status] = mapped_column(enum_column(Status, 12), default=Status.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What and where (the console's work-order form).
    location: Mapped[Location] = mapped_column(enum_column(Location, 12), default=Location.IN_UNIT)
    location_detail: Mapped[str] = mapped_column(String(200), default="")  # a common area's place
    appointment_from: Mapped[dt.datetime | None]  # 方便维修的时间
    appointment_to: Mapped[dt.datetime | None]
    paid: Mapped[bool] = mapped_column(Boolean, default=False)  # 有偿 (else free, 保修期内)
    large_problem: Mapped[bool] = mapped_column(Boolean, default=False)  # answer within 3 days
    severity: Mapped[Severity | None] = mapped_column(enum_column(Severity, 10))
    complaint_type: Mapped[ComplaintType | None] = mapped_column(enum_column(ComplaintType, 14))
    # Deadlines, computed when the order is opened (models.sla).
    dispatch_due_at: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # Who does it, and when each status was reached.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True)
    dispatched_at: Mapped[dt.datetime | None]
    on_site_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None] = mapped_column(index=True)  # a month's callbacks
    closed_at: Mapped[dt.datetime | None]
    rework_count: Mapped[int] = mapped_column(Integer, default=0)  # reopened: 返修
    # What the survey rules need (回访): the leak's water test, a difficult issue (the
    # supervisor calls back within 24 h), and for home services the always-call cases.
    water_test_at: Mapped[dt.datetime | None]
    difficult: Mapped[bool] = mapped_column(Boolean, default=False)
    service_item: Mapped[str] = mapped_column(String(40), default="")  # home service item
    new_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    new_service_item: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit | None] = relationship(back_populates="work_orders")
    community: Mapped[Community] = relationship()

    def __repr__(self) -> str:
        return f"WorkOrder(number={self.number!r}, status={self.status!r})"


class WorkOrderChange(Base):
    """One status change of a work order: from, to, when and by whom. Only ever added."""

    __tablename__ = "work_order_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, 12))
    to_status: Mapped[Status] = mapped_column(enum_column(Status, 12))
    note: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"WorkOrderChange({self.work_order_id!r}, {self.from_status!r}->{self.to_status!r})"


IMMUTABLE_COLUMNS = ("number", "community_id", "year", "seq")


class NumberIsImmutable(Exception):
    """Raised when code tries to change or delete an issued work-order number."""


@event.listens_for(WorkOrder, "before_update")
def _refuse_number_change(mapper: object, connection: object, target: WorkOrder) -> None:
    """The ORM side of the rule; the database's triggers (migration 0001) enforce it too."""
    state = inspect(target)
    for name in IMMUTABLE_COLUMNS:
        if state.attrs[name].history.has_changes():
            raise NumberIsImmutable(f"work order {target.number}: {name} is never edited")


@event.listens_for(WorkOrder, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: WorkOrder) -> None:
    raise NumberIsImmutable(f"work order {target.number} is never deleted")


def format_number(code: str, year: int, seq: int) -> str:
    """``SH01-2026-000123``: community code, year, six-digit sequence."""
    return f"{code}-{year}-{seq:06d}"


def next_number(session: Session, community: Community, when: dt.datetime) -> tuple[int, int]:
    """Take the next (year, seq) for ``community`` inside the session's transaction.

    The year is the community's local year at ``when``. Commit or roll back the
    transaction to keep or give back the number.
    """
    year = when.astimezone(ZoneInfo(community.timezone)).year
    table = cast(Table, WorkOrderCounter.__table__)
    bump = (
        update(table)
        .where(table.c.community_id == community.id, table.c.year == year)
        .values(last_seq=table.c.last_seq + 1)
        .returning(table.c.last_seq)
    )
    seq = session.execute(bump).scalar_one_or_none()
    if seq is None:
        dialect_insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        session.execute(
            dialect_insert(table)
            .values(community_id=community.id, year=year, last_seq=0)
            .on_conflict_do_nothing()
        )
        seq = session.execute(bump).scalar_one()
    return year, seq


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def create_work_order(
    session: Session,
    *,
    community: Community,
    category: Category,
    description: str = "",
    subcategory: str = "",
    unit_id: int | None = None,
    resident_id: int | None = None,
    call_id: int | None = None,
    owner_agent_id: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Open a work order with the next number of its community; flushed, not committed."""
    created = now or utcnow()
    year, seq = next_number(session, community, created)
    order = WorkOrder(
        number=format_number(community.code, year, seq),
        community_id=community.id,
        year=year,
        seq=seq,
        category=category,
        subcategory=subcategory,
        description=description,
        unit_id=unit_id,
        resident_id=resident_id,
        call_id=call_id,
        owner_agent_id=owner_agent_id,
        created_at=created,
        updated_at=created,
    )
    session.add(order)
    session.flush()
    return order
