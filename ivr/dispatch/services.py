"""The dispatcher: finds who waits and who is free, decides, and puts them together.

:func:`ivr.dispatch.decide.next_assignment` decides; this module reads the
line from the database, reserves the agent (one UPDATE, so two dispatchers
never offer one agent two calls), commits, and only then does the I/O:
redirect a waiting caller (:mod:`.connect`) or ring a resident back (an
outbound :class:`~ivr.outbound.calls.Provider` call, purpose ``callback``).
A callback request is a row: a pending one survives a restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.bus import EventBus
from ivr.dispatch import twiml
from ivr.dispatch.connect import Connector
from ivr.dispatch.decide import Assignment, FreeAgent, Work, WorkKind, assignments
from ivr.dispatch.notify import announce
from ivr.dispatch.sweep import Freed, sweep
from ivr.flow.outcomes import QUEUED
from ivr.outbound.calls import MachineDetection, OutboundCall, Provider, Purpose
from ivr.outbound.exceptions import CallRejected, OutboundError
from ivr.twilio.turn import PROVIDER, stored_call
from models import (
    Agent,
    AgentPresence,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    Direction,
    PresenceState,
    utcnow,
)
from models.presence import release, reserve, undisposed_exists

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # callback calls that reach no one before the request fails
CALLBACK_REQUESTED = "callback_requested"  # the Call's disposition: not abandoned


def waiting_callers(session: Session) -> list[Work]:
    """Twilio callers still in a queue and not offered to an agent, with their place in line.

    The place is when the flow put the caller in the queue: the call record's
    ``ended_at`` until Twilio's final status moves it to the real end (see
    :func:`place_in_line`). It stays the place when a caller goes back in line
    after an agent did not answer, whatever Twilio's own queue then says.
    """
    offered = select(AgentPresence.call_id).where(AgentPresence.call_id.is_not(None))
    rows = session.scalars(
        select(Call).where(
            Call.provider == PROVIDER,
            Call.direction == Direction.INBOUND,
            Call.disposition == QUEUED,
            Call.queue.is_not(None),
            Call.answered_at.is_(None),  # an agent took it (the page may not know yet)
            Call.id.not_in(offered),
        )
    )
    line = []
    for call in rows:
        stored = stored_call(call.flow_state, call.provider_call_id)
        # ended_at is the end of the IVR; the end of the call is Twilio's final status.
        if stored is None or stored.final_status is not None:
            continue
        if stored.queue is None or stored.left_queue is not None:
            continue
        line.append(
            Work(WorkKind.CALLER, call.id, call.priority, place_in_line(call), call.community_id)
        )
    return line


def place_in_line(call: Call) -> dt.datetime:
    """When a queued call joined the queue: the flow's close, recorded as ``ended_at``."""
    return call.ended_at or call.started_at


def pending_callbacks(session: Session) -> list[Work]:
    rows = session.scalars(
        select(CallbackRequest).where(CallbackRequest.status == CallbackStatus.PENDING)
    )
    return [Work(WorkKind.CALLBACK, r.id, r.priority, r.enqueued_at, r.community_id) for r in rows]


def free_agents(session: Session, reaches: Callable[[Agent], bool]) -> list[FreeAgent]:
    rows = session.execute(
        select(Agent, AgentPresence.since)
        .join(AgentPresence, AgentPresence.agent_id == Agent.id)
        .where(
            AgentPresence.state == PresenceState.AVAILABLE,
            Agent.active.is_(True),
            ~undisposed_exists(Agent.id),  # wrap-up first (enforced again by reserve)
        )
        .options(selectinload(Agent.communities))
    )
    return [
        FreeAgent(agent.id, since, frozenset(c.id for c in agent.communities))
        for agent, since in rows
        if reaches(agent)
    ]


def available_since(session: Session, agent_id: int) -> dt.datetime | None:
    """Since when ``agent_id`` has been available: their place among free agents."""
    return session.scalar(
        select(AgentPresence.since).where(
            AgentPresence.agent_id == agent_id, AgentPresence.state == PresenceState.AVAILABLE
        )
    )


def retry_later(
    session: Session, request: CallbackRequest, why: str, *, now: dt.datetime
) -> CallbackRequest:
    """The callback reached no one (no answer, voicemail, no key): pending again, or failed
    after :data:`MAX_ATTEMPTS`, logged on the original call for a manual follow-up."""
    request.attempts += 1
    if request.agent_id is not None:
        release(session, request.agent_id, PresenceState.AVAILABLE, now=now)
    request.agent_id = None
    request.updated_at = now
    if request.attempts >= MAX_ATTEMPTS:
        request.status = CallbackStatus.FAILED
        kind, note = "callback.failed", "callback failed: call the resident back by hand"
        log.warning("callback request %s failed after %s attempts", request.id, request.attempts)
    else:
        request.status, kind, note = CallbackStatus.PENDING, "callback.retry", ""
    session.add(
        CallEvent(
            call_id=request.call_id,
            at=now,
            kind=kind,
            data={"request": request.id, "attempts": request.attempts, "why": why},
            note=note,
        )
    )
    return request


