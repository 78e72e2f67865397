"""Life-safety advice before an emergency is queued (no I/O).

- An emergency chosen on the keypad first asks what it is, briefly: 1 gas or fire,
  2 someone hurt or ill; any other key, or a few seconds of silence, queues it as it is.
- Gas or fire: "leave the building, call 119 (fire) / 120" is played, then the call
  is queued at once.
- Medical: "call 120 now"; pressing 1 during it asks for a guard to meet the
  ambulance at the gate (``call.guard_requested``, which the agent sees); any other
  key, or silence after a few seconds, queues the call without one.

The numbers are the community's (:class:`~.context.EmergencyNumbers`). The advice
never replaces routing: every path here ends in :func:`.outcomes.emergency`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import outcomes
from .actions import Action, Gather, LogEvent
from .policy import EMERGENCY
from .state import Call, State, Step

GAS_OR_FIRE = "gas_or_fire"  # chosen on the keypad: the advice is the same for both
LEAVE_KINDS = frozenset({"gas", "fire", GAS_OR_FIRE})
MEDICAL = "medical"
KIND_KEYS = {"1": GAS_OR_FIRE, "2": MEDICAL}
KIND_TIMEOUT_S = 3.0
GUARD_KEY = "1"
GUARD_TIMEOUT_S = 3.0  # the offer is short: an emergency is not held up for long


def emergency(call: Call, step: str, kind: str | None = None) -> Step:
    """Route an emergency of ``kind``, after the advice its kind calls for."""
    if kind is None:
        return EmergencyKind(call=replace(call, service=EMERGENCY)).enter()
    if kind in LEAVE_KINDS:
        numbers = call.ctx.emergency_numbers
        leave = call.say("emergency.leave", fire=numbers.fire, ambulance=numbers.ambulance)
        return outcomes.emergency(call, step, kind, leave)
    if kind == MEDICAL:
        return GuardOffer(call=replace(call, service=EMERGENCY)).enter()
    return outcomes.emergency(call, step, kind)


@dataclass(frozen=True, kw_only=True)
class EmergencyKind(State):
    """An emergency chosen on the keypad: 1 gas or fire, 2 someone hurt or ill, else queue."""

    name = "emergency_kind"

    def prompt(self) -> list[Action]:
        return [
            Gather(
                prompts=[self.call.say("emergency.kind")],
                max_digits=1,
                timeout_s=KIND_TIMEOUT_S,
                speech=False,
                language=self.call.language,
            )
        ]

    def on_digits(self, digits: str) -> Step:
        kind = KIND_KEYS.get(digits)
        return self.invalid() if kind is None else emergency(self.call, self.name, kind)

    def invalid(self) -> Step:
        # Any other key, silence or words: no more questions, queue it now.
        return outcomes.emergency(self.call, self.name)


@dataclass(frozen=True, kw_only=True)
class GuardOffer(State):
    """A medical emergency: call 120; 1 sends a guard to meet the ambulance at the gate."""

    name = "guard_offer"

    def prompt(self) -> list[Action]:
        advice = self.call.say(
            "emergency.medical", ambulance=self.call.ctx.emergency_numbers.ambulance
        )
        return [
            Gather(
                prompts=[advice],
                max_digits=1,
                timeout_s=GUARD_TIMEOUT_S,
                speech=False,
                language=self.call.language,
            )
        ]

    def on_digits(self, digits: str) -> Step:
        if digits != GUARD_KEY:
            return self.invalid()
        asked = LogEvent("call.guard_requested", {"unit_id": self.call.unit_id})
        return outcomes.emergency(
            self.call, self.name, MEDICAL, asked, self.call.say("emergency.guard_ok")
        )

    def invalid(self) -> Step:
        # Anything but 1, silence or words: no guard asked for, queue now.
        return outcomes.emergency(self.call, self.name, MEDICAL)
