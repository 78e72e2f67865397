"""Who can take a call now, and the residents waiting to be called back.

An agent's presence (在线状态) is one row per agent: available, offered (the
dispatcher has reserved them for one call or callback), on a call they answered,
paused with a reason, in wrap-up after a call (话后处理), or offline. Only
available agents are offered calls, and never one whose last answered call has
no wrap-up yet (:func:`undisposed_call`).

A callback request (回拨) is a row, so a pending one survives a restart; it
keeps the time its caller joined the queue, which is its place in line.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Exists, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.orm import (
    InstrumentedAttribute,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from models.base import Base, enum_column, utcnow
from models.calls import Call
from models.staff import Agent


class PresenceState(enum.StrEnum):
    """What an agent is doing, as far as the dispatcher cares."""

    AVAILABLE = "available"  # may be offered the next call
    OFFERED = "offered"  # reserved by the dispatcher for one call or callback
    ON_CALL = "on_call"  # talking: answered the call in ``call_id``
    PAUSED = "paused"  # away, with a reason (break, meeting, training)
    WRAP_UP = "wrap_up"  # after a call: notes, work order
    OFFLINE = "offline"


BUSY = (PresenceState.OFFERED, PresenceState.ON_CALL)  # states that keep their call_id
# The reason of a wrap-up the agent chose on the desk (after-call work of their own):
# it lasts until they end it, where the wrap-up after a call ends with its time.
CHOSEN_WRAP_UP = "chosen"


class CallbackStatus(enum.StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"  # waiting for an agent, at its caller's place in line
    CALLING = "calling"  # the resident's phone is being rung, an agent reserved
    CONNECTED = "connected"  # the resident pressed 1 and was put through
    FAILED = "failed"  # given up after the last attempt: a manual follow-up
    CANCELLED = "cancelled"


class AgentPresence(Base):
    """One agent's current presence, and the call or callback they were offered."""

    __tablename__ = "agent_presence"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), unique=True)
    state: Mapped[PresenceState] = mapped_column(
        enum_column(PresenceState, 12), default=PresenceState.OFFLINE
    )
    reason: Mapped[str | None] = mapped_column(String(100))
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    callback_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="SET NULL")
    )

    agent: Mapped[Agent] = relationship()

    def __repr__(self) -> str:
        return f"AgentPresence(agent_id={self.agent_id!r}, state={self.state!r})"


class CallbackRequest(Base):
    """A caller who chose to be called back instead of waiting in the queue."""

    __tablename__ = "callback_requests"
    __table_args__ = (Index("ix_callback_requests_status", "status", "enqueued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    number: Mapped[str] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(8))
    queue: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[dt.datetime]  # when the caller joined the queue: the place in line
    status: Mapped[CallbackStatus] = mapped_column(
        enum_column(CallbackStatus, 12), default=CallbackStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    provider_call_id: Mapped[str | None] = mapped_column(String(64))  # the outbound leg
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"CallbackRequest(id={self.id!r}, status={self.status!r}, queue={self.queue!r})"


def set_presence(
    session: Session,
    agent: Agent,
    state: PresenceState | str,
    reason: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> AgentPresence:
    """Set ``agent``'s presence (flushed, not committed); a reason only goes with a pause,
    and with a wrap-up only :data:`CHOSEN_WRAP_UP`.

    :raises ValueError: an unknown state, or a pause without a reason.
    """
    state = PresenceState(state)
    if state is PresenceState.PAUSED and not (reason or "").strip():
        raise ValueError("a pause needs a reason")
    presence = session.scalar(select(AgentPresence).where(AgentPresence.agent_id == agent.id))
    if presence is None:
        presence = AgentPresence(agent_id=agent.id)
        session.add(presence)
    presence.state = state
    kept = state is PresenceState.PAUSED or (
        state is PresenceState.WRAP_UP and reason == CHOSEN_WRAP_UP
    )
    presence.reason = reason.strip()[:100] if kept and reason else None
    presence.since = now or utcnow()
    if state not in BUSY:
        presence.call_id = presence.callback_id = None
    session.flush()
    return presence


def available_agents(session: Session, community_ids: Iterable[int] | None = None) -> list[Agent]:
    """Active agents who are available, longest available first.

    :param community_ids: only agents serving at least one of these (None: any agent).
    """
    query = (
        select(Agent)
        .join(AgentPresence, AgentPresence.agent_id == Agent.id)
        .where(
            AgentPresence.state == PresenceState.AVAILABLE,
            Agent.active.is_(True),
            ~undisposed_exists(Agent.id),
        )
        .options(selectinload(Agent.communities))
        .order_by(AgentPresence.since, Agent.id)
    )
    agents = list(session.scalars(query))
    if community_ids is None:
        return agents
    wanted = set(community_ids)
    return [a for a in agents if wanted & {c.id for c in a.communities}]


def reserve(
    session: Session,
    agent_id: int,
    *,
    call_id: int | None = None,
    callback_id: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Offer one call or callback to an agent who is still available; False if they are not.

    One UPDATE with the state in its WHERE clause, so that two dispatchers can
    never reserve the same agent; nor one whose last answered call has no wrap-up.
    """
    result = session.execute(
        update(AgentPresence)
        .where(
            AgentPresence.agent_id == agent_id,
            AgentPresence.state == PresenceState.AVAILABLE,
            ~undisposed_exists(AgentPresence.agent_id),
        )
        .values(
            state=PresenceState.OFFERED,
            since=now or utcnow(),
            call_id=call_id,
            callback_id=callback_id,
            reason=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release(
    session: Session, agent_id: int, state: PresenceState, *, now: dt.datetime | None = None
) -> None:
    """The offer or call is over: the agent goes to ``state`` (wrap-up after a call, else
    available). Nothing changes for an agent who is not offered work nor on a call."""
    session.execute(
        update(AgentPresence)
        .where(AgentPresence.agent_id == agent_id, AgentPresence.state.in_(BUSY))
        .values(state=state, since=now or utcnow(), call_id=None, callback_id=None)
        .execution_options(synchronize_session=False)
    )


def undisposed_exists(agent_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    """SQL: the agent ``agent_id`` has an answered call without a wrap-up."""
    return (
        select(Call.id)
        .where(
            Call.agent_id == agent_id,
            Call.answered_at.is_not(None),
            Call.wrapped_up_at.is_(None),
        )
        .exists()
    )


def undisposed_call(session: Session, agent_id: int) -> int | None:
    """The id of a call ``agent_id`` answered and has not wrapped up yet, if any (the oldest)."""
    return session.scalar(
        select(Call.id)
        .where(
            Call.agent_id == agent_id,
            Call.answered_at.is_not(None),
            Call.wrapped_up_at.is_(None),
        )
        .order_by(Call.answered_at, Call.id)
        .limit(1)
    )
