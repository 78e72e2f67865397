"""Queue and agent activity recorded on our calls, then announced on the event bus.

For each AMI event about one of our calls: a CallEvent row, the Call brought up
to date, and an event on the bus once that is committed.

- ``agent.connected``: disposition ``answered`` (step ``queue``).
- ``queue.abandoned``, or the caller's ``call.hangup`` after ``queue.joined`` with
  no ``agent.connected``: disposition ``abandoned``, step ``queue``.
- ``call.hangup``: ``ended_at`` is the hang-up time. The IVR's record already
  closed the call when the FastAGI script returned to the dialplan (that is when
  the caller was handed to ``Queue()``), so the hang-up moves the end to when the
  caller really left.
- ``queue.joined``: the Call's queue, if the IVR's record has none.

Duplicates (a replayed event, or two listeners on one Asterisk) are recognised
and ignored: the first ``call.hangup`` of a call is its only one, and another
event equal in kind and data (and in Asterisk's Timestamp, when it sends one)
to one already recorded is the same event. The Call row is locked while this is
decided (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writers queue anyway).

Events for calls we do not know (internal calls, another system's queues) are
ignored.

The agent named in an Agent* event (its ``Interface`` ``PJSIP/8001`` is the
Agent whose ``extension`` is ``8001``) is told on ``agent.<id>.<what>``, which
pops the call up on that agent's desk, and their presence follows app_queue:

| event              | presence                     | the Call                     |
| ------------------ | ---------------------------- | ---------------------------- |
| `agent.called`     | offered (this call)          |                              |
| `agent.no_answer`  | available, if still offered  |                              |
| `agent.connected`  | on a call (this call)        | ``agent_id``, ``answered_at``|
| `agent.completed`  | wrap-up (a wrap-up is due)   |                              |
| `queue.abandoned`  | anyone offered it: available |                              |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hotline.bus import BusError, EventBus
from ivr.ami.events import EVENT_NAMES, CallActivity, ManagerEvent, activity
from ivr.dispatch.notify import announce
from ivr.flow.outcomes import ABANDONED
from models import Agent, AgentPresence, Call, CallEvent, PresenceState

log = logging.getLogger(__name__)

PROVIDER = "asterisk"
ANSWERED = "answered"  # an agent took the call
QUEUE_STEP = "queue"  # the step of the call's life that decided its disposition

SessionMaker = Callable[[], Session]

# CallEvent kind -> what the agent's desk hears (``agent.<id>.<what>``).
AGENT_NEWS = {
    "agent.called": "offered",
    "agent.no_answer": "released",
    "agent.connected": "connected",
    "agent.completed": "presence",
}


class CallTracker:
    """Turns AMI events into CallEvents, Call updates and bus events."""

    event_names = EVENT_NAMES

    def __init__(self, *, sessions: SessionMaker, bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    def handle(self, event: ManagerEvent) -> None:
        """Record and announce ``event`` if it is about one of our calls (the listener calls it)."""
        what = activity(event)
        if what is None:
            return
        try:
            payload = self.record(what)
        except SQLAlchemyError as exc:
            log.error(
                "AMI %s for %s not recorded, database unavailable: %s",
                event.name,
                what.uniqueid,
                str(exc).splitlines()[0],
            )
            return
        if payload is not None:
            freed = payload.pop("freed", [])
            self._publish(what.topic, payload)
            self._tell_agents(what, payload, freed)

    def record(self, what: CallActivity) -> dict[str, Any] | None:
        """Write ``what`` on its call; the payload to publish (and under ``freed`` the agents
        freed from an offer), or None when ignored."""
        with self._sessions() as session:
            call = _find_call(session, what)
            if call is None:
                log.debug("AMI %s for %s: not one of our calls", what.kind, what.uniqueid)
                return None
            if _already_recorded(session, call, what):
                log.debug("AMI %s for call %s: already recorded", what.kind, call.id)
                return None
            data = dict(what.data)
            agent_id = _agent_id(session, what.agent_endpoint)
            if agent_id is not None:
                data["agent_id"] = agent_id
            session.add(CallEvent(call_id=call.id, kind=what.kind, data=data, at=what.at))
            _update_call(session, call, what)
            freed = _follow_presence(session, call, what, agent_id)
            session.commit()
            return {
                "call_id": call.id,
                "kind": what.kind,
                "uniqueid": what.uniqueid,
                "at": what.at.isoformat(),
                "resident_id": call.resident_id,
                "disposition": call.disposition,
                **data,
                "freed": freed,
            }

    def _tell_agents(self, what: CallActivity, payload: dict[str, Any], freed: list[int]) -> None:
        """The screen-pop and presence news, on the desk of each agent concerned."""
        call_id = payload["call_id"]
        news = AGENT_NEWS.get(what.kind)
        if news and isinstance(payload.get("agent_id"), int):
            announce(self._bus, payload["agent_id"], news, call_id=call_id)
        for agent_id in freed:
            announce(self._bus, agent_id, "released", call_id=call_id)

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        try:
            self._bus.publish(topic, payload)
        except BusError as exc:  # the database has the record; the console re-reads it
            log.warning(
                "%s for call %s recorded but not published: %s", topic, payload["call_id"], exc
            )


def _find_call(session: Session, what: CallActivity) -> Call | None:
    """Our call: by HOTLINE_CALL_ID, else by the caller's Uniqueid, else its Linkedid."""
    if what.call_id is not None:
        call = session.get(Call, what.call_id, with_for_update=True)
        if call is not None and call.provider == PROVIDER:
            return call
    for uniqueid in (what.uniqueid, what.linkedid):
        if not uniqueid:
            continue
        call = session.scalars(
            select(Call)
            .where(Call.provider == PROVIDER, Call.provider_call_id == uniqueid)
            .with_for_update()
        ).one_or_none()
        if call is not None:
            return call
    return None


