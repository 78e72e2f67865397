"""The wallboard's figures (大屏监控) over a database session and a clock.

Everything is for a set of communities (the supervisor's scope, or one of them):

- per queue, the callers waiting now and the longest wait (:mod:`.waits` says
  exactly when a call counts as waiting), and the pending callback requests;
- agents by presence state, with who is in which state since when and why;
- today's calls: offered, answered, abandoned, callbacks requested, and the
  service level (:func:`service_level`);
- overdue work orders: as the work-order pages say (past the dispatch or the resolve deadline).

"Today" is each community's own calendar day (``Community.timezone``,
Asia/Shanghai by default), by the time the call started; calls of no known
community are on no community's board.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from agent_console.wallboard import waits
from agent_console.wallboard.waits import Event, Waiting
from ivr.dispatch.services import CALLBACK_REQUESTED
from ivr.flow.outcomes import QUEUED
from ivr.flow.policy import QUEUES
from ivr.twilio.endings import ANSWERED
from models import (
    Agent,
    AgentPresence,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    Community,
    Direction,
    PresenceState,
    WorkOrder,
    agent_communities,
)
from models.oncall import Escalation, EscalationStatus
from models.work_order_flow import overdue_clause
from models.work_orders import Status

SERVICE_LEVEL_SECONDS = 20  # the "80/20" target: answered within 20 seconds of queueing
OLDEST_OVERDUE = 5  # overdue work orders listed by name on the board
ESCALATIONS_SHOWN = dt.timedelta(hours=1)  # an ended on-call ladder stays on the board
STATE_ORDER = (
    PresenceState.AVAILABLE,
    PresenceState.OFFERED,
    PresenceState.ON_CALL,  # added by the desk (talking); without it agent_counts fails
    PresenceState.WRAP_UP,
    PresenceState.PAUSED,
    PresenceState.OFFLINE,
)


@dataclasses.dataclass
class QueueNow:
    """One queue right now."""

    queue: str
    waiting: int = 0
    longest_wait: float | None = None  # seconds, of the caller waiting longest
    callbacks_pending: int = 0


@dataclasses.dataclass
class AgentNow:
    """One agent on the board."""

    agent_id: int
    name: str
    state: PresenceState
    since: dt.datetime | None
    reason: str | None


@dataclasses.dataclass
class Today:
    """Today's calls that reached a queue, and how they ended."""

    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    abandoned_in_target: int = 0  # gave up within the target: left out of the service level
    callbacks_requested: int = 0
    waiting: int = 0

    @property
    def service_level(self) -> float | None:
        """:func:`service_level` of these calls."""
        return service_level(self.answered_in_target, self.answered, self.abandoned_after)

    @property
    def abandoned_after(self) -> int:
        return self.abandoned - self.abandoned_in_target


@dataclasses.dataclass
class OverdueOrder:
    """A work order past its deadline."""

    id: int
    number: str
    community_id: int
    category: str
    status: str
    due_at: dt.datetime


@dataclasses.dataclass
class EscalationNow:
    """An emergency's on-call ladder: who is being called, or who accepted and when."""

    work_order_id: int
    number: str
    trade: str
    status: str
    person: str  # the rung being called, or who accepted
    started_at: dt.datetime
    accepted_at: dt.datetime | None


@dataclasses.dataclass
class Figures:
    """Everything the wallboard shows, at ``now``."""

    now: dt.datetime
    communities: list[Community]
    queues: list[QueueNow]
    agents: list[AgentNow]
    today: Today
    today_by_queue: dict[str, Today]
    overdue_count: int
    overdue: list[OverdueOrder]
    escalations: list[EscalationNow] = dataclasses.field(default_factory=list)

    @property
    def agent_counts(self) -> dict[PresenceState, int]:
        counts = {state: 0 for state in STATE_ORDER}
        for agent in self.agents:
            counts[agent.state] += 1
        return counts


def service_level(in_target: int, answered: int, abandoned_after: int) -> float | None:
    """Calls answered within the target ÷ (calls answered + calls abandoned after it).

    The common call-centre definition (服务水平, "80/20"): a caller who hangs up
    within the target (:data:`SERVICE_LEVEL_SECONDS`) is left out, one who hangs
    up later counts against it; callers who chose a callback keep their place and
    are left out. A wait that is not known counts as outside the target. None
    when no call counts yet.
    """
    counted = answered + abandoned_after
    return in_target / counted if counted else None


