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

    unit: Mapped[Unit | None] = relationship(back_populates="work_orders")
    community: Mapped[Community] = relationship()

    def __repr__(self) -> str:
        return f"WorkOrder(number={self.number!r}, status={self.status!r})"


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
