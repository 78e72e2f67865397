"""What the flow asks the adapter to do, in order.

Prompts are referenced by name (see :mod:`ivr.flow.prompts`), never by text;
``params`` carry the values to speak. A step that ends the call always ends
with exactly one :class:`Close`, as its last action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .context import ZH


@dataclass(frozen=True)
class Say:
    """Play the named prompt, filled in with ``params``."""

    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    language: str = ZH


@dataclass(frozen=True)
class Gather:
    """Play ``prompts`` (interruptible) and collect keys and/or speech.

    An empty ``finish_on_key`` means keys are not terminated (menus take one).
    """

    prompts: list[Say]
    max_digits: int = 1
    timeout_s: float = 6.0
    speech: bool = True
    hints: list[str] = field(default_factory=list)
    language: str = ZH
    finish_on_key: str = ""


@dataclass(frozen=True)
class Record:
    """Play ``prompt`` then record the caller; answered by RecordingDone."""

    prompt: str
    max_seconds: int
    purpose: str
    language: str = ZH


@dataclass(frozen=True)
class Lookup:
    """Query data (e.g. ``kind="unit"``); answered by a LookupResult."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogEvent:
    """Record a call event (the adapter writes a CallEvent row)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """Put the call in a queue; higher ``priority`` is answered first."""

    queue: str
    priority: int
    resident_id: int | None = None
    unit_id: int | None = None


@dataclass(frozen=True)
class Transfer:
    """Send the call to an outside number, e.g. the on-call engineer."""

    number: str
    reason: str


@dataclass(frozen=True)
class Close:
    """The flow is over: how it ended and the step it ended in."""

    disposition: str
    step: str


@dataclass(frozen=True)
class Hangup:
    """Hang up on the caller; only ever in the step that closes the call."""


Action = Say | Gather | Record | Lookup | LogEvent | Route | Transfer | Close | Hangup

_TAGS: dict[type, str] = {
    Say: "say",
    Gather: "gather",
    Record: "record",
    Lookup: "lookup",
    LogEvent: "log_event",
    Route: "route",
    Transfer: "transfer",
    Close: "close",
    Hangup: "hangup",
}
_BY_TAG: dict[str, Callable[..., Action]] = {tag: cls for cls, tag in _TAGS.items()}


def to_dict(action: Action) -> dict[str, Any]:
    """The action as a JSON-ready dict tagged with ``"action"``."""
    return {"action": _TAGS[type(action)], **asdict(action)}


def from_dict(data: dict[str, Any]) -> Action:
    """The action a :func:`to_dict` result describes."""
    fields = {key: value for key, value in data.items() if key != "action"}
    cls = _BY_TAG[data["action"]]
    if data["action"] == "gather":
        fields["prompts"] = [Say(**say) for say in fields["prompts"]]
    return cls(**fields)
