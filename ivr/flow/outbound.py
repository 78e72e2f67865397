"""What every outbound call flow shares: its context, its states, how it ends (no I/O).

The hotline's own calls (a survey after a work order, a notice, a fee reminder, a
senior-care call) speak the inbound flow's language: the same events come in
(:mod:`.events`) and the same actions go out (:mod:`.actions`), so an adapter that
runs the inbound flow runs these too. Their states are their own (not
:class:`ivr.flow.State`): the inbound flow's list of states stays the inbound one.

What the flow tells the adapter to keep, beyond the call record:

- ``LogEvent("survey.answers", {...answers so far..., "complete": bool})`` each
  time an answer arrives: the adapter stores them at once (``record_answers``),
  so a hang-up part-way keeps them;
- ``LogEvent("survey.comment", {"ref": ..., "seconds": ...})``: the comment's recording;
- ``LogEvent("outbound.callback_requested", {...})``: a family asked to be called;
- ``Close(disposition, step)`` with a disposition of :data:`OUTCOMES`: how the
  attempt ended, for the dialer's policy (``after_attempt``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from .actions import Action, Close, Hangup, Say
from .context import ZH, Community
from .events import Digits, Event, NoInput, RecordingDone, Speech

# How an outbound flow ends: the attempt outcomes it can report (models.AttemptOutcome).
COMPLETED = "completed"  # an on-call call: accepted
PARTIAL = "partial"
OPTED_OUT = "opted_out"
DECLINED = "declined"  # an on-call call: the person pressed 2
NO_ANSWER = "no_answer"  # an on-call call: answered, but nothing decided
OUTCOMES = (COMPLETED, PARTIAL, OPTED_OUT, DECLINED, NO_ANSWER)

SURVEY = "survey"
NOTICE = "notice"
FEE_REMINDER = "fee_reminder"
SENIOR_CARE = "senior_care"
ON_CALL = "on_call"
PURPOSES = (SURVEY, NOTICE, FEE_REMINDER, SENIOR_CARE, ON_CALL)

# Not a prompt: the campaign's own message, spoken from ``params["text"]`` by
# text-to-speech, or played from ``params["recording"]``. Adapters handle it themselves.
MESSAGE = "campaign.message"

_STATES: dict[str, type[OutboundState]] = {}


@dataclass(frozen=True)
class Subject:
    """What a survey is about: the work order's kind and the day the work was done."""

    kind: str  # a survey.about.<kind> prompt: leak, repair, complaint …
    day: str = ""  # ISO date, e.g. 2026-11-20
    work_order: str = ""  # its number, for the record


@dataclass(frozen=True)
class Emergency:
    """What an on-call call reads out: the emergency, where, and whom to call back."""

    kind: str  # the work order's emergency subcategory: burst_pipe, lift_trapped …
    address: str = ""  # 3栋2单元1502, or the common area's place
    callback: str = ""  # the resident's number, E.164
    work_order: str = ""  # its number


@dataclass(frozen=True)
class OutboundContext:
    """Everything an outbound flow may know, gathered by the adapter before it starts.

    ``attempt_id`` and ``job_id`` name the records the adapter keeps answers on;
    ``message`` / ``recording`` are a notice's words or recorded audio; ``amount``
    and ``due`` a fee reminder's (ISO date), when the record has them; ``emergency``
    what an on-call call reads out; ``eta`` the minutes a notice says help is away.
    """

    attempt_id: int
    job_id: int
    purpose: str
    community: Community
    language: str = ZH
    subject: Subject | None = None
    message: str = ""
    recording: str = ""
    amount: str = ""
    due: str = ""
    emergency: Emergency | None = None
    eta: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboundContext:
        subject, emergency = data.get("subject"), data.get("emergency")
        return cls(
            **{
                **data,
                "community": Community(**data["community"]),
                "subject": Subject(**subject) if subject else None,
                "emergency": Emergency(**emergency) if emergency else None,
            }
        )

    def say(self, prompt: str, **params: Any) -> Say:
        """A Say of ``prompt`` in the resident's language."""
        return Say(prompt=prompt, params=params, language=self.language)

    def community_name(self) -> str:
        return self.community.name_in(self.language)


