"""The call's state: what the flow knows, and the step it is waiting in.

Every step of the flow is a frozen dataclass naming itself (``name``) and
carrying a :class:`Call`; transitions build the next state rather than
mutate this one. A state is plain data, so ``State.from_json(s.to_json())``
equals ``s`` and an adapter may store it between two webhooks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from .actions import Action, Say
from .context import ZH, CallContext, WorkOrderRef
from .events import Digits, Event, LookupResult, NoInput, RecordingDone, Speech

_STATES: dict[str, type[State]] = {}


@dataclass(frozen=True)
class Call:
    """What the flow has learnt about the call so far; every state carries one."""

    ctx: CallContext
    language: str = ZH
    service: str | None = None
    resident_id: int | None = None
    unit_id: int | None = None
    heard_status: bool = False
    id_failures: int = 0

    @classmethod
    def begin(cls, ctx: CallContext) -> Call:
        """The call as the context describes it: a single known unit is taken as given."""
        units = ctx.units()
        unit_id = units[0].unit_id if len(units) == 1 else None
        resident_id = ctx.resident_for(unit_id)
        return cls(ctx=ctx, language=ctx.language, resident_id=resident_id, unit_id=unit_id)

    def say(self, prompt: str, **params: Any) -> Say:
        """A Say of ``prompt`` in the call's language."""
        return Say(prompt=prompt, params=params, language=self.language)

    def work_order(self) -> WorkOrderRef | None:
        """The open work order self-service offers, if the caller is known and has one."""
        return self.ctx.work_orders[0] if self.ctx.known and self.ctx.work_orders else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        return cls(**{**data, "ctx": CallContext.from_dict(data["ctx"])})


@dataclass(frozen=True)
class Step:
    """One turn of the flow: the state to keep and the actions to run, in order."""

    state: State
    actions: list[Action]


@dataclass(frozen=True, kw_only=True)
class State:
    """A step of the call flow, waiting for the caller or the adapter."""

    name: ClassVar[str] = "state"
    call: Call

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _STATES[cls.name] = cls

    def prompt(self) -> list[Action]:
        """What to play or ask on entering (and repeating) this state."""
        return []

    def enter(self, *before: Action) -> Step:
        """Move into this state: ``before`` (e.g. a notice), then its prompt."""
        return Step(self, [*before, *self.prompt()])

    def on_event(self, event: Event) -> Step:
        """Dispatch an event other than Hangup to its handler."""
        match event:
            case Digits(digits=digits):
                keys = digits.strip().rstrip("#")
                return self.on_digits(keys) if keys else self.on_no_input()
            case Speech(text=text):
                return self.on_speech(text) if text.strip() else self.on_no_input()
            case NoInput():
                return self.on_no_input()
            case RecordingDone():
                return self.on_recording(event)
            case LookupResult():
                return self.on_lookup(event)
        return self.invalid()

    def on_digits(self, digits: str) -> Step:
        return self.invalid()

    def on_speech(self, text: str) -> Step:
        return self.invalid()

    def on_no_input(self) -> Step:
        return self.invalid()

    def on_recording(self, event: RecordingDone) -> Step:
        return self.invalid()

    def on_lookup(self, event: LookupResult) -> Step:
        return self.invalid()

    def invalid(self) -> Step:
        """An event this state does not expect: ask again."""
        return self.enter()

    def to_dict(self) -> dict[str, Any]:
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "call"}
        return {"state": self.name, "call": self.call.to_dict(), **own}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> State:
        cls = _STATES[data["state"]]
        own = {key: value for key, value in data.items() if key not in ("state", "call")}
        return cls(call=Call.from_dict(data["call"]), **own)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> State:
        return State.from_dict(json.loads(text))


@dataclass(frozen=True, kw_only=True)
class Closed(State):
    """The call has left the flow; anything that still arrives is only logged."""

    name = "closed"
    disposition: str
    step: str


def state_names() -> list[str]:
    """The names of every state the flow has, for tests and adapters' logs."""
    return sorted(_STATES)
