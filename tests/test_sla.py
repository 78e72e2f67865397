"""Service deadlines (domain-rules.md) and where an order stands against them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from models.sla import (
    SlaState,
    answer_due_at,
    answer_state,
    deadlines,
    due_at,
    is_overdue,
    sla_state,
)
from models.work_orders import Category, Severity, Status

SHANGHAI = "Asia/Shanghai"
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def shanghai(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    """A moment given in Shanghai time (UTC+8), returned in UTC."""
    local = dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return local.astimezone(dt.UTC)


NOON = shanghai(12)


@pytest.mark.parametrize(
    ("local", "on_site"),
    [
        ((9, 0), 10),  # the day rule starts at 09:00 sharp
        ((12, 0), 10),
        ((21, 59), 10),
        ((22, 0), 30),  # and ends at 22:00: the night default applies
        ((3, 0), 30),
        ((8, 59), 30),
    ],
)
def test_emergency_staff_on_site_within_10_minutes_by_day_30_at_night(
    local: tuple[int, int], on_site: int
) -> None:
    opened = shanghai(*local)
    found = deadlines(Category.EMERGENCY, opened, timezone=SHANGHAI)
    assert found.due_at - opened == on_site * MIN
    assert found.dispatch_due_at == opened + 5 * MIN


def test_the_emergency_day_is_the_communitys_local_day() -> None:
    # 12:00 in Shanghai is 23:00 the evening before in New York: night there.
    assert deadlines(Category.EMERGENCY, NOON, timezone=SHANGHAI).due_at == NOON + 10 * MIN
    assert deadlines(Category.EMERGENCY, NOON, timezone="America/New_York").due_at == (
        NOON + 30 * MIN
    )


def test_repair_reaches_engineering_in_5_minutes_and_is_fixed_in_24_hours() -> None:
    found = deadlines(Category.REPAIR, NOON, timezone=SHANGHAI)
    assert (found.dispatch_due_at, found.due_at) == (NOON + 5 * MIN, NOON + 24 * HOUR)


def test_a_large_repair_problem_is_answered_within_3_days() -> None:
    found = deadlines(Category.REPAIR, NOON, large_problem=True)
    assert (found.dispatch_due_at, found.due_at) == (NOON + 5 * MIN, NOON + 3 * DAY)


def test_a_repair_at_the_residents_later_convenient_time_is_due_at_its_end() -> None:
    later = NOON + 2 * DAY
    assert deadlines(Category.REPAIR, NOON, appointment_to=later).due_at == later
    sooner = NOON + 2 * HOUR  # a sooner window does not stretch nor shorten the 24 hours
    assert deadlines(Category.REPAIR, NOON, appointment_to=sooner).due_at == NOON + 24 * HOUR


def test_an_inquiry_is_answered_within_24_hours_and_is_not_dispatched() -> None:
    found = deadlines(Category.INQUIRY, NOON)
    assert (found.dispatch_due_at, found.due_at) == (None, NOON + 24 * HOUR)


def test_a_major_complaint_reaches_the_manager_the_same_local_day() -> None:
    found = deadlines(Category.COMPLAINT, NOON, timezone=SHANGHAI, severity=Severity.MAJOR)
    assert found.dispatch_due_at == shanghai(0, day=3)  # midnight ending the local day
    assert found.answer_due_at == NOON + 2 * DAY
    assert found.due_at == NOON + 10 * DAY
    late = shanghai(23, 50)
    assert (
        deadlines(
            Category.COMPLAINT, late, timezone=SHANGHAI, severity=Severity.MAJOR
        ).dispatch_due_at
        == late + 10 * MIN
    )


def test_an_important_complaint_reaches_the_department_head_within_an_hour() -> None:
    found = deadlines(Category.COMPLAINT, NOON, severity=Severity.IMPORTANT)
    assert (found.dispatch_due_at, found.due_at, found.answer_due_at) == (
        NOON + HOUR,
        NOON + 3 * DAY,
        None,
    )


def test_a_minor_complaint_is_resolved_in_2_days_or_by_the_date_the_resident_asked() -> None:
    assert deadlines(Category.COMPLAINT, NOON, severity=Severity.MINOR).due_at == NOON + 2 * DAY
    asked = NOON + 5 * DAY
    found = deadlines(Category.COMPLAINT, NOON, severity=Severity.MINOR, appointment_to=asked)
    assert (found.dispatch_due_at, found.due_at) == (None, asked)


def test_home_service_is_done_by_the_end_of_its_window_else_in_24_hours() -> None:
    found = deadlines(Category.HOME_SERVICE, NOON)
    assert (found.dispatch_due_at, found.due_at) == (NOON + HOUR, NOON + 24 * HOUR)
    window_end = NOON + 4 * DAY
    assert deadlines(Category.HOME_SERVICE, NOON, appointment_to=window_end).due_at == window_end


def test_the_dispatch_deadline_is_never_after_the_resolution_one() -> None:
    soon = NOON + 30 * MIN  # a home service booked for the next half hour
    found = deadlines(Category.HOME_SERVICE, NOON, appointment_to=soon)
    assert found.dispatch_due_at == found.due_at == soon


@dataclasses.dataclass
class Order:
    """The columns sla_state reads."""

    category: Category = Category.REPAIR
    status: Status = Status.OPEN
    created_at: dt.datetime = NOON
    dispatch_due_at: dt.datetime | None = NOON + 5 * MIN
    due_at: dt.datetime | None = NOON + 24 * HOUR
    dispatched_at: dt.datetime | None = None
    on_site_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    severity: Severity | None = None


def test_before_dispatch_the_dispatch_deadline_runs() -> None:
    assert sla_state(Order(), NOON + MIN) == SlaState("dispatch", NOON + 5 * MIN, 240, False)


def test_past_the_dispatch_deadline_the_open_order_is_overdue() -> None:
    state = sla_state(Order(), NOON + 6 * MIN)
    assert (state.deadline, state.overdue, state.remaining_seconds) == ("dispatch", True, -60)


def test_once_dispatched_the_resolution_deadline_runs() -> None:
    order = Order(status=Status.DISPATCHED, dispatched_at=NOON + 9 * MIN)
    state = sla_state(order, NOON + HOUR)
    assert state == SlaState("resolve", NOON + 24 * HOUR, 23 * 3600, False)
    assert sla_state(order, NOON + 25 * HOUR).overdue


def test_exactly_at_the_deadline_it_is_not_yet_overdue() -> None:
    order = Order(status=Status.DISPATCHED, dispatched_at=NOON)
    assert sla_state(order, NOON + 24 * HOUR) == SlaState("resolve", NOON + 24 * HOUR, 0, False)


@pytest.mark.parametrize(("hours", "met"), [(23, True), (24, True), (25, False)])
def test_once_completed_the_deadline_is_met_or_missed_and_nothing_runs(
    hours: int, met: bool
) -> None:
    done = Order(status=Status.COMPLETED, dispatched_at=NOON, completed_at=NOON + hours * HOUR)
    state = sla_state(done, NOON + 40 * DAY)
    assert state == SlaState(None, NOON + 24 * HOUR, None, False, met=met)
    closed = dataclasses.replace(done, status=Status.CLOSED)
    assert sla_state(closed, NOON + 40 * DAY).met is met


def test_an_emergency_is_met_when_staff_reach_the_site() -> None:
    order = Order(
        category=Category.EMERGENCY,
        status=Status.ON_SITE,
        due_at=NOON + 10 * MIN,
        dispatched_at=NOON + MIN,
        on_site_at=NOON + 8 * MIN,
    )
    assert sla_state(order, NOON + HOUR) == SlaState(None, NOON + 10 * MIN, None, False, met=True)
    late = dataclasses.replace(order, on_site_at=NOON + 11 * MIN)
    assert sla_state(late, NOON + HOUR).met is False


def test_an_inquiry_without_dispatch_deadline_runs_its_resolution_one_while_open() -> None:
    order = Order(category=Category.INQUIRY, dispatch_due_at=None)
    assert sla_state(order, NOON + 25 * HOUR).deadline == "resolve"
    assert sla_state(order, NOON + 25 * HOUR).overdue


def test_an_order_without_stored_deadlines_falls_back_to_its_categorys() -> None:
    order = Order(category=Category.EMERGENCY, dispatch_due_at=None, due_at=None)
    assert sla_state(order, NOON + 11 * MIN).overdue
    assert due_at(Category.EMERGENCY, NOON) == NOON + 10 * MIN
    assert is_overdue(Category.INQUIRY, NOON, NOON + 25 * HOUR)
    assert not is_overdue(Category.INQUIRY, NOON, NOON + 23 * HOUR)


def major_complaint(opened: dt.datetime, **columns: object) -> Order:
    """A major complaint opened (or reopened) at ``opened``, with its stored deadlines."""
    due = deadlines(Category.COMPLAINT, opened, timezone=SHANGHAI, severity=Severity.MAJOR)
    fields: dict[str, object] = {
        "category": Category.COMPLAINT,
        "severity": Severity.MAJOR,
        "dispatch_due_at": due.dispatch_due_at,
        "due_at": due.due_at,
    }
    return Order(**(fields | columns))  # type: ignore[arg-type]


def test_a_major_complaints_clear_answer_is_counted_from_its_stored_deadlines() -> None:
    assert answer_due_at(major_complaint(NOON)) == NOON + 2 * DAY
    reopened = NOON + 20 * DAY  # rework: the deadlines were fixed again then
    assert answer_due_at(major_complaint(reopened)) == reopened + 2 * DAY
    unstored = major_complaint(NOON, dispatch_due_at=None, due_at=None)
    assert answer_due_at(unstored) == NOON + 2 * DAY


@pytest.mark.parametrize(
    ("category", "severity"),
    [
        (Category.COMPLAINT, Severity.IMPORTANT),
        (Category.COMPLAINT, Severity.MINOR),
        (Category.REPAIR, None),
        (Category.INQUIRY, None),
    ],
)
def test_only_a_major_complaint_has_a_clear_answer_deadline(
    category: Category, severity: Severity | None
) -> None:
    order = Order(category=category, severity=severity)
    assert answer_due_at(order) is None and answer_state(order, NOON) is None


def test_a_major_complaints_clear_answer_runs_beside_its_other_deadlines() -> None:
    order = major_complaint(NOON, status=Status.DISPATCHED, dispatched_at=NOON + HOUR)
    assert answer_state(order, NOON + DAY) == SlaState("answer", NOON + 2 * DAY, 86400, False)
    late = answer_state(order, NOON + 3 * DAY)
    assert late is not None and (late.overdue, late.remaining_seconds) == (True, -86400)
    assert sla_state(order, NOON + 3 * DAY).deadline == "resolve"  # not overdue yet


@pytest.mark.parametrize(("days", "met"), [(1, True), (3, False)])
def test_a_completed_major_complaints_clear_answer_is_met_or_missed(days: int, met: bool) -> None:
    done = major_complaint(NOON, status=Status.COMPLETED, completed_at=NOON + days * DAY)
    assert answer_state(done, NOON + 40 * DAY) == SlaState(None, NOON + 2 * DAY, None, False, met)