def figures(session: Session, community_ids: Iterable[int], now: dt.datetime) -> Figures:
    """The wallboard for ``community_ids`` at ``now`` (timezone-aware)."""
    scope = sorted(set(community_ids))
    communities = list(
        session.scalars(select(Community).where(Community.id.in_(scope)).order_by(Community.code))
    )
    today, by_queue = todays_calls(session, communities, now)
    overdue_count, overdue = overdue_orders(session, scope, now)
    return Figures(
        now=now,
        communities=communities,
        queues=queues_now(session, scope, now),
        agents=agents_now(session, scope),
        today=today,
        today_by_queue=by_queue,
        overdue_count=overdue_count,
        overdue=overdue,
        escalations=escalations_now(session, scope, now),
    )


def _events(session: Session, call_ids: Sequence[int]) -> dict[int, list[Event]]:
    """The events the waiting rules read, per call, in the order they were recorded."""
    found: dict[int, list[Event]] = defaultdict(list)
    for start in range(0, len(call_ids), 500):
        rows = session.execute(
            select(CallEvent.call_id, CallEvent.kind, CallEvent.at, CallEvent.data)
            .where(
                CallEvent.call_id.in_(call_ids[start : start + 500]),
                CallEvent.kind.in_(waits.EVENT_KINDS),
            )
            .order_by(CallEvent.id)
        )
        for call_id, kind, at, data in rows:
            found[call_id].append(Event(kind, at, data or {}))
    return found


def waiting_now(session: Session, community_ids: Sequence[int], now: dt.datetime) -> list[Waiting]:
    """The callers waiting in a queue at ``now``, longest waiting first."""
    calls = list(
        session.scalars(
            select(Call).where(
                Call.direction == Direction.INBOUND,
                Call.disposition == QUEUED,
                Call.community_id.in_(community_ids),
            )
        )
    )
    events = _events(session, [c.id for c in calls])
    found = [w for c in calls if (w := waits.waiting(c, events.get(c.id, []), now)) is not None]
    return sorted(found, key=lambda w: (w.since, w.call_id))


def queues_now(session: Session, community_ids: Sequence[int], now: dt.datetime) -> list[QueueNow]:
    """Per queue: callers waiting, the longest wait, pending callback requests."""
    queues = {name: QueueNow(name) for name in QUEUES}
    for caller in waiting_now(session, community_ids, now):
        row = queues.setdefault(caller.queue, QueueNow(caller.queue))
        row.waiting += 1
        wait = max(0.0, (now - caller.since).total_seconds())
        row.longest_wait = max(row.longest_wait or 0.0, wait)
    pending = session.execute(
        select(CallbackRequest.queue, func.count())
        .where(
            CallbackRequest.status == CallbackStatus.PENDING,
            CallbackRequest.community_id.in_(community_ids),
        )
        .group_by(CallbackRequest.queue)
    )
    for queue, count in pending:
        queues.setdefault(queue, QueueNow(queue)).callbacks_pending = count
    return list(queues.values())


def agents_now(session: Session, community_ids: Sequence[int]) -> list[AgentNow]:
    """Active agents serving any of the communities, by state then longest in it."""
    serving = select(agent_communities.c.agent_id).where(
        agent_communities.c.community_id.in_(community_ids)
    )
    rows = session.execute(
        select(Agent.id, Agent.name, AgentPresence.state, AgentPresence.since, AgentPresence.reason)
        .outerjoin(AgentPresence, AgentPresence.agent_id == Agent.id)
        .where(Agent.active.is_(True), Agent.id.in_(serving))
    )
    agents = [
        AgentNow(agent_id, name, PresenceState(state or PresenceState.OFFLINE), since, reason)
        for agent_id, name, state, since, reason in rows
    ]
    rank = {state: i for i, state in enumerate(STATE_ORDER)}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(agents, key=lambda a: (rank[a.state], a.since or far, a.name))


