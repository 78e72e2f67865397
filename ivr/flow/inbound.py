"""The inbound hotline flow: greeting, self-service, main menu, after hours.

``start(ctx)`` gives the first step; ``handle(state, event)`` every next one.
Whatever the state, a Hangup closes the call and spoken emergency words
route it as an emergency at once; everything else is up to the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from . import events, identify, outcomes, safety
from .actions import Action, LogEvent, Record, Say
from .context import CallContext, WorkOrderRef
from .events import Event, Hangup, RecordingDone, Speech
from .intents import Intent, emergency_kind
from .menu import Menu, Retrying
from .policy import (
    COMPLAINT,
    EMERGENCY,
    INQUIRY,
    NEEDS_UNIT,
    REPAIR,
    greeting_prompt,
    is_open,
)
from .state import Call, Closed, State, Step

MESSAGE_MAX_SECONDS = 120
STATUS_KEY = "1"
AGENT_KEY = "1"
MESSAGE_KEY = "1"
MAIN_MENU_KEY = "0"
ON_CALL_KEY = "0"
OTHER_MATTER_KEY = "1"  # at an incident's notice: calling about something else
INCIDENT_AGENT_KEY = "0"  # at an incident's notice: an agent about the incident

# Spoken intents that choose a service, at the menus that offer services.
SERVICE_OF_INTENT = {
    Intent.REPAIR: REPAIR,
    Intent.INQUIRY: INQUIRY,
    Intent.COMPLAINT: COMPLAINT,
    Intent.AGENT: INQUIRY,
}


def start(ctx: CallContext) -> Step:
    """The first step of an inbound call: greet, then self-service or the main menu."""
    call = Call.begin(ctx)
    started = LogEvent(
        "call.started",
        {
            "call_id": ctx.call_id,
            "community": ctx.community.code,
            "known": ctx.known,
            "resident_id": call.resident_id,
            "language": call.language,
            "open": is_open(ctx),
        },
    )
    community = ctx.community.name_in(call.language)
    before: list[Action] = [started, call.say(greeting_prompt(ctx), community=community)]
    if not is_open(ctx):
        before.append(call.say("hours.closed", open=ctx.hours.open, close=ctx.hours.close))
    first: State = IncidentNotice(call=call) if ctx.incidents else first_menu(call)
    return first.enter(*before)


def first_menu(call: Call) -> State:
    """Self-service on the caller's open work order, else the main menu."""
    return SelfServiceOffer(call=call) if call.work_order() else MainMenu(call=call)


def handle(state: State, event: Event) -> Step:
    """The next step of the call, given the state it was in and what happened."""
    if isinstance(state, Closed):
        step = Step(state, [])
    elif isinstance(event, Hangup) and isinstance(state, IncidentNotice):
        step = outcomes.incident_linked(state.call, state.name, said=False)
    elif isinstance(event, Hangup):
        step = outcomes.hung_up(state)
    else:
        step = _emergency_heard(state, event) or state.on_event(event)
    logged = LogEvent(
        "ivr.step",
        {"step": state.name, "event": events.to_dict(event), "next": step.state.name},
    )
    return Step(step.state, [logged, *step.actions])


def _emergency_heard(state: State, event: Event) -> Step | None:
    """Emergency words route an emergency from any state, whatever it asked."""
    if not isinstance(event, Speech) or isinstance(state, safety.GuardOffer):
        return None
    kind = emergency_kind(event.text)
    return None if kind is None else safety.emergency(state.call, state.name, kind)


def choose_service(call: Call, service: str, step: str) -> Step:
    """Act on the caller's choice of service, made at ``step``."""
    call = replace(call, service=service)
    if service == EMERGENCY:
        return safety.emergency(call, step)
    if not is_open(call.ctx):
        return AfterHoursOffer(call=call).enter()
    if service in NEEDS_UNIT and call.unit_id is None:
        return identify.begin(call)
    return outcomes.route(call, service, step)


def _offered_order(call: Call) -> WorkOrderRef:
    return call.work_order() or WorkOrderRef(number="", status="")


@dataclass(frozen=True, kw_only=True)
class IncidentNotice(Menu):
    """A declared incident affects the caller: its status first, then 1 for something
    else, 0 for an agent about it; silence (or hanging up) links the call to it."""

    name = "incident_notice"

    def menu(self) -> list[Say]:
        call = self.call
        said = [
            call.say("incident.status", message=i.message_in(call.language), incident=i.incident_id)
            for i in call.ctx.incidents
        ]
        return [*said, call.say("incident.menu")]

    def choose(self, key: str) -> Step | None:
        if key == OTHER_MATTER_KEY:
            bypassed = LogEvent("call.incident_bypassed", {"unit_id": self.call.unit_id})
            return first_menu(self.call).enter(bypassed)
        if key == INCIDENT_AGENT_KEY:
            step = choose_service(self.call, INQUIRY, self.name)
            return Step(step.state, [outcomes.incident_link(self.call), *step.actions])
        return None

    def hint_intents(self) -> tuple[Intent, ...]:
        return (Intent.AGENT,)

    def choose_intent(self, intent: Intent) -> Step | None:
        return self.choose(INCIDENT_AGENT_KEY) if intent is Intent.AGENT else None

    def on_no_input(self) -> Step:
        # A resident in a hurry has heard what they called about: thank them, let them go.
        return outcomes.incident_linked(self.call, self.name)