def _already_recorded(session: Session, call: Call, what: CallActivity) -> bool:
    earlier = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == what.kind)
    ).all()
    if what.kind == "call.hangup":
        return bool(earlier)
    return any(
        {k: v for k, v in e.data.items() if k != "agent_id"} == what.data
        and (not what.stamped or e.at == what.at)
        for e in earlier
    )


def _agent_id(session: Session, endpoint: str) -> int | None:
    """The agent whose softphone extension is ``endpoint`` (PJSIP/8001 → 8001)."""
    if not endpoint:
        return None
    return session.scalars(select(Agent.id).where(Agent.extension == endpoint)).first()


def _follow_presence(
    session: Session, call: Call, what: CallActivity, agent_id: int | None
) -> list[int]:
    """The agent's presence as app_queue has it (see the table above); the ids of agents
    freed from an offer of a call whose caller left."""
    if what.kind == "queue.abandoned":
        offered = session.scalars(
            select(AgentPresence).where(
                AgentPresence.call_id == call.id, AgentPresence.state == PresenceState.OFFERED
            )
        ).all()
        for row in offered:
            row.state, row.since, row.call_id = PresenceState.AVAILABLE, what.at, None
        return [row.agent_id for row in offered]
    if agent_id is None:
        return []
    presence = session.scalars(
        select(AgentPresence).where(AgentPresence.agent_id == agent_id).with_for_update()
    ).one_or_none()
    if presence is None:
        presence = AgentPresence(agent_id=agent_id, state=PresenceState.OFFLINE, since=what.at)
        session.add(presence)
    mine = presence.call_id == call.id
    if what.kind == "agent.called" and presence.state is not PresenceState.ON_CALL:
        presence.state, presence.call_id, presence.reason = PresenceState.OFFERED, call.id, None
    elif what.kind == "agent.no_answer" and mine and presence.state is PresenceState.OFFERED:
        presence.state, presence.call_id = PresenceState.AVAILABLE, None
    elif what.kind == "agent.connected":
        presence.state, presence.call_id, presence.reason = PresenceState.ON_CALL, call.id, None
        if call.answered_at is None:
            call.agent_id, call.answered_at = agent_id, what.at
    elif what.kind == "agent.completed" and mine:
        presence.state, presence.call_id = PresenceState.WRAP_UP, None
    else:
        return []
    presence.since = what.at
    return []


def _update_call(session: Session, call: Call, what: CallActivity) -> None:
    if what.kind == "queue.joined" and not call.queue:
        call.queue = str(what.data.get("queue") or "")[:16] or None
    elif what.kind == "agent.connected":
        call.disposition, call.disposition_step = ANSWERED, QUEUE_STEP
    elif what.kind == "queue.abandoned" and call.disposition != ANSWERED:
        call.disposition, call.disposition_step = ABANDONED, QUEUE_STEP
    elif what.kind == "call.hangup":
        call.ended_at = what.at
        kinds = set(
            session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
        )
        if "agent.connected" in kinds:
            call.disposition, call.disposition_step = ANSWERED, QUEUE_STEP
        elif "queue.joined" in kinds:
            call.disposition, call.disposition_step = ABANDONED, QUEUE_STEP
