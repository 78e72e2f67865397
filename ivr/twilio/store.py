"""What the Twilio adapter keeps between two webhooks of a call (no I/O).

Each webhook is one step of the flow, so the state lives in ``Call.flow_state``
as JSON, together with what the adapter itself must remember::

    {"adapter": "twilio", "seq": 3, "state": {...flow state...},
     "twiml": "<?xml ...", "queue": "repair", "left_queue": null,
     "final_status": null}

While the database cannot be written, the flow state travels instead in the
action URLs of our TwiML (:func:`pack`): Twilio signs every URL it requests,
so it comes back unaltered. Only then, because a URL ends up in logs and an
unknown caller's state (the database being out) holds no resident's details.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import json
import zlib
from typing import Any

from ivr import flow

ADAPTER = "twilio"
MAX_PACKED_BYTES = 64 * 1024


@dataclasses.dataclass
class StoredCall:
    """The flow state of a Twilio call and the adapter's own memory of it.

    ``seq`` numbers the step whose TwiML (``twiml``) Twilio last received;
    ``queue`` is the queue the caller was put in; ``left_queue`` Twilio's
    ``QueueResult`` when they left it; ``final_status`` the first final
    ``CallStatus`` (completed, busy, …) a status callback reported.
    """

    state: flow.State
    seq: int = 0
    twiml: str = ""
    queue: str | None = None
    left_queue: str | None = None
    final_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        own = {f.name: getattr(self, f.name) for f in _FIELDS}
        return {"adapter": ADAPTER, "state": state_dict(self.state), **own}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredCall:
        """The stored call ``data`` describes.

        :raises ValueError: when ``data`` is not a Twilio call's stored state.
        """
        if not isinstance(data, dict) or data.get("adapter") != ADAPTER:
            raise ValueError("not a Twilio call's flow state")
        try:
            fields = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
            fields["state"] = state = flow.State.from_dict(data["state"])
            _read_as(state.call.ctx, data["state"]["call"]["ctx"])
            return cls(**fields)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable flow state: {exc!r}") from exc


_FIELDS = tuple(f for f in dataclasses.fields(StoredCall) if f.name != "state")


def state_dict(state: flow.State) -> dict[str, Any]:
    """``state.to_dict()``, made without ``dataclasses.asdict``'s deep copies (a webhook
    stores the state each time; tests/twilio/test_store.py holds the two equal)."""
    own = {name: getattr(state, name) for name in _names(type(state)) if name != "call"}
    return {"state": state.name, "call": _plain(state.call), **own}


def _plain(value: Any) -> Any:
    """What ``dataclasses.asdict`` makes of ``value``, for the plain data a flow state holds."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is flow.CallContext:
        read = _READ_AS.get(id(value))
        if read is not None and read[0] is value:
            return read[1]
    if kind is list:
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {name: _plain(getattr(value, name)) for name in _names(kind)}
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(_plain(item) for item in value)
    return copy.deepcopy(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})

# The plain form each call context was read from (StoredCall.from_dict), by the object
# read: a call's context never changes (frozen), so the next webhook stores it as it
# was read rather than working it out again. The object is kept with it (its id is
# not reused while it lives); a few webhooks' worth.
_READ_AS: dict[int, tuple[flow.CallContext, Any]] = {}
_READ_KEPT = 64


def _read_as(ctx: flow.CallContext, plain: Any) -> None:
    if len(_READ_AS) >= _READ_KEPT:
        _READ_AS.clear()
    _READ_AS[id(ctx)] = (ctx, plain)


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(kind: type) -> tuple[str, ...]:
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


# QueueResult values meaning the caller was connected to whoever dequeued them.
BRIDGED = frozenset({"bridged", "bridging-in-process", "redirected-from-bridged"})


def pack(state: flow.State) -> str:
    """The flow state as URL-safe text."""
    raw = zlib.compress(state.to_json().encode("utf-8"), 9)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unpack(text: str) -> flow.State | None:
    """The flow state :func:`pack` gave, or None for text that is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_PACKED_BYTES)
        if inflater.unconsumed_tail:
            return None
        return flow.State.from_dict(json.loads(data.decode("utf-8")))
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        RecursionError,
        zlib.error,
        binascii.Error,
    ):
        return None
