import pytest

from ivr.flow.context import BusinessHours
from ivr.flow.policy import (
    BASE_PRIORITY,
    COMPLAINT,
    EMERGENCY,
    INQUIRY,
    OVERDUE_BONUS,
    QUEUES,
    REPAIR,
    SENIOR_CARE_BONUS,
    greeting_prompt,
    is_open,
    priority,
)
from ivr.flow.script import sample_context, sample_resident

from .scenarios import OVERDUE, SENIOR, UNKNOWN


@pytest.mark.parametrize(
    ("clock", "prompt"),
    [
        ("00:00", "greeting.morning"),
        ("08:00", "greeting.morning"),
        ("11:59", "greeting.morning"),
        ("12:00", "greeting.afternoon"),
        ("17:59", "greeting.afternoon"),
        ("18:00", "greeting.evening"),
        ("23:59", "greeting.evening"),
    ],
)
def test_given_local_time_when_greeting_then_by_time_of_day(clock, prompt):
    assert greeting_prompt(sample_context(now=f"2026-03-02T{clock}:00+08:00")) == prompt


@pytest.mark.parametrize(
    ("now", "hours", "expected"),
    [
        ("2026-03-02T08:29:00", BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5]), False),
        ("2026-03-02T08:30:00", BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5]), True),
        ("2026-03-02T17:59:59", BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5]), True),
        ("2026-03-02T18:00:00", BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5]), False),
        ("2026-03-01T10:00:00", BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5]), False),  # Sun
        ("2026-03-01T10:00:00", BusinessHours("08:30", "18:00", [7]), True),
        ("2026-03-02T23:00:00", BusinessHours("22:00", "06:00", [1]), True),  # night shift
        ("2026-03-02T05:00:00", BusinessHours("22:00", "06:00", [1]), True),
        ("2026-03-02T12:00:00", BusinessHours("22:00", "06:00", [1]), False),
        ("2026-03-02T03:00:00+08:00", BusinessHours("00:00", "00:00", [1]), True),  # all day
    ],
)
def test_given_business_hours_when_called_then_open_or_closed(now, hours, expected):
    assert is_open(sample_context(now=now, hours=hours)) is expected


def test_given_queues_then_emergency_highest_then_complaint_repair_inquiry():
    assert BASE_PRIORITY == {EMERGENCY: 100, COMPLAINT: 30, REPAIR: 20, INQUIRY: 10}


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.parametrize(
    ("ctx", "bonus"),
    [
        (sample_context(), 0),
        (SENIOR, SENIOR_CARE_BONUS),
        (OVERDUE, OVERDUE_BONUS),
        (
            sample_context(
                residents=[sample_resident(senior_care=True)], work_orders=OVERDUE.work_orders
            ),
            SENIOR_CARE_BONUS + OVERDUE_BONUS,
        ),
        (UNKNOWN, 0),
    ],
    ids=["plain", "senior-care", "overdue", "both", "unknown"],
)
def test_given_caller_when_prioritised_then_base_plus_bonuses_as_int(queue, ctx, bonus):
    value = priority(ctx, queue)
    assert isinstance(value, int)
    assert value == BASE_PRIORITY[queue] + bonus


def test_given_every_bonus_then_no_other_queue_reaches_a_plain_emergency():
    most = max(BASE_PRIORITY[q] for q in QUEUES if q != EMERGENCY)
    assert most + SENIOR_CARE_BONUS + OVERDUE_BONUS < BASE_PRIORITY[EMERGENCY]


def test_given_senior_care_resident_sharing_the_phone_then_raised():
    ctx = sample_context(
        residents=[sample_resident(), sample_resident(resident_id=2, senior_care=True)]
    )
    assert priority(ctx, REPAIR) == BASE_PRIORITY[REPAIR] + SENIOR_CARE_BONUS
