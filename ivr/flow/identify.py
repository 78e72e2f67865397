"""Identifying the caller's unit, for the services about a unit (repair, complaint).

A known caller with a few units picks one by key. Anyone else types the
building, then the room, each ended by ``#``; the adapter looks the unit up
and the caller confirms the address read back. Three failures (a bad entry,
no input, not found, not confirmed) and the call goes on unidentified: the
agent will ask.

While a number is being typed ``9`` is a digit, not the English key. The
picker offers at most 8 units because ``9`` is the English key at every menu
and ``0`` means "another unit"; with more, the caller types the unit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from . import outcomes
from .actions import Action, Gather, LogEvent, Lookup, Say
from .events import LookupResult
from .intents import hints
from .menu import REPEAT_KEY, Menu
from .policy import INQUIRY
from .state import Call, State, Step

PICKER_MAX_UNITS = 8
MAX_ID_FAILURES = 3
ENTRY_TIMEOUT_S = 8.0
ANOTHER_UNIT_KEY = "0"
CONFIRM_KEY = "1"
REENTER_KEY = "2"


def begin(call: Call) -> Step:
    """Start identifying: the picker for a few known units, else the keypad."""
    if 1 < len(call.ctx.units()) <= PICKER_MAX_UNITS:
        return UnitPicker(call=call).enter()
    return EnterBuilding(call=call).enter()


def identified(call: Call, unit_id: Any, step: str) -> Step:
    """The unit is known: queue the call for the service chosen."""
    call = replace(call, unit_id=unit_id, resident_id=call.ctx.resident_for(unit_id))
    logged = LogEvent("call.identified", {"unit_id": unit_id})
    return outcomes.route(call, call.service or INQUIRY, step, logged)


def failed(
    call: Call, step: str, retry: Callable[[Call], State], prompt: str = "", **params: Any
) -> Step:
    """One more failure: try again via ``retry``, or on the third go on unidentified."""
    call = replace(call, id_failures=call.id_failures + 1)
    notice = [call.say(prompt, **params)] if prompt else []
    if call.id_failures < MAX_ID_FAILURES:
        return retry(call).enter(*notice)
    logged = LogEvent("call.unidentified", {"failures": call.id_failures})
    gave_up = call.say("id.failed")
    return outcomes.route(call, call.service or INQUIRY, step, *notice, logged, gave_up)


def spoken_digits(text: str) -> str:
    """The ASCII digits in recognised text ("３栋" and "3栋" both give "3")."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch in "0123456789")


@dataclass(frozen=True, kw_only=True)
class UnitPicker(Menu):
    """Offers the caller's own units by key (1 for the first …), 0 for another unit."""

    name = "unit_picker"

    def _units(self) -> list[Any]:
        return self.call.ctx.units()[:PICKER_MAX_UNITS]

    def menu(self) -> list[Say]:
        say = self.call.say
        options = [
            say("id.pick_unit.option", digit=str(n), address=unit.address)
            for n, unit in enumerate(self._units(), start=1)
        ]
        return [say("id.pick_unit"), *options, say("id.pick_unit.other")]

    def choose(self, key: str) -> Step | None:
        if key == ANOTHER_UNIT_KEY:
            return EnterBuilding(call=self.call).enter()
        for n, unit in enumerate(self._units(), start=1):
            if key == str(n):
                return identified(self.call, unit.unit_id, self.name)
        return None

    def miss(self, prompt: str) -> Step:
        return failed(self.call, self.name, lambda call: replace(self, call=call), prompt)


@dataclass(frozen=True, kw_only=True)
class NumberEntry(State):
    """A number typed on the keypad and ended by ``#`` (speech: the digits said)."""

    field_prompt: ClassVar[str]
    pattern: ClassVar[re.Pattern[str]]
    max_digits: ClassVar[int]

    def prompt(self) -> list[Action]:
        language = self.call.language
        gather = Gather(
            prompts=[self.call.say(self.field_prompt)],
            max_digits=self.max_digits,
            timeout_s=ENTRY_TIMEOUT_S,
            speech=True,
            hints=hints(language),
            language=language,
            finish_on_key="#",
        )
        return [gather]

    def accept(self, number: str) -> Step:
        """Go on with a well-formed number."""
        raise NotImplementedError

    def on_digits(self, digits: str) -> Step:
        if digits == REPEAT_KEY:
            return self.enter()
        if self.pattern.fullmatch(digits):
            return self.accept(digits)
        return self.invalid()

    def on_speech(self, text: str) -> Step:
        digits = spoken_digits(text)
        return self.on_digits(digits) if digits else self.invalid()

    def on_no_input(self) -> Step:
        return failed(self.call, self.name, self._again, "id.no_input")

    def invalid(self) -> Step:
        return failed(self.call, self.name, self._again, "id.invalid")

    def _again(self, call: Call) -> State:
        return replace(self, call=call)


@dataclass(frozen=True, kw_only=True)
class EnterBuilding(NumberEntry):
    """Asks for the building (栋) number."""

    name = "enter_building"
    field_prompt = "id.building"
    pattern = re.compile(r"[0-9]{1,4}")
    max_digits = 4

    def accept(self, number: str) -> Step:
        return EnterRoom(call=self.call, building=number).enter()


@dataclass(frozen=True, kw_only=True)
class EnterRoom(NumberEntry):
    """Asks for the room (室) number in the building given."""

    name = "enter_room"
    field_prompt = "id.room"
    pattern = re.compile(r"[0-9]{1,6}")
    max_digits = 6
    building: str

    def accept(self, number: str) -> Step:
        return AwaitUnit(call=self.call, building=self.building, room=number).enter()


@dataclass(frozen=True, kw_only=True)
class AwaitUnit(State):
    """Waits for the adapter to look up the unit at the building and room typed."""

    name = "await_unit"
    building: str
    room: str

    def prompt(self) -> list[Action]:
        params = {
            "community": self.call.ctx.community.code,
            "building": self.building,
            "room": self.room,
        }
        return [Lookup(kind="unit", params=params)]

    def on_lookup(self, event: LookupResult) -> Step:
        data = event.data if isinstance(event.data, dict) else {}
        unit_id = data.get("unit_id")
        if event.kind == "unit" and unit_id is not None:
            address = str(data.get("address") or "")
            confirm = ConfirmUnit(
                call=self.call,
                building=self.building,
                room=self.room,
                unit_id=unit_id,
                address=address,
            )
            return confirm.enter()
        return failed(
            self.call,
            self.name,
            lambda call: EnterBuilding(call=call),
            "id.not_found",
            building=self.building,
            room=self.room,
        )


@dataclass(frozen=True, kw_only=True)
class ConfirmUnit(Menu):
    """Reads the unit found back: 1 to confirm, 2 to type it again."""

    name = "confirm_unit"
    building: str
    room: str
    unit_id: Any
    address: str

    def menu(self) -> list[Say]:
        params = {"address": self.address, "building": self.building, "room": self.room}
        return [self.call.say("id.confirm", **params)]

    def choose(self, key: str) -> Step | None:
        if key == CONFIRM_KEY:
            return identified(self.call, self.unit_id, self.name)
        if key == REENTER_KEY:
            return failed(self.call, self.name, lambda call: EnterBuilding(call=call))
        return None

    def miss(self, prompt: str) -> Step:
        return failed(self.call, self.name, lambda call: replace(self, call=call), prompt)
