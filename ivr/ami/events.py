"""AMI events as what they mean for one of our calls. No I/O: headers in, a record out.

What Asterisk (app_queue, 12 and later) tells us about a queued call, and what we
call it — the CallEvent kind, and the topic it is published on:

| AMI event            | CallEvent kind    | bus topic              | when                       |
| -------------------- | ----------------- | ---------------------- | -------------------------- |
| `QueueCallerJoin`    | `queue.joined`    | `call.queue_joined`    | the caller enters a queue  |
| `AgentCalled`        | `agent.called`    | `call.agent_called`    | an agent's phone rings     |
| `AgentRingNoAnswer`  | `agent.no_answer` | `call.agent_no_answer` | that agent did not answer  |
| `AgentConnect`       | `agent.connected` | `call.agent_connected` | an agent answered          |
| `AgentComplete`      | `agent.completed` | `call.agent_completed` | the conversation ended     |
| `QueueCallerAbandon` | `queue.abandoned` | `call.queue_abandoned` | the caller hung up waiting |
| `QueueCallerLeave`   | `queue.left`      | `call.queue_left`      | the caller left the queue  |
| `Hangup`             | `call.hangup`     | `call.hangup`          | the caller's channel ended |

Telephony facts this relies on:

- In the Agent* events the ``Channel``/``Uniqueid``/``Linkedid`` fields are the
  caller's channel and the ``Dest*`` fields the agent's (the queue member's) channel.
- With ``channelvars=HOTLINE_CALL_ID`` in manager.conf, Asterisk adds
  ``ChanVariable: HOTLINE_CALL_ID=12`` to each event after the channel's fields, and
  ``DestChanVariable: HOTLINE_CALL_ID=`` for the agent's channel, which does not
  inherit it (the FastAGI server sets it without the ``_`` prefix).
- ``Linkedid`` is the Uniqueid of the oldest channel of the call: on the agent's
  channel it is the caller's Uniqueid. So a ``Hangup`` is tied only by its own
  channel's variable or Uniqueid, or an agent's hang-up would end the caller's call.
- With ``timestampevents=yes`` each event carries ``Timestamp: 1763877612.345678``
  (seconds since the epoch); without it we use the time we received it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

CALL_ID_VARIABLE = "HOTLINE_CALL_ID"


@dataclasses.dataclass(frozen=True)
class ManagerEvent:
    """One AMI event as received: its headers, and the channel variables of each channel.

    ``variables`` is keyed by the channel's field prefix: ``""`` for the event's
    ``Channel``, ``"Dest"`` for its ``DestChannel``.
    """

    name: str
    headers: Mapping[str, str]
    variables: Mapping[str, Mapping[str, str]]
    received_at: dt.datetime

    def get(self, header: str) -> str:
        return self.headers.get(header, "")

    def variable(self, name: str, prefix: str = "") -> str:
        return self.variables.get(prefix, {}).get(name, "")


@dataclasses.dataclass(frozen=True)
class Meaning:
    """What an AMI event is called here, and whether its Linkedid may tie it to a call."""

    kind: str
    topic: str
    by_linkedid: bool = True


MEANINGS: dict[str, Meaning] = {
    "QueueCallerJoin": Meaning("queue.joined", "call.queue_joined"),
    "AgentCalled": Meaning("agent.called", "call.agent_called"),
    "AgentRingNoAnswer": Meaning("agent.no_answer", "call.agent_no_answer"),
    "AgentConnect": Meaning("agent.connected", "call.agent_connected"),
    "AgentComplete": Meaning("agent.completed", "call.agent_completed"),
    "QueueCallerAbandon": Meaning("queue.abandoned", "call.queue_abandoned"),
    "QueueCallerLeave": Meaning("queue.left", "call.queue_left"),
    "Hangup": Meaning("call.hangup", "call.hangup", by_linkedid=False),
}
EVENT_NAMES = tuple(MEANINGS)

# Header -> data key, for the numbers app_queue reports (seconds, or places in the queue).
_NUMBERS = {
    "Position": "position",
    "OriginalPosition": "original_position",
    "Count": "count",
    "HoldTime": "hold_time",
    "RingTime": "ring_time",
    "TalkTime": "talk_time",
    "Cause": "cause",
}
_TEXTS = {"Reason": "reason", "Cause-txt": "cause_txt"}  # AgentComplete: caller|agent|transfer
_ENDPOINT = re.compile(r"^[^/]+/([^@/;]+)")  # PJSIP/8001, SIP/8001, Local/8001@agents/n


@dataclasses.dataclass(frozen=True)
class CallActivity:
    """One thing that happened to a call in Asterisk, ready to be tied to our Call."""

    kind: str
    topic: str
    call_id: int | None  # HOTLINE_CALL_ID on the caller's channel, when Asterisk sent it
    uniqueid: str  # the caller's channel
    linkedid: str  # "" when it must not be used to find the call
    at: dt.datetime
    stamped: bool  # ``at`` is Asterisk's own Timestamp, so equal times mean the same event
    data: dict[str, Any]
    agent_endpoint: str = ""  # "8001" for PJSIP/8001: our Agent.extension


def activity(event: ManagerEvent) -> CallActivity | None:
    """What ``event`` means for a call, or None for an event we do not follow."""
    meaning = MEANINGS.get(event.name)
    if meaning is None:
        return None
    at, stamped = _when(event)
    data: dict[str, Any] = {}
    if event.name != "Hangup":
        data["queue"] = event.get("Queue")
    endpoint = ""
    if event.name.startswith("Agent"):
        interface = event.get("Interface")
        data["agent"] = event.get("MemberName") or interface
        data["interface"] = interface
        data["agent_channel"] = event.get("DestChannel")
        data["agent_uniqueid"] = event.get("DestUniqueid")
        match = _ENDPOINT.match(interface)
        endpoint = match.group(1) if match else ""
    for header, key in _NUMBERS.items():
        if header in event.headers:
            data[key] = _number(event.headers[header])
    for header, key in _TEXTS.items():
        if header in event.headers:
            data[key] = event.headers[header]
    return CallActivity(
        kind=meaning.kind,
        topic=meaning.topic,
        call_id=_call_id(event.variable(CALL_ID_VARIABLE)),
        uniqueid=event.get("Uniqueid"),
        linkedid=event.get("Linkedid") if meaning.by_linkedid else "",
        at=at,
        stamped=stamped,
        data=data,
        agent_endpoint=endpoint,
    )


def _call_id(value: str) -> int | None:
    """Our Call.id from the channel variable; empty before the AGI set it."""
    value = value.strip()
    return int(value) if value.isdigit() else None


def _number(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _when(event: ManagerEvent) -> tuple[dt.datetime, bool]:
    """Asterisk's ``Timestamp`` to the microsecond (no float rounding), else when received."""
    seconds, _, fraction = event.get("Timestamp").partition(".")
    if seconds.isdigit() and (fraction.isdigit() or not fraction):
        micros = int((fraction + "000000")[:6])
        try:
            at = dt.datetime.fromtimestamp(int(seconds), dt.UTC)
        except (OverflowError, OSError, ValueError):
            return event.received_at, False
        return at + dt.timedelta(microseconds=micros), True
    return event.received_at, False