@dataclass(frozen=True, kw_only=True)
class SelfServiceOffer(Menu):
    """Offers a known caller their open work order's status (1) before the main menu."""

    name = "self_service_offer"

    def menu(self) -> list[Say]:
        return [self.call.say("self_service.offer", work_order=_offered_order(self.call).number)]

    def hint_intents(self) -> tuple[Intent, ...]:
        return (Intent.REPAIR, Intent.INQUIRY, Intent.COMPLAINT)

    def choose(self, key: str) -> Step | None:
        if key == STATUS_KEY:
            order = _offered_order(self.call)
            heard = LogEvent("call.status_heard", {"work_order": order.number})
            return WorkOrderStatus(call=replace(self.call, heard_status=True)).enter(heard)
        if key == MAIN_MENU_KEY:
            return MainMenu(call=self.call).enter()
        return None

    def choose_intent(self, intent: Intent) -> Step | None:
        service = SERVICE_OF_INTENT.get(intent)
        return None if service is None else choose_service(self.call, service, self.name)

    def on_no_input(self) -> Step:
        # The offer is optional: silence simply moves on to the main menu.
        return MainMenu(call=self.call).enter()


@dataclass(frozen=True, kw_only=True)
class WorkOrderStatus(Menu):
    """Reads out the work order's status, then 1 for an agent about it, 0 for the main menu."""

    name = "work_order_status"

    def prompt(self) -> list[Action]:
        order = _offered_order(self.call)
        status = self.call.say(
            "wo.status",
            number=order.number,
            status=order.status,
            assignee=order.assignee,
            when=order.when,
            overdue=order.overdue,
        )
        return [status, *super().prompt()]

    def menu(self) -> list[Say]:
        return [self.call.say("self_service.followup")]

    def hint_intents(self) -> tuple[Intent, ...]:
        return (Intent.AGENT, Intent.REPAIR)

    def choose(self, key: str) -> Step | None:
        if key == AGENT_KEY:
            return self._agent_about_it()
        if key == MAIN_MENU_KEY:
            return MainMenu(call=self.call).enter()
        return None

    def choose_intent(self, intent: Intent) -> Step | None:
        if intent in (Intent.AGENT, Intent.REPAIR):
            return self._agent_about_it()
        service = SERVICE_OF_INTENT.get(intent)
        return None if service is None else choose_service(self.call, service, self.name)

    def _agent_about_it(self) -> Step:
        """A repair call about the work order's own unit."""
        unit_id = _offered_order(self.call).unit_id
        call = self.call
        if unit_id is not None:
            call = replace(call, unit_id=unit_id, resident_id=call.ctx.resident_for(unit_id))
        return choose_service(call, REPAIR, self.name)


@dataclass(frozen=True, kw_only=True)
class MainMenu(Menu):
    """The main menu: 1 emergency, 2 repair, 3 inquiry, 4 complaint."""

    name = "main_menu"
    keys: ClassVar[dict[str, str]] = {"1": EMERGENCY, "2": REPAIR, "3": INQUIRY, "4": COMPLAINT}

    def menu(self) -> list[Say]:
        return [self.call.say("menu.main")]

    def hint_intents(self) -> tuple[Intent, ...]:
        return (Intent.REPAIR, Intent.INQUIRY, Intent.COMPLAINT, Intent.AGENT)

    def choose(self, key: str) -> Step | None:
        service = self.keys.get(key)
        return None if service is None else choose_service(self.call, service, self.name)

    def choose_intent(self, intent: Intent) -> Step | None:
        service = SERVICE_OF_INTENT.get(intent)
        return None if service is None else choose_service(self.call, service, self.name)


@dataclass(frozen=True, kw_only=True)
class AfterHoursOffer(Menu):
    """After hours: 1 leaves a message; 0 reaches the on-call engineer, for emergencies only."""

    name = "after_hours_offer"

    def menu(self) -> list[Say]:
        hours = self.call.ctx.hours
        return [self.call.say("after_hours.offer", open=hours.open, close=hours.close)]

    def hint_intents(self) -> tuple[Intent, ...]:
        return (Intent.MESSAGE,)

    def choose(self, key: str) -> Step | None:
        if key == MESSAGE_KEY:
            return RecordMessage(call=self.call).enter()
        if key == ON_CALL_KEY:
            return safety.emergency(self.call, self.name)
        return None

    def choose_intent(self, intent: Intent) -> Step | None:
        if intent in (Intent.MESSAGE, Intent.REPAIR, Intent.INQUIRY, Intent.COMPLAINT):
            return RecordMessage(call=self.call).enter()
        return None


@dataclass(frozen=True, kw_only=True)
class RecordMessage(Retrying):
    """Records the caller's after-hours message."""

    name = "record_message"

    def prompt(self) -> list[Action]:
        record = Record(
            prompt="after_hours.record",
            max_seconds=MESSAGE_MAX_SECONDS,
            purpose="after_hours_message",
            language=self.call.language,
        )
        return [record]

    def on_recording(self, event: RecordingDone) -> Step:
        if event.ref and event.seconds > 0:
            return outcomes.message_left(self.call, self.name, event)
        return self.invalid()

    def invalid(self) -> Step:
        return self.miss("after_hours.no_message")