@dataclasses.dataclass
class Dispatcher:
    """Offers waiting callers and pending callbacks to available agents.

    :param connector: puts a waiting caller through to an agent.
    :param provider: places the callback calls.
    :param bus: where each agent's console hears of its offers (``agent.<id>.*``).
    :param offer_timeout: how long an offered agent may leave a caller unanswered.
    :param wrap_up_for: a queue's wrap-up seconds (:meth:`hotline.config.Config.wrap_up_for`).
    """

    sessions: Callable[[], Session]
    connector: Connector
    provider: Provider
    clock: Callable[[], dt.datetime] = utcnow
    machine_detection: MachineDetection = MachineDetection.ENABLE
    base_url: str = ""  # where Twilio reaches the web app (absolute redirect URLs)
    bus: EventBus | None = None
    offer_timeout: dt.timedelta = dt.timedelta(seconds=20)
    wrap_up_for: Callable[[str | None], int] = lambda queue: 0

    def run_once(self) -> list[Assignment]:
        """Free agents whose offer, call or wrap-up is over, then make every assignment
        possible now; the ones carried out."""
        now = self.clock()
        self.sweep(now)
        with self.sessions() as session:
            made = assignments(
                waiting_callers(session),
                pending_callbacks(session),
                free_agents(session, self.connector.reaches),
                now,
            )
        return [a for a in made if self._apply(a, now)]

    def sweep(self, now: dt.datetime) -> list[Freed]:
        """:func:`ivr.dispatch.sweep.sweep` committed, each agent freed told."""
        with self.sessions() as session:
            freed = sweep(
                session, now, offer_timeout=self.offer_timeout, wrap_up_for=self.wrap_up_for
            )
            session.commit()
        for moved in freed:
            log.info("agent %s: %s, now %s", moved.agent_id, moved.why, moved.state)
            announce(
                self.bus, moved.agent_id, "presence", state=moved.state.value, call_id=moved.call_id
            )
        return freed

    def _apply(self, assignment: Assignment, now: dt.datetime) -> bool:
        if assignment.work.kind is WorkKind.CALLER:
            return self._connect(assignment, now)
        return self._call_back(assignment, now)

    def _connect(self, assignment: Assignment, now: dt.datetime) -> bool:
        agent_id, call_id = assignment.agent_id, assignment.work.id
        with self.sessions() as session:
            since = available_since(session, agent_id)
            if not reserve(session, agent_id, call_id=call_id, now=now):
                return False
            agent = session.get_one(Agent, agent_id)
            sid = session.get_one(Call, call_id).provider_call_id
            offer = {"agent_id": agent_id}
            session.add(CallEvent(call_id=call_id, at=now, kind="call.offered", data=offer))
            session.commit()
        url = twiml.url(self.base_url, twiml.CONNECT, call=call_id, agent=agent_id)
        try:
            self.connector.connect(sid, agent, url)
        except OutboundError as exc:
            log.warning("call %s not put through to agent %s: %s", sid, agent.login, exc)
            with self.sessions() as session:  # not the agent's doing: they keep their place
                release(session, agent_id, PresenceState.AVAILABLE, now=since or self.clock())
                session.commit()
            announce(self.bus, agent_id, "released", call_id=call_id)
            return False
        announce(self.bus, agent_id, "offered", call_id=call_id)  # the screen-pop
        return True

    def _call_back(self, assignment: Assignment, now: dt.datetime) -> bool:
        agent_id = assignment.agent_id
        with self.sessions() as session:
            request = session.scalars(
                select(CallbackRequest)
                .where(
                    CallbackRequest.id == assignment.work.id,
                    CallbackRequest.status == CallbackStatus.PENDING,
                )
                .with_for_update()
            ).one_or_none()
            since = available_since(session, agent_id)
            if request is None or not reserve(session, agent_id, callback_id=request.id, now=now):
                return False
            request.status, request.agent_id, request.updated_at = (
                CallbackStatus.CALLING,
                agent_id,
                now,
            )
            session.commit()
            outbound = OutboundCall(
                to=request.number,
                purpose=Purpose.CALLBACK,
                answer_path=twiml.CALLBACK_ANSWER,
                status_path=twiml.CALLBACK_STATUS,
                correlation_id=f"callback-{request.id}-{request.attempts + 1}",
                machine_detection=self.machine_detection,
            )
        try:
            placed = self.provider.place(outbound)
        except OutboundError as exc:
            log.warning("callback request %s not placed: %s", request.id, exc)
            with self.sessions() as session:
                again = session.get_one(CallbackRequest, request.id)
                if isinstance(exc, CallRejected):  # this number: counts as an attempt
                    retry_later(session, again, f"rejected: {exc}", now=self.clock())
                else:  # the provider's trouble: try again at the same place
                    again.status, again.agent_id = CallbackStatus.PENDING, None
                    release(session, agent_id, PresenceState.AVAILABLE, now=since or self.clock())
                session.commit()
            return False
        with self.sessions() as session:
            placed_row = session.get_one(CallbackRequest, request.id)
            placed_row.provider_call_id = placed.provider_call_id
            session.commit()
        announce(self.bus, agent_id, "offered", callback_id=request.id, call_id=request.call_id)
        return True


class DispatcherThread(threading.Thread):
    """``Dispatcher.run_once`` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, dispatcher: Dispatcher, interval: float = 1.0) -> None:
        super().__init__(name="hotline-dispatcher", daemon=True)
        self.dispatcher, self.interval = dispatcher, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.dispatcher.run_once()
            except Exception:  # a bad round must not stop dispatching
                log.exception("dispatcher round failed")
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
