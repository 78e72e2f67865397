"""Work-order figures of the monthly analysis on hand-built orders whose answers are known."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from agent_console.reports import daily, monthly, orders
from agent_console.reports.periods import month_windows
from models import Community
from models.work_order_flow import reopen
from models.work_orders import Severity
from tests.reports import builders
from tests.reports.conftest import utc

DECEMBER = dt.date(2026, 12, 1)
NOW = utc(2026, 12, 20, 0, 0)


@pytest.fixture
def complaints(db: Session, places: dict[str, Community], clerk: int) -> None:
    """Five December complaints in SH01 (Shanghai, UTC+8):

    A minor, completed exactly at its deadline (on time, not within 24 h);
    B minor, same unit and sub-category as A a day later, completed a second late (a repeat);
    C minor, unfinished and past its deadline (late);
    D minor, received 4 h before the report, unfinished (still running: left out);
    E important, dispatched after an hour, completed next day (on time, within 24 h).
    """
    sh01 = places["SH01"]
    a = builders.complaint(db, sh01, clerk, utc(2026, 12, 3, 2))
    assert a.due_at == utc(2026, 12, 5, 2)
    builders.finish(db, a, clerk, a.due_at)
    b = builders.complaint(db, sh01, clerk, utc(2026, 12, 4, 2))
    builders.finish(db, b, clerk, utc(2026, 12, 6, 2, 0, 1))
    builders.complaint(db, sh01, clerk, utc(2026, 12, 10, 2), unit_room="102")
    builders.complaint(db, sh01, clerk, utc(2026, 12, 19, 20), subcategory="noise")
    e = builders.complaint(db, sh01, clerk, utc(2026, 12, 11, 2), unit_room="103",
                           severity=Severity.IMPORTANT)  # fmt: skip
    tech = builders.technician(db, sh01, "王师傅")
    builders.finish(db, e, clerk, utc(2026, 12, 12, 2), tech)
    db.commit()


def test_complaints_are_on_time_when_completed_exactly_at_the_deadline(
    db: Session, places: dict[str, Community], complaints: None
) -> None:
    found = orders.complaints(db, month_windows([places["SH01"]], DECEMBER), NOW)

    assert (found.deadline.received, found.deadline.on_time) == (5, 2)  # A and E
    assert (found.deadline.late, found.deadline.pending) == (2, 1)  # B, C late; D running
    assert found.deadline.rate == pytest.approx(0.5)
    assert (found.handled_24h, found.counted_24h) == (1, 4)  # E; D is not yet 24 h old
    assert found.repeats == 1 and found.repeat_rate == pytest.approx(0.2)  # B repeats A


def test_a_work_order_reopened_twice_is_one_rework_and_two_reopenings(
    db: Session, places: dict[str, Community], clerk: int
) -> None:
    sh01 = places["SH01"]
    tech = builders.technician(db, sh01, "李师傅")
    twice = builders.repair(db, sh01, clerk, utc(2026, 12, 5, 2))
    builders.finish(db, twice, clerk, utc(2026, 12, 5, 10), tech)
    reopen(db, twice, agent_id=clerk, now=utc(2026, 12, 6, 0))
    builders.finish(db, twice, clerk, utc(2026, 12, 6, 5))
    reopen(db, twice, agent_id=clerk, now=utc(2026, 12, 7, 0))
    assert twice.due_at == utc(2026, 12, 8, 0)  # deadlines start again at each reopening
    builders.finish(db, twice, clerk, utc(2026, 12, 7, 12))
    late = builders.repair(db, sh01, clerk, utc(2026, 12, 8, 2), room="202")
    builders.finish(db, late, clerk, utc(2026, 12, 9, 3), tech)  # due 12-09 02:00
    db.commit()

    found = orders.repairs(db, month_windows([sh01], DECEMBER), NOW)

    assert (found.deadline.received, found.deadline.on_time, found.deadline.late) == (2, 1, 1)
    assert (found.completed, found.reworked, found.reopenings) == (2, 1, 2)
    assert found.rework_rate == pytest.approx(0.5)


def test_the_callback_rate_counts_orders_completed_in_the_month_with_an_answer(
    db: Session, places: dict[str, Community], clerk: int, complaints: None
) -> None:
    sh01 = places["SH01"]
    fixed = builders.repair(db, sh01, clerk, utc(2026, 12, 1, 2))
    builders.finish(db, fixed, clerk, utc(2026, 12, 1, 8), builders.technician(db, sh01, "赵"))
    builders.answer(db, fixed, utc(2026, 12, 2, 3), (5, 5, 5))
    db.commit()

    found = orders.callbacks(db, month_windows([sh01], DECEMBER))

    assert (found.completed, found.called_back) == (4, 1)  # A, B, E and the repair


def test_month_boundaries_are_each_communitys_own(
    db: Session, places: dict[str, Community], clerk: int
) -> None:
    sh01, ny01 = places["SH01"], places["NY01"]
    builders.complaint(db, sh01, clerk, utc(2026, 11, 30, 15, 59))  # 23:59 30 Nov in Shanghai
    builders.complaint(db, sh01, clerk, utc(2026, 11, 30, 16, 0), unit_room="102")  # 00:00 1 Dec
    builders.repair(db, ny01, clerk, utc(2026, 12, 1, 4, 59))  # 23:59 30 Nov in New York
    builders.repair(db, ny01, clerk, utc(2026, 12, 1, 5, 0), room="102")  # 00:00 1 Dec
    builders.repair(db, ny01, clerk, utc(2027, 1, 1, 4, 59), room="103")  # 23:59 31 Dec
    db.commit()

    december = orders.requests(db, month_windows([sh01, ny01], DECEMBER))
    november = orders.requests(db, month_windows([sh01, ny01], dt.date(2026, 11, 1)))

    assert december == [(sh01.id, "complaint", "service", 1), (ny01.id, "repair", "leak", 2)]
    assert november == [(sh01.id, "complaint", "service", 1), (ny01.id, "repair", "leak", 1)]
    by_building = orders.requests_by_building(db, month_windows([ny01], DECEMBER))
    assert by_building == [(ny01.id, "1", 2)]


def test_the_monthly_targets_show_the_month_before_beside_this_month(
    db: Session, places: dict[str, Community], clerk: int, complaints: None
) -> None:
    sh01 = places["SH01"]
    november = builders.complaint(db, sh01, clerk, utc(2026, 11, 10, 2), unit_room="301")
    builders.finish(db, november, clerk, utc(2026, 11, 10, 4))
    db.commit()

    report = monthly.monthly(db, [sh01], DECEMBER, NOW)
    targets = {str(row[0]): row[1:] for row in monthly.tables(report)[0].rows}

    assert targets["Complaints handled on time"] == [0.5, 1.0, "≥ 98%", False]
    assert targets["Repeat complaints"] == [0.2, 0.0, "≤ 1%", False]
    assert targets["Complaints handled within 24 h"][:2] == [0.25, 1.0]


def test_the_morning_review_counts_open_orders_and_lists_the_overdue(
    db: Session, places: dict[str, Community], clerk: int
) -> None:
    sh01 = places["SH01"]
    late = builders.repair(db, sh01, clerk, utc(2026, 12, 1, 2))  # never dispatched: 5 min
    builders.complaint(db, sh01, clerk, utc(2026, 12, 1, 2))  # minor: 2 days, still running
    done = builders.repair(db, sh01, clerk, utc(2026, 12, 1, 3), room="102")
    builders.finish(db, done, clerk, utc(2026, 12, 1, 5), builders.technician(db, sh01, "王"))
    db.commit()

    review = daily.daily(db, [sh01], dt.date(2026, 12, 1), utc(2026, 12, 2, 2))
    shown = {t.key: t.rows for t in daily.tables(review, lambda c: "")}

    assert review.open_orders == [(sh01.id, "complaint", 1, 0), (sh01.id, "repair", 1, 1)]
    assert (review.open_count, review.overdue_count) == (2, 1)
    assert shown["overdue"] == [["SH01", late.number, "Repair", "Open", "2026-12-01 10:05"]]
    assert shown["complaints"][0][3:7] == ["Staff attitude", "Minor", "Valid complaint", "Open"]