@dataclass(frozen=True)
class OutboundStep:
    """One turn of an outbound flow: the state to keep and the actions to run, in order."""

    state: OutboundState
    actions: list[Action]


@dataclass(frozen=True, kw_only=True)
class OutboundState:
    """A step of an outbound call, waiting for the resident."""

    name: ClassVar[str] = "outbound"
    ctx: OutboundContext

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _STATES[cls.name] = cls

    def prompt(self) -> list[Action]:
        """What to play or ask on entering (and repeating) this state."""
        return []

    def enter(self, *before: Action) -> OutboundStep:
        return OutboundStep(self, [*before, *self.prompt()])

    def on_event(self, event: Event) -> OutboundStep:
        """Dispatch an event other than Hangup to its handler."""
        match event:
            case Digits(digits=digits):
                keys = digits.strip().rstrip("#")
                return self.on_digits(keys) if keys else self.on_no_input()
            case Speech(text=text):
                keys = spoken_digit(text)
                return self.on_digits(keys) if keys else self.on_no_input()
            case NoInput():
                return self.on_no_input()
            case RecordingDone():
                return self.on_recording(event)
        return self.on_no_input()

    def on_digits(self, digits: str) -> OutboundStep:
        return self.on_no_input()

    def on_no_input(self) -> OutboundStep:
        return self.enter()

    def on_recording(self, event: RecordingDone) -> OutboundStep:
        return self.on_no_input()

    def hung_up(self) -> OutboundStep:
        """The resident hung up in this state."""
        return close(self, PARTIAL, [])

    def to_dict(self) -> dict[str, Any]:
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ctx"}
        return {"state": self.name, "ctx": self.ctx.to_dict(), **_plain(own)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> OutboundState:
        cls = _STATES[data["state"]]
        own = {key: value for key, value in data.items() if key not in ("state", "ctx")}
        return cls(ctx=OutboundContext.from_dict(data["ctx"]), **cls.own_from_dict(own))

    @classmethod
    def own_from_dict(cls, own: dict[str, Any]) -> dict[str, Any]:
        """The state's own fields from their JSON form (nested dataclasses rebuilt)."""
        return own

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> OutboundState:
        return OutboundState.from_dict(json.loads(text))


@dataclass(frozen=True, kw_only=True)
class Ended(OutboundState):
    """The call has left the flow; anything that still arrives changes nothing."""

    name = "ended"
    disposition: str
    step: str

    def hung_up(self) -> OutboundStep:
        return OutboundStep(self, [])

    def on_event(self, event: Event) -> OutboundStep:
        return OutboundStep(self, [])


def close(state: OutboundState, disposition: str, actions: list[Action]) -> OutboundStep:
    """End the call with ``disposition``: ``actions`` then the one Close."""
    ended = Ended(ctx=state.ctx, disposition=disposition, step=state.name)
    return OutboundStep(ended, [*actions, Close(disposition=disposition, step=state.name)])


def goodbye(state: OutboundState, disposition: str, *before: Action, prompt: str) -> OutboundStep:
    """Say ``prompt``, hang up and close the call."""
    return close(state, disposition, [*before, state.ctx.say(prompt), Hangup()])


_SPOKEN = {
    "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "九": "9",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "nine": "9",
    "yes": "1", "no": "2", "是": "1", "否": "2",
}  # fmt: skip


def spoken_digit(text: str) -> str:
    """The one key a short spoken answer stands for ("五分", "four", "yes"), or ''."""
    words = text.strip().lower().rstrip(".。!！")
    digits = [ch for ch in words if ch.isdigit()]
    if len(digits) == 1:
        return digits[0]
    for word, key in _SPOKEN.items():
        if words.startswith(word):
            return key
    return ""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def outbound_state_names() -> list[str]:
    """Every outbound state's name, for tests and adapters' logs."""
    return sorted(_STATES)
