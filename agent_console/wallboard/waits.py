"""How long a caller waited in a queue, read from a call's row and its events. No I/O.

A caller's wait runs from joining a queue to being answered or giving up. Each
telephony side records it differently:

**Asterisk** (AMI events, :mod:`ivr.ami.tracker`): the wait starts at the call's
first ``queue.joined`` (a caller moved on to ``inquiry`` by ``LEAVEEMPTY`` keeps
waiting from their first queue); answered at ``Call.answered_at`` when the console
set it, else at the first ``agent.connected``; given up at ``queue.abandoned``,
else at the caller's ``call.hangup``. Without a ``queue.joined`` event, the
``hold_time`` Asterisk reports with ``AgentConnect``/``QueueCallerAbandon``.

**Twilio** (webhooks, :mod:`ivr.twilio.endings`, :mod:`ivr.dispatch.webhooks`):
while the call is live, the wait starts at its place in line (the flow's close,
kept in ``Call.ended_at`` until the final status: :func:`ivr.dispatch.services.place_in_line`);
after that, at the earliest ``call.queue_result`` minus its ``QueueTime``. Answered
at ``Call.answered_at``, else when a ``bridged`` queue result says (joined +
``QueueTime``), else — a caller the dispatcher put through — at the
``call.offered`` of the offer that ended in a completed ``call.agent_result``
(the agent's ring time is not known then). Given up at the ``hangup`` queue
result, else at the call's end.

A call is *waiting now* when:

- Twilio: inbound, disposition ``queued``, its stored state has a queue, no final
  status, and it has not left the queue (``left_queue`` empty, or ``redirected``
  while the chosen agent's phone rings);
- Asterisk: disposition ``queued`` (the IVR's close), a ``queue.joined`` and no
  ``agent.connected``, ``queue.abandoned`` or ``call.hangup``, nor a ``queue.left``
  after its last ``queue.joined``.

A call the desk answered (``Call.answered_at``) is answered, not waiting, even
before the telephony side reports the bridge. Either way a caller "waiting" for
more than :data:`STALE_AFTER` is a record whose end never arrived (a lost status
callback or AMI event), not a caller.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from ivr.dispatch.services import place_in_line
from ivr.flow.outcomes import ABANDONED, QUEUED
from ivr.twilio.endings import ANSWERED, QUEUE_STEP
from ivr.twilio.store import BRIDGED
from ivr.twilio.turn import PROVIDER as TWILIO
from ivr.twilio.turn import stored_call
from models import Call

STALE_AFTER = dt.timedelta(hours=6)
# The CallEvent kinds these rules read; the others are not loaded.
EVENT_KINDS = (
    "queue.joined",
    "queue.left",
    "queue.abandoned",
    "agent.connected",
    "call.hangup",
    "call.queue_result",
    "call.offered",
    "call.agent_result",
)
CONNECTED_STATUSES = ("completed", "answered")  # as ivr.dispatch.webhooks


@dataclasses.dataclass(frozen=True)
class Event:
    """One CallEvent as these rules need it."""

    kind: str
    at: dt.datetime
    data: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Waiting:
    """A caller in a queue now: which queue, and since when."""

    call_id: int
    community_id: int | None
    queue: str
    since: dt.datetime


def _seconds(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _first(events: Sequence[Event], kind: str) -> Event | None:
    return next((e for e in events if e.kind == kind), None)


def _results(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.kind == "call.queue_result"]


def joined_at(call: Call, events: Sequence[Event]) -> dt.datetime | None:
    """When the caller joined the queue (first queue), or None when nothing says."""
    if call.provider != TWILIO:
        joined = _first(events, "queue.joined")
        return joined.at if joined else None
    stored = stored_call(call.flow_state, call.provider_call_id)
    if stored is not None and stored.final_status is None and stored.queue:
        return place_in_line(call)
    starts = [
        e.at - dt.timedelta(seconds=s)
        for e in _results(events)
        if (s := _seconds(e.data.get("seconds"))) is not None
    ]
    return min(starts, default=None)


def answered_at(call: Call, events: Sequence[Event]) -> dt.datetime | None:
    """When an agent answered the caller, or None when nothing says."""
    if call.answered_at is not None:
        return call.answered_at
    if call.provider != TWILIO:
        connected = _first(events, "agent.connected")
        return connected.at if connected else None
    for result in _results(events):
        seconds = _seconds(result.data.get("seconds"))
        if result.data.get("result") in BRIDGED and seconds is not None:
            start = joined_at(call, events) or result.at - dt.timedelta(seconds=seconds)
            return start + dt.timedelta(seconds=seconds)
    offered: Event | None = None
    for event in events:
        if event.kind == "call.offered":
            offered = event
        elif event.kind == "call.agent_result" and offered is not None:
            if event.data.get("status") in CONNECTED_STATUSES:
                return offered.at
    return None


def gave_up_at(call: Call, events: Sequence[Event]) -> dt.datetime | None:
    """When an abandoning caller hung up, or None when nothing says."""
    if call.provider != TWILIO:
        for kind in ("queue.abandoned", "call.hangup"):
            found = _first(events, kind)
            if found:
                return found.at
        return call.ended_at
    hung_up = [e for e in _results(events) if e.data.get("result") == "hangup"]
    return hung_up[-1].at if hung_up else call.ended_at


def wait_seconds(call: Call, events: Sequence[Event]) -> float | None:
    """How long an answered or abandoned caller waited in the queue; None when unknown."""
    answered = call.disposition == ANSWERED or call.answered_at is not None
    end = answered_at(call, events) if answered else gave_up_at(call, events)
    start = joined_at(call, events)
    if start is not None and end is not None:
        return max(0.0, (end - start).total_seconds())
    return _reported_wait(call, events, answered)


def _reported_wait(call: Call, events: Sequence[Event], answered: bool) -> float | None:
    """The wait the telephony side reported itself: Asterisk's HoldTime, Twilio's QueueTime."""
    if call.provider != TWILIO:
        found = _first(events, "agent.connected" if answered else "queue.abandoned")
        return _seconds(found.data.get("hold_time")) if found else None
    wanted = BRIDGED if answered else frozenset({"hangup"})
    for result in _results(events):
        if result.data.get("result") in wanted:
            return _seconds(result.data.get("seconds"))
    return None


def is_abandoned_in_queue(call: Call) -> bool:
    """An abandoned call that had reached a queue (not one that hung up in the IVR menus)."""
    return call.disposition == ABANDONED and call.disposition_step == QUEUE_STEP


def waiting(call: Call, events: Sequence[Event], now: dt.datetime) -> Waiting | None:
    """The caller's place in a queue now, or None when the call is not waiting."""
    if call.disposition != QUEUED or call.answered_at is not None:
        return None  # answered on the desk: talking, even before Twilio reports the bridge
    found = _twilio_waiting(call) if call.provider == TWILIO else _asterisk_waiting(call, events)
    if found is None or now - found.since > STALE_AFTER:
        return None
    return found


def _twilio_waiting(call: Call) -> Waiting | None:
    stored = stored_call(call.flow_state, call.provider_call_id)
    if stored is None or stored.final_status is not None or not stored.queue:
        return None
    if stored.left_queue not in (None, "redirected"):
        return None
    return Waiting(call.id, call.community_id, stored.queue, place_in_line(call))


def _asterisk_waiting(call: Call, events: Sequence[Event]) -> Waiting | None:
    kinds = {e.kind for e in events}
    if kinds & {"agent.connected", "queue.abandoned", "call.hangup"}:
        return None
    joins = [e for e in events if e.kind == "queue.joined"]
    if not joins:
        return None
    last = joins[-1]
    if any(e.kind == "queue.left" for e in events[events.index(last) + 1 :]):
        return None  # left the queue without an agent (timeout, LEAVEEMPTY) and not back yet
    queue = str(last.data.get("queue") or call.queue or "")
    return Waiting(call.id, call.community_id, queue, joins[0].at)
