"""On-call rotations (值班表) and the escalations that call them after an emergency.

- An :class:`OnCallRotation` is one community's rota for one trade (plumbing,
  electrical, lifts, security): how long to wait before calling the same person
  again, how many times each person is tried, and the supervisor called when the
  whole ladder failed.
- An :class:`OnCallShift` is one stretch of that rota's calendar (``starts_at`` …
  ``ends_at``) with its ladder: :class:`OnCallStep` rows, position 1 the person on
  call, 2, 3 … the backups, in the order they are called.
- An :class:`Escalation` is one emergency work order's ladder being called: the
  people as they were when it started (a later edit of the calendar does not
  change a ladder already running), the rung being called, and who accepted, when.
  Each rung is an :class:`~models.outbound.OutboundJob` of purpose ``on_call``: the
  dialer places its calls like any other job's, so a dialer restart neither restarts
  nor loses a ladder.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow

TRADES = ("plumbing", "electrical", "lifts", "security")
DEFAULT_TRADE = "security"  # an emergency of no trade (other): the guards are on call all night


class OnCallRotation(Base):
    """One community's on-call rota for one trade, and how its ladder is called."""

    __tablename__ = "on_call_rotations"
    __table_args__ = (UniqueConstraint("community_id", "trade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    trade: Mapped[str] = mapped_column(String(16))  # one of TRADES
    retry_seconds: Mapped[int] = mapped_column(Integer, default=120)  # before calling again
    tries_per_person: Mapped[int] = mapped_column(Integer, default=2)
    supervisor_name: Mapped[str] = mapped_column(String(100), default="")
    supervisor_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shifts: Mapped[list[OnCallShift]] = relationship(
        back_populates="rotation", cascade="all, delete-orphan", order_by="OnCallShift.starts_at"
    )

    def __repr__(self) -> str:
        return f"OnCallRotation(id={self.id!r}, trade={self.trade!r})"


class OnCallShift(Base):
    """Who is on call from ``starts_at`` until ``ends_at``: the ladder, first person first."""

    __tablename__ = "on_call_shifts"
    __table_args__ = (Index("ix_on_call_shifts_when", "rotation_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("on_call_rotations.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    rotation: Mapped[OnCallRotation] = relationship(back_populates="shifts")
    steps: Mapped[list[OnCallStep]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="OnCallStep.position"
    )

    def __repr__(self) -> str:
        return f"OnCallShift(id={self.id!r}, {self.starts_at!r}–{self.ends_at!r})"


class OnCallStep(Base):
    """One rung of a shift's ladder: position 1 is on call, 2, 3 … back them up."""

    __tablename__ = "on_call_steps"

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("on_call_shifts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)

    shift: Mapped[OnCallShift] = relationship(back_populates="steps")

    def __repr__(self) -> str:
        return f"OnCallStep({self.shift_id!r}, {self.position!r}, tech={self.technician_id!r})"


class EscalationStatus(enum.StrEnum):
    """Where an emergency's ladder stands."""

    CALLING = "calling"  # a rung's job is scheduled or being called
    ACCEPTED = "accepted"  # someone pressed 1: the ladder stopped
    EXHAUSTED = "exhausted"  # everyone, the supervisor last, was tried and none accepted
    CANCELLED = "cancelled"  # the order was dealt with otherwise


class Escalation(Base):
    """One emergency work order's on-call ladder: who is called, and who accepted when.

    ``ladder`` is the list of people as the escalation started, each
    ``{"name", "phone", "technician_id", "role"}`` with ``role`` first, backup or
    supervisor; ``rung`` indexes the one being called.
    """

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    trade: Mapped[str] = mapped_column(String(16))
    status: Mapped[EscalationStatus] = mapped_column(
        enum_column(EscalationStatus, 12), default=EscalationStatus.CALLING
    )
    ladder: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rung: Mapped[int] = mapped_column(Integer, default=0)
    retry_seconds: Mapped[int] = mapped_column(Integer, default=120)
    tries_per_person: Mapped[int] = mapped_column(Integer, default=2)
    eta_minutes: Mapped[int] = mapped_column(Integer, default=10)  # told to the resident
    accepted_name: Mapped[str] = mapped_column(String(100), default="")
    accepted_technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    accepted_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"Escalation(id={self.id!r}, order={self.work_order_id!r}, {self.status!r})"
