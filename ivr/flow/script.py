"""A scripted caller: drive the flow with a list of events, in tests or the simulator.

    transcript = drive(sample_context(), [Digits("2")], lookup=directory({...}))
    transcript.close     # Close(disposition="queued", step="main_menu")

``lookup`` plays the adapter's part, answering every Lookup action at once;
``through_json`` stores the state (and the event) as JSON between steps, the
way the Twilio adapter does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from . import events
from .actions import Action, Close, Gather, Lookup, Record, Say
from .context import ZH, BusinessHours, CallContext, Community, ResidentRef, UnitRef
from .events import Event, LookupResult
from .inbound import handle, start
from .state import Closed, State, Step

LookupAnswer = Callable[[Lookup], LookupResult]
A = TypeVar("A")
MAX_LOOKUPS_PER_STEP = 5


def sample_unit(n: int = 1) -> UnitRef:
    """A unit of the sample community: 3栋2单元1501, 1502, …"""
    return UnitRef(unit_id=100 + n, address=f"3栋2单元{1500 + n}")


def sample_resident(
    *, resident_id: int = 1, units: int = 1, language: str = ZH, senior_care: bool = False
) -> ResidentRef:
    """A resident with ``units`` units of the sample community."""
    return ResidentRef(
        resident_id=resident_id,
        name=f"住户{resident_id}",
        language=language,
        senior_care=senior_care,
        units=[sample_unit(n) for n in range(1, units + 1)],
    )


def sample_context(**changes: Any) -> CallContext:
    """A known caller with one unit, calling on a Monday at 10:00 with the centre open."""
    ctx = CallContext(
        call_id="call-1",
        community=Community(code="SH01", name="阳光花园", name_en="Sunshine Garden"),
        now="2026-03-02T10:00:00+08:00",
        hours=BusinessHours(open="08:30", close="18:00", weekdays=[1, 2, 3, 4, 5, 6, 7]),
        on_call_number="+8613800000000",
        caller_known=True,
        residents=[sample_resident()],
    )
    return replace(ctx, **changes)


def directory(units: dict[tuple[str, str], UnitRef]) -> LookupAnswer:
    """A unit directory keyed by (building, room), answering ``Lookup(kind="unit")``."""

    def answer(action: Lookup) -> LookupResult:
        where = (str(action.params.get("building")), str(action.params.get("room")))
        unit = units.get(where)
        found = {"unit_id": unit.unit_id, "address": unit.address} if unit else {}
        return LookupResult(kind=action.kind, data=found)

    return answer


@dataclass
class Transcript:
    """Every step of a scripted call, first to last."""

    steps: list[Step]

    @property
    def state(self) -> State:
        """The state the call is left in (the transcript must have a step)."""
        return self.steps[-1].state

    @property
    def actions(self) -> list[Action]:
        return [action for step in self.steps for action in step.actions]

    def of(self, kind: type[A]) -> list[A]:
        """The actions of one type, in order."""
        return [action for action in self.actions if isinstance(action, kind)]

    @property
    def close(self) -> Close | None:
        closes = self.of(Close)
        return closes[0] if closes else None

    @property
    def prompts(self) -> list[str]:
        """Every prompt name played, in order (Say, Gather prompts, Record)."""
        names: list[str] = []
        for action in self.actions:
            if isinstance(action, Say | Record):
                names.append(action.prompt)
            elif isinstance(action, Gather):
                names.extend(say.prompt for say in action.prompts)
        return names


def drive(
    ctx: CallContext,
    script: Iterable[Event],
    *,
    lookup: LookupAnswer | None = None,
    through_json: bool = False,
) -> Transcript:
    """Start a call on ``ctx`` and feed it ``script``, one event per step."""
    first = start(ctx)
    steps = [first, *_answer_lookups(first, lookup, through_json)]
    rest = resume(steps[-1].state, script, lookup=lookup, through_json=through_json)
    return Transcript(steps + rest.steps)


def resume(
    state: State,
    script: Iterable[Event],
    *,
    lookup: LookupAnswer | None = None,
    through_json: bool = False,
) -> Transcript:
    """Feed ``script`` to a call already waiting in ``state``."""
    steps: list[Step] = []
    for event in script:
        steps.append(_step(state, event, through_json))
        steps += _answer_lookups(steps[-1], lookup, through_json)
        state = steps[-1].state
    return Transcript(steps)


def _step(state: State, event: Event, through_json: bool) -> Step:
    if through_json:
        state = State.from_json(state.to_json())
        event = events.from_dict(json.loads(json.dumps(events.to_dict(event))))
    return handle(state, event)


def _answer_lookups(step: Step, lookup: LookupAnswer | None, through_json: bool) -> list[Step]:
    answered: list[Step] = []
    while lookup is not None and len(answered) < MAX_LOOKUPS_PER_STEP:
        asked = [a for a in step.actions if isinstance(a, Lookup)]
        if not asked or isinstance(step.state, Closed):
            break
        step = _step(step.state, lookup(asked[-1]), through_json)
        answered.append(step)
    return answered
