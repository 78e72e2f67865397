"""What the adapter feeds the flow: one event per step.

Each event serialises to a dict tagged ``"event"`` so the browser simulator
and logs can carry them as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Digits:
    """Keys the caller pressed during a gather, without the closing ``#``."""

    digits: str


@dataclass(frozen=True)
class Speech:
    """Text the recogniser heard during a gather."""

    text: str


@dataclass(frozen=True)
class NoInput:
    """The gather timed out with neither keys nor speech."""


@dataclass(frozen=True)
class Hangup:
    """The caller hung up."""


@dataclass(frozen=True)
class RecordingDone:
    """A recording finished; ``ref`` names the stored audio."""

    ref: str
    seconds: float


@dataclass(frozen=True)
class LookupResult:
    """The adapter's answer to a Lookup action of the same ``kind``."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Event = Digits | Speech | NoInput | Hangup | RecordingDone | LookupResult

_TAGS: dict[type, str] = {
    Digits: "digits",
    Speech: "speech",
    NoInput: "no_input",
    Hangup: "hangup",
    RecordingDone: "recording_done",
    LookupResult: "lookup_result",
}
_BY_TAG: dict[str, Callable[..., Event]] = {tag: cls for cls, tag in _TAGS.items()}


def to_dict(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict tagged with ``"event"``."""
    return {"event": _TAGS[type(event)], **asdict(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """The event a :func:`to_dict` result describes."""
    fields = {key: value for key, value in data.items() if key != "event"}
    return _BY_TAG[data["event"]](**fields)
