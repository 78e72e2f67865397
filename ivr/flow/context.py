"""What the adapter knows about a call before the flow starts.

The adapter builds a :class:`CallContext` from the database (who owns the
caller's number, their units, their open work orders) and the community's
settings, then hands it to :func:`ivr.flow.start`. The flow never reads
anything else, so the context travels inside the state and round-trips
through JSON with it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)


@dataclass(frozen=True)
class Community:
    """The community (小区/项目) whose hotline number was dialled."""

    code: str
    name: str
    name_en: str = ""

    def name_in(self, language: str) -> str:
        """The community's name to speak in ``language``."""
        return self.name_en if language == EN and self.name_en else self.name


@dataclass(frozen=True)
class BusinessHours:
    """When the service centre's agents answer, in the community's local time.

    ``weekdays`` are ISO weekdays (1 = Monday … 7 = Sunday). ``open == close``
    means open all day; ``close < open`` means the shift runs past midnight.
    """

    open: str = "08:30"
    close: str = "18:00"
    weekdays: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])


@dataclass(frozen=True)
class UnitRef:
    """A unit (户) a resident is attached to, with its address as spoken."""

    unit_id: int
    address: str


@dataclass(frozen=True)
class ResidentRef:
    """A resident whose phone number matched the caller's number."""

    resident_id: int
    name: str
    language: str = ZH
    senior_care: bool = False
    units: list[UnitRef] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResidentRef:
        units = [UnitRef(**unit) for unit in data.get("units", [])]
        return cls(**{**data, "units": units})


@dataclass(frozen=True)
class WorkOrderRef:
    """An open work order (派工单) on one of the caller's units."""

    number: str
    status: str
    assignee: str | None = None
    when: str | None = None
    overdue: bool = False
    unit_id: int | None = None


@dataclass(frozen=True)
class EmergencyNumbers:
    """The public emergency numbers callers are told to ring (China's by default)."""

    fire: str = "119"
    ambulance: str = "120"
    police: str = "110"


@dataclass(frozen=True)
class IncidentRef:
    """A declared incident (burst main, power cut, lift out) that affects the caller."""

    incident_id: int
    message: str  # the status message, as typed (zh-CN)
    message_en: str = ""

    def message_in(self, language: str) -> str:
        """The status message to speak in ``language``."""
        return self.message_en if language == EN and self.message_en else self.message


@dataclass(frozen=True)
class CallContext:
    """Everything the flow may know about a call, gathered before it starts.

    ``now`` is the local time at the community (ISO 8601); residents come
    primary first, and open work orders most relevant first.
    """

    call_id: str
    community: Community
    now: str
    hours: BusinessHours = field(default_factory=BusinessHours)
    on_call_number: str | None = None
    caller_known: bool = False
    residents: list[ResidentRef] = field(default_factory=list)
    work_orders: list[WorkOrderRef] = field(default_factory=list)
    emergency_numbers: EmergencyNumbers = field(default_factory=EmergencyNumbers)
    incidents: list[IncidentRef] = field(default_factory=list)

    @property
    def known(self) -> bool:
        """Whether the caller's number matched at least one resident."""
        return self.caller_known and bool(self.residents)

    @property
    def language(self) -> str:
        """The primary resident's language; Mandarin for unknown callers."""
        if self.known and self.residents[0].language in LANGUAGES:
            return self.residents[0].language
        return ZH

    def units(self) -> list[UnitRef]:
        """The matched residents' units, without repeats, in order."""
        seen: dict[int, UnitRef] = {}
        for resident in self.residents if self.known else []:
            for unit in resident.units:
                seen.setdefault(unit.unit_id, unit)
        return list(seen.values())

    def resident_for(self, unit_id: int | None) -> int | None:
        """The matched resident attached to ``unit_id``, else the primary one."""
        if not self.known:
            return None
        for resident in self.residents:
            if any(unit.unit_id == unit_id for unit in resident.units):
                return resident.resident_id
        return self.residents[0].resident_id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallContext:
        return cls(
            **{
                **data,
                "community": Community(**data["community"]),
                "hours": BusinessHours(**data.get("hours", {})),
                "residents": [ResidentRef.from_dict(r) for r in data.get("residents", [])],
                "work_orders": [WorkOrderRef(**w) for w in data.get("work_orders", [])],
                "emergency_numbers": EmergencyNumbers(**data.get("emergency_numbers", {})),
                "incidents": [IncidentRef(**i) for i in data.get("incidents", [])],
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CallContext:
        return cls.from_dict(json.loads(text))
