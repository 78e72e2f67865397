"""Service policy the flow applies: opening hours, greetings, queue priorities.

Priorities follow Asterisk ``Queue()`` semantics: an int, higher is answered
first. Emergencies start at 100, far above anything else can reach
(complaint 30 + 20 in bonuses), so they always come first.
"""

from __future__ import annotations

from datetime import datetime, time

from .context import BusinessHours, CallContext, EmergencyNumbers

EMERGENCY = "emergency"
REPAIR = "repair"
INQUIRY = "inquiry"
COMPLAINT = "complaint"
QUEUES = (EMERGENCY, REPAIR, INQUIRY, COMPLAINT)

# Services whose request is about a unit, so the caller's unit is asked for.
NEEDS_UNIT = frozenset({REPAIR, COMPLAINT})

BASE_PRIORITY = {EMERGENCY: 100, COMPLAINT: 30, REPAIR: 20, INQUIRY: 10}
SENIOR_CARE_BONUS = 10  # the number belongs to a 居家养老 (senior-care) household
OVERDUE_BONUS = 10  # the caller already waits on an overdue work order


# The public emergency numbers (fire, ambulance, police) by country, ISO 3166-1 alpha-2.
EMERGENCY_NUMBERS = {
    "CN": EmergencyNumbers("119", "120", "110"),
    "HK": EmergencyNumbers("999", "999", "999"),
    "MO": EmergencyNumbers("119", "120", "110"),
    "TW": EmergencyNumbers("119", "119", "110"),
    "SG": EmergencyNumbers("995", "995", "999"),
    "GB": EmergencyNumbers("999", "999", "999"),
    "US": EmergencyNumbers("911", "911", "911"),
}


def emergency_numbers(
    country: str, fire: str | None = None, ambulance: str | None = None, police: str | None = None
) -> EmergencyNumbers:
    """The country's numbers (China's for a country not listed), each one as overridden."""
    usual = EMERGENCY_NUMBERS.get(country.upper(), EMERGENCY_NUMBERS["CN"])
    return EmergencyNumbers(
        fire=fire or usual.fire,
        ambulance=ambulance or usual.ambulance,
        police=police or usual.police,
    )


def local_time(ctx: CallContext) -> datetime:
    """The call's start time at the community, as the adapter gave it."""
    return datetime.fromisoformat(ctx.now)


def is_open(ctx: CallContext) -> bool:
    """Whether agents answer now, per the community's business hours."""
    return open_at(ctx.hours, local_time(ctx))


def open_at(hours: BusinessHours, now: datetime) -> bool:
    """Whether agents answer at ``now`` (the community's local time) in ``hours``."""
    if now.isoweekday() not in hours.weekdays:
        return False
    opens, closes = time.fromisoformat(hours.open), time.fromisoformat(hours.close)
    clock = now.time().replace(tzinfo=None)
    if opens == closes:
        return True
    if opens < closes:
        return opens <= clock < closes
    return clock >= opens or clock < closes


def greeting_prompt(ctx: CallContext) -> str:
    """``greeting.morning`` before 12:00, ``.afternoon`` before 18:00, else ``.evening``."""
    hour = local_time(ctx).hour
    if hour < 12:
        return "greeting.morning"
    if hour < 18:
        return "greeting.afternoon"
    return "greeting.evening"


def priority(ctx: CallContext, queue: str) -> int:
    """The queue priority for this caller: base by queue, plus bonuses."""
    value = BASE_PRIORITY.get(queue, BASE_PRIORITY[INQUIRY])
    if ctx.known and any(resident.senior_care for resident in ctx.residents):
        value += SENIOR_CARE_BONUS
    if any(order.overdue for order in ctx.work_orders):
        value += OVERDUE_BONUS
    return value
