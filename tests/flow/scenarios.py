"""Sample calls shared by the flow's tests: contexts, and scripts reaching each state."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ivr.flow import (
    Digits,
    LookupResult,
    NoInput,
    RecordingDone,
    Speech,
    State,
    WorkOrderRef,
)
from ivr.flow.context import EN, CallContext, EmergencyNumbers, IncidentRef
from ivr.flow.events import Event, Hangup
from ivr.flow.script import (
    Transcript,
    directory,
    drive,
    resume,
    sample_context,
    sample_resident,
    sample_unit,
)

ORDER = WorkOrderRef(
    number="SH01-2026-000123",
    status="assigned",
    assignee="李师傅",
    when="2026-03-02T14:00:00+08:00",
    overdue=False,
    unit_id=101,
)

KNOWN = sample_context()
UNKNOWN = sample_context(caller_known=False, residents=[])
MULTI_UNIT = sample_context(residents=[sample_resident(units=3)])
MANY_UNITS = sample_context(residents=[sample_resident(units=12)])
WITH_ORDER = sample_context(work_orders=[ORDER])
OVERDUE = sample_context(work_orders=[replace(ORDER, overdue=True)])
ENGLISH = sample_context(residents=[sample_resident(language=EN)])
SENIOR = sample_context(residents=[sample_resident(senior_care=True)])
AFTER_HOURS = sample_context(now="2026-03-02T21:30:00+08:00")
AFTER_HOURS_NO_ON_CALL = sample_context(now="2026-03-02T21:30:00+08:00", on_call_number=None)
BURST_MAIN = IncidentRef(
    incident_id=7,
    message="3栋供水主管爆裂，正在抢修，预计18点恢复供水。",
    message_en="A water main burst at building 3; water is expected back by 18:00.",
)
IN_INCIDENT = sample_context(incidents=[BURST_MAIN])
IN_INCIDENT_WITH_ORDER = sample_context(incidents=[BURST_MAIN], work_orders=[ORDER])
HONG_KONG = sample_context(emergency_numbers=EmergencyNumbers("999", "999", "999"))
AFTERNOON_UNKNOWN = sample_context(
    now="2026-03-02T15:00:00+08:00", caller_known=False, residents=[]
)

UNIT_3_1502 = sample_unit(2)
DIRECTORY = directory({("3", "1502"): UNIT_3_1502})
FOUND = LookupResult(
    kind="unit", data={"unit_id": UNIT_3_1502.unit_id, "address": UNIT_3_1502.address}
)
NOT_FOUND = LookupResult(kind="unit", data={})
TYPE_3_1502 = [Digits("3"), Digits("1502")]


@dataclass(frozen=True)
class Reach:
    """A context and the events that bring a call to one waiting state."""

    ctx: CallContext
    script: list[Event] = field(default_factory=list)
    service: str | None = None  # the service chosen by then, if any


# One way to reach every state the flow can wait in (the lookup left unanswered).
REACH: dict[str, Reach] = {
    "self_service_offer": Reach(WITH_ORDER),
    "work_order_status": Reach(WITH_ORDER, [Digits("1")]),
    "main_menu": Reach(KNOWN),
    "unit_picker": Reach(MULTI_UNIT, [Digits("2")], "repair"),
    "enter_building": Reach(UNKNOWN, [Digits("2")], "repair"),
    "enter_room": Reach(UNKNOWN, [Digits("4"), Digits("3")], "complaint"),
    "await_unit": Reach(UNKNOWN, [Digits("2"), *TYPE_3_1502], "repair"),
    "confirm_unit": Reach(UNKNOWN, [Digits("2"), *TYPE_3_1502, FOUND], "repair"),
    "after_hours_offer": Reach(AFTER_HOURS, [Digits("2")], "repair"),
    "record_message": Reach(AFTER_HOURS, [Digits("3"), Digits("1")], "inquiry"),
    "incident_notice": Reach(IN_INCIDENT),
    "guard_offer": Reach(KNOWN, [Speech("快叫救护车")], "emergency"),
    "emergency_kind": Reach(KNOWN, [Digits("1")], "emergency"),
}

# The menus: states whose gather takes one key, * to repeat and 9 for English.
MENUS = [
    "incident_notice",
    "self_service_offer",
    "work_order_status",
    "main_menu",
    "unit_picker",
    "confirm_unit",
    "after_hours_offer",
]
# Menus while identifying the unit: three failures there go on unidentified.
IDENTIFYING = ["unit_picker", "confirm_unit"]

# Whole calls, end to end, covering every disposition and every prompt.
SCENARIOS: dict[str, tuple[CallContext, list[Event]]] = {
    "repair, known caller": (KNOWN, [Digits("2")]),
    "emergency by key": (KNOWN, [Digits("1"), NoInput()]),
    "gas or fire by key": (KNOWN, [Digits("1"), Digits("1")]),
    "medical by key, no guard": (KNOWN, [Digits("1"), Digits("2"), Digits("2")]),
    "inquiry by speech, English": (ENGLISH, [Speech("I have a question")]),
    "complaint, unknown caller, identified": (
        AFTERNOON_UNKNOWN,
        [Digits("4"), *TYPE_3_1502, Digits("1")],
    ),
    "repair, unknown caller, three failures": (
        UNKNOWN,
        [Digits("2"), NoInput(), Digits("12345"), Digits("3"), Digits("404")],
    ),
    "repair, multi-unit picker": (MULTI_UNIT, [Digits("2"), Digits("3")]),
    "repair, multi-unit, another unit": (
        MULTI_UNIT,
        [Digits("2"), Digits("0"), *TYPE_3_1502, Digits("1")],
    ),
    "two invalid keys": (KNOWN, [Digits("7"), Digits("8")]),
    "two silences": (KNOWN, [NoInput(), NoInput()]),
    "repeat then English then repair": (KNOWN, [Digits("*"), Digits("9"), Digits("2")]),
    "self-service, then hang up": (WITH_ORDER, [Digits("1"), Hangup()]),
    "self-service, agent about it": (OVERDUE, [Digits("1"), Digits("1")]),
    "self-service declined": (WITH_ORDER, [NoInput(), Digits("3")]),
    "medical emergency in words": (SENIOR, [Speech("快叫救护车"), NoInput()]),
    "medical emergency, guard asked for": (KNOWN, [Speech("ambulance"), Digits("1")]),
    "gas smell in words": (KNOWN, [Speech("有燃气味")]),
    "incident heard, then silence": (IN_INCIDENT, [NoInput()]),
    "incident heard, something else": (
        IN_INCIDENT_WITH_ORDER,
        [Digits("1"), Digits("0"), Digits("2")],
    ),
    "incident heard, an agent about it": (IN_INCIDENT, [Digits("0")]),
    "after hours message": (
        sample_context(now="2026-03-02T20:00:00+08:00"),
        [
            Digits("2"),
            Digits("1"),
            RecordingDone(ref="", seconds=0),
            RecordingDone(ref="rec-1", seconds=12.5),
        ],
    ),
    "after hours emergency to on-call": (AFTER_HOURS, [Digits("2"), Digits("0"), NoInput()]),
    "after hours emergency, no on-call": (AFTER_HOURS_NO_ON_CALL, [Speech("停电了")]),
    "abandoned at the main menu": (KNOWN, [Hangup()]),
    "unit not found then found": (
        UNKNOWN,
        [Digits("2"), Digits("9"), Digits("9"), *TYPE_3_1502, Digits("1")],
    ),
}


def reach(name: str) -> State:
    """The state a call waits in after REACH[name]'s script (checked to be that state)."""
    place = REACH[name]
    state = drive(place.ctx, place.script).state
    assert state.name == name
    return state


def then(state: State, *script: Event) -> Transcript:
    """Go on from ``state`` with ``script``, answering lookups from DIRECTORY."""
    return resume(state, script, lookup=DIRECTORY)
