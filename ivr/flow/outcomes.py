"""How a call leaves the flow: queued, sent to on-call, message left, or ended.

Each function returns the final :class:`Step`, whose last action is the one
:class:`Close` of the call, and whose state is :class:`Closed`.
"""

from __future__ import annotations

from dataclasses import replace

from .actions import Action, Close, Hangup, LogEvent, Route, Transfer
from .events import RecordingDone
from .policy import EMERGENCY, INQUIRY, QUEUES, is_open, priority
from .state import Call, Closed, State, Step

QUEUED = "queued"
ABANDONED = "abandoned"
MESSAGE_LEFT = "message_left"
SELF_SERVED = "self_served"
SENT_TO_ON_CALL = "sent_to_on_call"
INCIDENT_LINKED = "incident_linked"  # heard a declared incident's status; linked to it
DISPOSITIONS = (QUEUED, ABANDONED, MESSAGE_LEFT, SELF_SERVED, SENT_TO_ON_CALL, INCIDENT_LINKED)


def _closed(call: Call, disposition: str, step: str, actions: list[Action]) -> Step:
    state = Closed(call=call, disposition=disposition, step=step)
    return Step(state, [*actions, Close(disposition=disposition, step=step)])


def _route(call: Call, queue: str) -> Route:
    return Route(
        queue=queue,
        priority=priority(call.ctx, queue),
        resident_id=call.resident_id,
        unit_id=call.unit_id,
    )


def route(call: Call, queue: str, step: str, *before: Action, prompt: str = "") -> Step:
    """Queue the call in ``queue``, announcing it with ``prompt`` (``route.<queue>``)."""
    call = replace(call, service=queue)
    announce = call.say(prompt or f"route.{queue}")
    return _closed(call, QUEUED, step, [*before, announce, _route(call, queue)])


def to_agent(call: Call, step: str) -> Step:
    """Two failed tries at a menu: an agent on the inquiry queue takes over."""
    return route(call, INQUIRY, step, prompt="menu.to_agent")


def emergency(call: Call, step: str, kind: str | None = None, *advice: Action) -> Step:
    """Never held up: on-call out of hours if there is one, else the emergency queue.

    ``advice`` (life-safety words, see :mod:`.safety`) is played first.
    """
    call = replace(call, service=EMERGENCY)
    logged = LogEvent("call.emergency", {"kind": kind, "unit_id": call.unit_id})
    before: list[Action] = [logged, *advice]
    number = call.ctx.on_call_number
    if is_open(call.ctx) or not number:
        return route(call, EMERGENCY, step, *before)
    transfer = Transfer(number=number, reason=EMERGENCY)
    return _closed(call, SENT_TO_ON_CALL, step, [*before, call.say("emergency.on_call"), transfer])


def message_left(call: Call, step: str, recording: RecordingDone) -> Step:
    """An after-hours message was recorded: thank the caller and hang up."""
    data = {
        "ref": recording.ref,
        "seconds": recording.seconds,
        "service": call.service,
        "resident_id": call.resident_id,
        "unit_id": call.unit_id,
    }
    logged = LogEvent("call.message", data)
    return _closed(call, MESSAGE_LEFT, step, [logged, call.say("after_hours.thanks"), Hangup()])


def incident_linked(call: Call, step: str, *, said: bool = True) -> Step:
    """The caller stayed with the incident they heard about: link the call, thank, hang up."""
    actions: list[Action] = [incident_link(call)]
    if said:
        actions += [call.say("incident.linked"), Hangup()]
    return _closed(call, INCIDENT_LINKED, step, actions)


def incident_link(call: Call) -> LogEvent:
    """The call is about the incidents it heard of (the adapter keeps it with the call)."""
    ids = [incident.incident_id for incident in call.ctx.incidents]
    return LogEvent("call.incident", {"incident_ids": ids, "unit_id": call.unit_id})


def hung_up(state: State) -> Step:
    """The caller hung up: self-served if they last heard their work order's status."""
    call = state.call
    served = call.heard_status and call.service is None
    return _closed(call, SELF_SERVED if served else ABANDONED, state.name, [])


def fallback_route(state: State) -> Route:
    """Where to queue the call from any state when the adapter's own code fails.

    The caller's chosen service if they chose one (an emergency stays an
    emergency), otherwise inquiry, with whatever resident and unit are known.
    """
    queue = state.call.service if state.call.service in QUEUES else INQUIRY
    return _route(state.call, queue)
