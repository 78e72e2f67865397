"""A prompt and its values as a sequence of recorded pieces (no I/O).

Asterisk ships no Mandarin sounds and cannot speak a work-order number or an
address by itself, so every value is spoken from the project's own pieces:
digits, letters, numbers 0–59, a few words. A piece is named like a prompt
(``digit.7``, ``char.S``, ``number.15``, ``word.building``); each adapter maps
names to files or URLs. The prompt's own recording comes first, then its values
in the order :data:`PARAM_ORDER` gives.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from ivr.flow import Say

# Which values of a prompt are spoken, in order; a prompt not listed speaks none.
PARAM_ORDER: dict[str, tuple[str, ...]] = {
    "greeting.morning": ("community",),
    "greeting.afternoon": ("community",),
    "greeting.evening": ("community",),
    "hours.closed": ("open", "close"),
    "self_service.offer": ("work_order",),
    "wo.status": ("number", "status", "when"),
    "id.pick_unit.option": ("digit", "address"),
    "id.confirm": ("address",),
    "id.not_found": ("building", "room"),
    "after_hours.offer": ("open", "close"),
}

_ADDRESS = re.compile(r"(?P<building>[^栋]+)栋(?:(?P<entrance>[^单]+)单元)?(?P<room>.+)")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


def pieces(say: Say, community_code: str = "") -> list[str]:
    """The prompt's name followed by the pieces of each of its values.

    A community's name is spoken from its own recording, named by its code.
    """
    out = [say.prompt]
    for name in PARAM_ORDER.get(say.prompt, ()):
        value = say.params.get(name)
        if name == "community":
            out.extend([f"community.{community_code}"] if community_code else [])
        elif value not in (None, ""):
            out.extend(value_pieces(name, value))
    return out


def value_pieces(name: str, value: Any) -> list[str]:
    """How one value is spoken."""
    if name == "status":
        return [f"status.{value}"]
    if name in ("address",):
        return address_pieces(str(value))
    if name in ("work_order", "number"):
        return chars(str(value))
    if name == "when":
        return datetime_pieces(str(value))
    if isinstance(value, str) and _TIME.match(value):
        hour, minute = value.split(":")
        return time_pieces(int(hour), int(minute))
    return chars(str(value))


def chars(text: str) -> list[str]:
    """Character by character: digits and letters; separators are left out."""
    return [f"digit.{c}" if c.isdigit() else f"char.{c.upper()}" for c in text if c.isalnum()]


def address_pieces(address: str) -> list[str]:
    """``3栋2单元1502`` as building 3, entrance 2, room 1-5-0-2."""
    match = _ADDRESS.fullmatch(address)
    if not match:
        return chars(address)
    out = [*chars(match["building"]), "word.building"]
    if match["entrance"]:
        out += [*chars(match["entrance"]), "word.entrance"]
    return [*out, *chars(match["room"]), "word.room"]


def time_pieces(hour: int, minute: int) -> list[str]:
    """``15:30`` as number 15, word hour, number 30, word minute (0 minutes left out)."""
    out = [f"number.{hour}", "word.hour"]
    return out + ([f"number.{minute}", "word.minute"] if minute else [])


def datetime_pieces(text: str) -> list[str]:
    """An ISO date-time as month, day, then time of day."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return []
    return [
        f"number.{when.month}",
        "word.month",
        f"number.{when.day}",
        "word.day",
        *time_pieces(when.hour, when.minute),
    ]


def all_pieces() -> Iterable[str]:
    """Every value piece there is, for the prompt catalogue to cover."""
    yield from (f"digit.{d}" for d in "0123456789")
    yield from (f"char.{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    yield from (f"number.{n}" for n in range(60))
    yield from (
        "word.building",
        "word.entrance",
        "word.room",
        "word.hour",
        "word.minute",
        "word.month",
        "word.day",
    )
    yield from (f"status.{s}" for s in ("open", "dispatched", "on_site", "completed", "closed"))
