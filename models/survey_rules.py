"""The survey rules' settings (回访规则) and the small rules every outbound call obeys.

- :class:`SurveySettings`: due windows, attempts and their spacing, sampling tiers; the
  defaults are the domain rules (../shared/domain-rules.md "Callbacks"), each one
  overridable from :class:`hotline.config.Config` (``survey_*`` settings).
- :func:`calling_window`: the first moment at or after a time inside a community's
  calling hours (local time, quiet days skipped).
- :func:`may_call`: a resident's do-not-call and survey opt-out.
- :func:`contacts_for`: whom to call about work orders, on which number, in which language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.exceptions import ConfigError
from models.estate import Community, Occupancy, PhoneNumber, Resident, ResidentRole
from models.outbound import JobPurpose, SurveyResponse

if TYPE_CHECKING:
    from hotline.config import Config
    from models.work_orders import WorkOrder

LOW_SCORE = 2  # any score at or below: dissatisfied
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class SurveySettings:
    """Every number the survey rules use; the defaults are the domain rules."""

    safety_window: dt.timedelta = 2 * DAY  # safety facilities: within 2 days
    leak_window: dt.timedelta = 3 * DAY  # leaks: within 3 days after the water test
    repair_window: dt.timedelta = 2 * DAY  # other repairs: within 2 days
    complaint_window: dt.timedelta = 2 * DAY  # complaints: always (window: our choice)
    inquiry_window: dt.timedelta | None = None  # None: inquiries are not surveyed
    difficult_callback: dt.timedelta = 24 * HOUR  # supervisor calls back a difficult issue
    follow_up_due: dt.timedelta = 24 * HOUR  # dissatisfied → supervisor's second callback
    home_service_window: dt.timedelta = 7 * DAY  # a sampled home service's survey
    max_attempts: int = 3
    retry_spacing: dt.timedelta = 2 * HOUR  # between two attempts (no answer, busy, machine …)
    calling_from: dt.time = dt.time(9, 0)  # when a community has no calling hours of its own
    calling_until: dt.time = dt.time(20, 0)
    # Home-service sampling (居家服务抽样): (fewest households, percent), largest first:
    # more than 300 → 10%, 100–300 → 20%, under 100 → 30%.
    sample_tiers: tuple[tuple[int, int], ...] = ((301, 10), (100, 20), (0, 30))
    new_staff_days: int = 90  # a technician who started this recently is "new staff"
    complaint_lookback_days: int = 90  # a complaint this recent marks "complained about"

    def sample_size(self, households: int) -> int:
        """How many of ``households`` served in a month the sample must reach (rounded up)."""
        for fewest, percent in self.sample_tiers:
            if households >= fewest:
                return math.ceil(households * percent / 100)
        return households


_active: SurveySettings | None = None


def configure(settings: SurveySettings | None) -> None:
    """Make ``settings`` the ones the rules use when a caller passes none (None: defaults)."""
    global _active
    _active = settings


def active_settings() -> SurveySettings:
    """The settings installed by :func:`configure`, else the domain-rule defaults."""
    return _active or SurveySettings()


def settings_from_config(config: Config) -> SurveySettings:
    """The survey settings a configuration asks for.

    :raises ConfigError: a malformed ``survey_due_hours`` or ``survey_sample_percent``.
    """
    hours = parse_pairs("survey_due_hours", config.survey_due_hours)
    known = {"safety", "leak", "repair", "complaint", "inquiry", "difficult", "follow_up", "home"}
    unknown = sorted(set(hours) - known)
    if unknown:
        raise ConfigError(f"survey_due_hours: unknown rule(s) {', '.join(unknown)}")
    base = SurveySettings()

    def window(key: str, default: dt.timedelta | None) -> dt.timedelta | None:
        if key not in hours:
            return default
        return hours[key] * HOUR if hours[key] > 0 else None

    tiers = parse_tiers(config.survey_sample_percent)
    if config.survey_max_attempts < 1 or config.survey_retry_minutes < 1:
        raise ConfigError("survey_max_attempts and survey_retry_minutes must be at least 1")
    return dataclasses.replace(
        base,
        safety_window=window("safety", base.safety_window) or base.safety_window,
        leak_window=window("leak", base.leak_window) or base.leak_window,
        repair_window=window("repair", base.repair_window) or base.repair_window,
        complaint_window=window("complaint", base.complaint_window) or base.complaint_window,
        inquiry_window=window("inquiry", base.inquiry_window),
        difficult_callback=window("difficult", base.difficult_callback) or base.difficult_callback,
        follow_up_due=window("follow_up", base.follow_up_due) or base.follow_up_due,
        home_service_window=window("home", base.home_service_window) or base.home_service_window,
        max_attempts=config.survey_max_attempts,
        retry_spacing=dt.timedelta(minutes=config.survey_retry_minutes),
        sample_tiers=tiers or base.sample_tiers,
    )


def parse_pairs(name: str, text: str) -> dict[str, int]:
    """``"a=1,b=2"`` as a dict of whole numbers.

    :raises ConfigError: naming the setting.
    """
    pairs: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        key, equals, value = part.partition("=")
        if not equals or not key.strip() or not value.strip().isdigit():
            raise ConfigError(f"{name} {text!r} is not valid: expected key=number pairs")
        pairs[key.strip()] = int(value)
    return pairs


def parse_tiers(text: str) -> tuple[tuple[int, int], ...]:
    """``"301=10,100=20,0=30"`` (fewest households = percent) as tiers, largest first.

    :raises ConfigError: a key that is not a number, or a percent above 100.
    """
    pairs = parse_pairs("survey_sample_percent", text)
    if any(not k.isdigit() or v > 100 for k, v in pairs.items()):
        raise ConfigError(f"survey_sample_percent {text!r}: expected households=percent pairs")
    return tuple(sorted(((int(k), v) for k, v in pairs.items()), reverse=True))


def calling_window(
    community: Community, when: dt.datetime, settings: SurveySettings | None = None
) -> dt.datetime:
    """The first moment at or after ``when`` inside ``community``'s calling hours, in UTC.

    Calling hours are local (the community's time zone), ``calling_from`` inclusive to
    ``calling_until`` exclusive, never on a quiet day (ISO weekdays in ``quiet_days``).

    :raises ValueError: every day of the week is quiet, or the hours are empty.
    """
    rules = settings or active_settings()
    start = community.calling_from or rules.calling_from
    end = community.calling_until or rules.calling_until
    quiet = community.quiet_days or ""
    if end <= start or all(str(d) in quiet for d in range(1, 8)):
        raise ValueError(f"community {community.code} has no calling hours")
    zone = ZoneInfo(community.timezone or "Asia/Shanghai")
    local = when.astimezone(zone)
    for _ in range(8):
        day = local.date()
        if str(day.isoweekday()) not in quiet:
            opens = _local(day, start, zone)
            closes = _local(day, end, zone)
            if local < closes:
                return max(local, opens).astimezone(dt.UTC)
        local = _local(day + DAY, dt.time(0, 0), zone)
    raise AssertionError("unreachable: a day that is not quiet exists")  # pragma: no cover


def _local(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at ``at`` in ``zone``, normalised through UTC (a time skipped by DST moves on)."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


def may_call(resident: Resident | None, purpose: JobPurpose) -> bool:
    """Whether the hotline may call ``resident`` for ``purpose`` (no resident known: yes).

    Do-not-call stops every purpose; the survey opt-out stops surveys only.
    """
    if resident is None:
        return True
    if resident.do_not_call:
        return False
    return not (purpose is JobPurpose.SURVEY and resident.survey_opt_out)


@dataclasses.dataclass(frozen=True)
class Contact:
    """Whom to call: the resident (when known), their number ("" when none), language."""

    resident: Resident | None
    number: str
    language: str


def contact_for(session: Session, order: WorkOrder) -> Contact:
    """Whom to call about ``order``: see :func:`contacts_for`."""
    return contacts_for(session, [order])[order.id]


def contacts_for(session: Session, orders: Sequence[WorkOrder]) -> dict[int, Contact]:
    """Whom to call about each order, by order id: its resident on their primary (else
    first) phone, else the unit's owner likewise (the oldest tie first); the language is
    the called resident's. No one with a phone: the number is "" (a person must call).

    Three queries whatever the number of orders (in chunks of :data:`CHUNK`).
    """
    owners: dict[int, list[int]] = defaultdict(list)
    units = {o.unit_id for o in orders if o.unit_id is not None}
    for unit_id, resident_id in _chunked(
        session,
        units,
        lambda ids: (
            select(Occupancy.unit_id, Occupancy.resident_id)
            .where(Occupancy.unit_id.in_(ids), Occupancy.role == ResidentRole.OWNER)
            .order_by(Occupancy.id)
        ),
    ):
        owners[unit_id].append(resident_id)
    candidates = {
        o.id: ([] if o.resident_id is None else [o.resident_id]) + owners.get(o.unit_id or 0, [])
        for o in orders
    }
    people = {r for ids in candidates.values() for r in ids}
    residents = {
        r.id: r
        for (r,) in _chunked(
            session, people, lambda ids: select(Resident).where(Resident.id.in_(ids))
        )
    }
    numbers: dict[int, str] = {}
    for resident_id, e164 in _chunked(
        session,
        people,
        lambda ids: (
            select(PhoneNumber.resident_id, PhoneNumber.e164)
            .where(PhoneNumber.resident_id.in_(ids))
            .order_by(PhoneNumber.is_primary.desc(), PhoneNumber.id)
        ),
    ):
        numbers.setdefault(resident_id, e164)
    return {o.id: _pick(candidates[o.id], residents, numbers) for o in orders}


def _pick(ids: list[int], residents: dict[int, Resident], numbers: dict[int, str]) -> Contact:
    """The first candidate with a number, else the first candidate without one."""
    people = [residents[i] for i in ids if i in residents]
    for person in people:
        if numbers.get(person.id):
            return Contact(person, numbers[person.id], str(person.language))
    first = people[0] if people else None
    return Contact(first, "", str(first.language) if first else "zh-CN")


CHUNK = 500  # ids per IN list


def _chunked(session: Session, ids: set[int], query: Callable[[list[int]], Any]) -> Iterator[Any]:
    """The rows of ``query`` over ``ids``, CHUNK ids at a time."""
    ordered = sorted(ids)
    for low in range(0, len(ordered), CHUNK):
        yield from session.execute(query(ordered[low : low + CHUNK]))


def dissatisfied(response: SurveyResponse) -> list[str]:
    """What makes ``response`` dissatisfied: each score ≤ 2, and "not solved"."""
    found = [
        f"{name} {score}"
        for name, score in (
            ("timeliness", response.timeliness),
            ("skill", response.skill),
            ("attitude", response.attitude),
        )
        if score is not None and score <= LOW_SCORE
    ]
    if response.solved is False:
        found.append("not solved")
    return found
