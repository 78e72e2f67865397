"""Calls and the events of their life: IVR steps, queueing, answer, hang-up."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from models.estate import Unit


class Direction(enum.StrEnum):
    """Who placed the call."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


# The call's columns filled in after it starts, indexed where set (Call.__table_args__).
SET_LATER = ("resident_id", "unit_id", "agent_id")


class Call(Base):
    """One telephone call through the hotline, inbound or outbound."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("provider", "provider_call_id"),
        Index("ix_calls_started_at", "started_at"),
        # A call has its resident, unit and agent only once the IVR or an agent knows
        # them; the rows without are left out, so that writing a new call (none of the
        # three yet) and then routing it touch three indexes fewer. Every query of
        # them compares a value (=, IN), which such an index serves.
        *(
            Index(f"ix_calls_{column}", column, postgresql_where=known, sqlite_where=known)
            for column, known in ((c, text(f"{c} IS NOT NULL")) for c in SET_LATER)
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))  # asterisk | twilio | simulator
    provider_call_id: Mapped[str] = mapped_column(String(64))  # Uniqueid or CallSid
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, 10))
    caller_number: Mapped[str] = mapped_column(String(40), default="")  # as presented
    caller_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    dialled_number: Mapped[str] = mapped_column(String(40), default="")  # the DNIS
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    queue: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str | None] = mapped_column(String(32))
    disposition_step: Mapped[str | None] = mapped_column(String(32))
    flow_state: Mapped[dict[str, Any] | None]  # the IVR flow's state between webhooks
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    # The agent who answered, and the call's wrap-up (every answered call gets one).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    answered_at: Mapped[dt.datetime | None]
    wrap_up_code: Mapped[str | None] = mapped_column(String(32))
    wrap_up_notes: Mapped[str] = mapped_column(Text, default="")
    wrapped_up_at: Mapped[dt.datetime | None]

    unit: Mapped[Unit | None] = relationship(back_populates="calls")
    events: WriteOnlyMapped[CallEvent] = relationship(
        back_populates="call", order_by="CallEvent.id", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Call(id={self.id!r}, provider={self.provider!r}, queue={self.queue!r})"


# The events a caller's wait in a queue is read from (agent_console/reports/calls.py).
QUEUE_EVENT_KINDS = (
    "queue.joined",
    "agent.connected",
    "queue.abandoned",
    "call.hangup",
    "call.queue_result",
)
_EMERGENCY_EVENTS = text("kind = 'call.emergency'")
_QUEUE_EVENTS = text("kind IN (" + ", ".join(f"'{k}'" for k in QUEUE_EVENT_KINDS) + ")")


class CallEvent(Base):
    """One step in a call's life, in the order it happened."""

    __tablename__ = "call_events"
    __table_args__ = (
        # A report reads the queue events of a period: by time, and on PostgreSQL with
        # everything it needs in the index itself (an index-only scan).
        Index(
            "ix_call_events_report",
            "at",
            postgresql_include=["call_id", "kind", "data"],
            postgresql_where=_QUEUE_EVENTS,
            sqlite_where=_QUEUE_EVENTS,
        ),
        # The dialer looks each round for emergencies the IVR took after hours.
        Index(
            "ix_call_events_emergency",
            "at",
            postgresql_where=_EMERGENCY_EVENTS,
            sqlite_where=_EMERGENCY_EVENTS,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"CallEvent(call_id={self.call_id!r}, kind={self.kind!r})"
