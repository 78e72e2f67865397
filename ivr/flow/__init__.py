"""The inbound call flow as a pure, serialisable state machine (no I/O).

    step = start(ctx)                  # CallContext -> Step
    step = handle(step.state, event)   # State, Event -> Step

A :class:`Step` holds the next ``state`` and the ``actions`` the adapter
runs in order. Events live in :mod:`ivr.flow.events`, actions in
:mod:`ivr.flow.actions`; both modules have a ``Hangup`` (the caller hung up /
hang up on the caller), so import those two through their modules.
"""

from . import actions, events, policy
from .actions import Action, Close, Gather, LogEvent, Lookup, Record, Route, Say, Transfer
from .context import (
    BusinessHours,
    CallContext,
    Community,
    EmergencyNumbers,
    IncidentRef,
    ResidentRef,
    UnitRef,
    WorkOrderRef,
)
from .events import Digits, Event, LookupResult, NoInput, RecordingDone, Speech
from .inbound import handle, start
from .intents import Intent, intent_of
from .outcomes import DISPOSITIONS, fallback_route
from .prompts import PROMPTS
from .state import Call, Closed, State, Step, state_names

__all__ = [
    "PROMPTS",
    "DISPOSITIONS",
    "Action",
    "BusinessHours",
    "Call",
    "CallContext",
    "Close",
    "Closed",
    "Community",
    "Digits",
    "EmergencyNumbers",
    "IncidentRef",
    "Event",
    "Gather",
    "Intent",
    "LogEvent",
    "Lookup",
    "LookupResult",
    "NoInput",
    "Record",
    "RecordingDone",
    "ResidentRef",
    "Route",
    "Say",
    "Speech",
    "State",
    "Step",
    "Transfer",
    "UnitRef",
    "WorkOrderRef",
    "actions",
    "events",
    "policy",
    "fallback_route",
    "handle",
    "intent_of",
    "start",
    "state_names",
]