def local_day(timezone: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The start and end (UTC) of the calendar day ``now`` falls on in ``timezone``."""
    zone = ZoneInfo(timezone or "Asia/Shanghai")
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), tzinfo=zone)
    following = dt.datetime.combine(midnight.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return midnight.astimezone(dt.UTC), following.astimezone(dt.UTC)


def todays_calls(
    session: Session, communities: Sequence[Community], now: dt.datetime
) -> tuple[Today, dict[str, Today]]:
    """Today's inbound calls that reached a queue, in all and per queue."""
    total = Today()
    by_queue = {name: Today() for name in QUEUES}
    calls: list[Call] = []
    for community in communities:
        start, end = local_day(community.timezone, now)
        calls += session.scalars(
            select(Call).where(
                Call.direction == Direction.INBOUND,
                Call.community_id == community.id,
                Call.queue.is_not(None),
                Call.started_at >= start,
                Call.started_at < end,
                Call.started_at <= now,
            )
        )
    events = _events(session, [c.id for c in calls])
    for call in calls:
        queue = call.queue or ""
        for tally in (total, by_queue.setdefault(queue, Today())):
            _count(tally, call, events.get(call.id, []))
    return total, by_queue


def _count(tally: Today, call: Call, events: Sequence[Event]) -> None:
    """Add one call to ``tally``."""
    target = SERVICE_LEVEL_SECONDS
    if call.disposition == ANSWERED or call.answered_at is not None:
        wait = waits.wait_seconds(call, events)
        tally.answered += 1
        tally.answered_in_target += int(wait is not None and wait <= target)
    elif waits.is_abandoned_in_queue(call):
        wait = waits.wait_seconds(call, events)
        tally.abandoned += 1
        tally.abandoned_in_target += int(wait is not None and wait <= target)
    elif call.disposition == CALLBACK_REQUESTED:
        tally.callbacks_requested += 1
    elif call.disposition == QUEUED:
        tally.waiting += 1
    else:
        return  # sent to on-call, a message, self-served: never offered to an agent
    tally.offered += 1


def escalations_now(
    session: Session, community_ids: Sequence[int], now: dt.datetime, limit: int = 10
) -> list[EscalationNow]:
    """Ladders still calling, and those that ended in the last :data:`ESCALATIONS_SHOWN`,
    newest first."""
    rows = session.execute(
        select(Escalation, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == Escalation.work_order_id)
        .where(
            Escalation.community_id.in_(community_ids),
            (Escalation.status == EscalationStatus.CALLING)
            | (Escalation.updated_at >= now - ESCALATIONS_SHOWN),
        )
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())
        .limit(limit)
    )
    found = []
    for escalation, number in rows:
        ladder = escalation.ladder or []
        calling = ladder[escalation.rung]["name"] if escalation.rung < len(ladder) else ""
        person = escalation.accepted_name or calling
        found.append(
            EscalationNow(
                escalation.work_order_id,
                number,
                escalation.trade,
                escalation.status.value,
                str(person),
                escalation.created_at,
                escalation.accepted_at,
            )
        )
    return found


def overdue_orders(
    session: Session, community_ids: Sequence[int], now: dt.datetime, limit: int = OLDEST_OVERDUE
) -> tuple[int, list[OverdueOrder]]:
    """How many work orders are overdue at ``now``, and the ``limit`` longest overdue.

    Overdue as the work-order pages say it (:func:`models.work_order_flow.overdue_clause`):
    an open order not dispatched by its dispatch deadline, or an order past its deadline.
    """
    overdue = (WorkOrder.community_id.in_(community_ids), overdue_clause(now))
    running = case(  # the deadline that was missed: dispatch, while the order is undispatched
        (
            and_(WorkOrder.status == Status.OPEN, WorkOrder.dispatch_due_at < now),
            WorkOrder.dispatch_due_at,
        ),
        else_=WorkOrder.due_at,
    )
    count = session.scalar(select(func.count()).select_from(WorkOrder).where(*overdue)) or 0
    rows = session.execute(
        select(
            WorkOrder.id,
            WorkOrder.number,
            WorkOrder.community_id,
            WorkOrder.category,
            WorkOrder.status,
            running,
        )
        .where(*overdue)
        .order_by(running, WorkOrder.id)
        .limit(limit)
    )
    oldest = [
        OverdueOrder(i, number, cid, str(category), str(status), due or now)
        for i, number, cid, category, status, due in rows
    ]
    return count, oldest
