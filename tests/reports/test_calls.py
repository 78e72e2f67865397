"""Call figures of the reports on calls built as the telephony sides record them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.reports import calls, daily, monthly
from agent_console.reports.periods import day_windows, month_windows
from agent_console.wallboard import waits
from agent_console.wallboard.services import _events
from models import Call, CallEvent, Community, Direction
from tests.console.wallboard.builders import asterisk_call, at, twilio_call
from tests.reports.conftest import utc

DAY = dt.date(2026, 12, 1)
MORNING = utc(2026, 12, 1, 2)  # 10:00 on 1 December in Shanghai


def _message(db: Session, community: Community, when: dt.datetime, number: str) -> Call:
    call = Call(
        provider="asterisk", provider_call_id=f"m-{when.timestamp()}", direction=Direction.INBOUND,
        caller_number=number, caller_e164=number, community_id=community.id, queue=None,
        disposition="message_left", disposition_step="after_hours", started_at=when,
        ended_at=when + dt.timedelta(seconds=40),
    )  # fmt: skip
    db.add(call)
    db.flush()
    return call


@pytest.fixture
def traffic(db: Session, places: dict[str, Community]) -> dict[str, int]:
    """1 Dec in SH01: repair answered after 10 s (Asterisk) and 30 s (Twilio); inquiry
    abandoned after 5 s (Asterisk); repair abandoned after 40 s (Twilio); an emergency still
    recorded as queued; a message left at 23:30; and calls just outside the day."""
    sh01 = places["SH01"].id
    asterisk_call(db, sh01, "repair", at(-600, MORNING), answered_after=10)
    twilio_call(db, sh01, "repair", at(-500, MORNING), answered_after=30)
    quick = asterisk_call(db, sh01, "inquiry", at(-400, MORNING), abandoned_after=5)
    slow = twilio_call(db, sh01, "repair", at(-300, MORNING), abandoned_after=40)
    quick.caller_e164, slow.caller_e164 = "+8613800138000", "+8613900139000"
    asterisk_call(db, sh01, "emergency", at(-100, MORNING))
    _message(db, places["SH01"], utc(2026, 12, 1, 15, 30), "+8613700137000")  # 23:30 local
    asterisk_call(
        db, sh01, "repair", utc(2026, 11, 30, 15, 59), answered_after=3
    )  # 23:59:30 30 Nov
    asterisk_call(db, sh01, "repair", utc(2026, 12, 1, 16, 1), answered_after=3)  # 00:00:30 2 Dec
    db.commit()
    return {"quick": quick.id, "slow": slow.id}


def test_the_days_calls_by_queue_and_outcome(
    db: Session, places: dict[str, Community], traffic: dict[str, int]
) -> None:
    total, by_queue = calls.tally(db, day_windows([places["SH01"]], DAY))

    assert (total.offered, total.answered, total.abandoned) == (5, 2, 2)
    assert total.by_outcome == {"answered": 2, "abandoned": 2, "queued": 1, "message_left": 1}
    # Within 20 s: the 10 s answer; counted: 2 answered + the 40 s abandonment.
    assert total.service_level == pytest.approx(1 / 3)
    assert total.average_speed_of_answer == pytest.approx(20.0)  # (10 + 30) / 2
    assert (by_queue["repair"].offered, by_queue["repair"].answered) == (3, 2)
    assert by_queue["inquiry"].abandoned == 1 and by_queue[""].by_outcome == {"message_left": 1}


def test_the_reports_wait_is_the_wallboards_for_calls_recorded_both_ways(
    db: Session, places: dict[str, Community], traffic: dict[str, int]
) -> None:
    dialect = db.get_bind().dialect.name
    rows = {
        r.id: r for r in db.execute(calls.call_rows(day_windows([places["SH01"]], DAY), dialect))
    }
    found = list(db.scalars(select(Call).where(Call.id.in_(rows))))
    events = _events(db, [c.id for c in found])
    compared = 0
    for call in found:
        if rows[call.id].outcome in ("answered", "abandoned"):
            expected = waits.wait_seconds(call, events.get(call.id, []))
            assert rows[call.id].wait == pytest.approx(expected, abs=0.01), call
            compared += 1
    assert compared == 4


def test_abandoned_calls_and_messages_are_listed_with_their_numbers(
    db: Session, places: dict[str, Community], traffic: dict[str, int]
) -> None:
    report = daily.daily(db, [places["SH01"]], DAY, MORNING)

    assert [(c.id, c.number, c.wait) for c in report.abandoned] == [
        (traffic["quick"], "+8613800138000", 5.0),
        (traffic["slow"], "+8613900139000", 40.0),
    ]
    assert [c.number for c in report.messages] == ["+8613700137000"]
    shown = daily.tables(report, lambda c: f"masked:{c.id}")
    abandoned = next(t for t in shown if t.key == "abandoned")
    assert [row[1:4] for row in abandoned.rows] == [  # started 30 s before joining
        ["2026-12-01 09:52", "Inquiry", f"masked:{traffic['quick']}"],
        ["2026-12-01 09:54", "Repair", f"masked:{traffic['slow']}"],
    ]


def test_a_wait_only_asterisk_reported_is_used_without_a_queue_joined_event(
    db: Session, places: dict[str, Community]
) -> None:
    call = asterisk_call(db, places["SH01"].id, "repair", MORNING, answered_after=25)
    db.query(CallEvent).filter_by(call_id=call.id, kind="queue.joined").delete()
    db.commit()

    total, _ = calls.tally(db, day_windows([places["SH01"]], DAY))

    assert (total.answered, total.answered_in_target, total.average_speed_of_answer) == (1, 0, 25.0)


def test_calls_per_hour_make_the_heat_map_in_local_time(
    db: Session, places: dict[str, Community], traffic: dict[str, int]
) -> None:
    report = monthly.monthly(db, [places["SH01"]], DAY, utc(2026, 12, 20))

    heat = monthly.heat(report)
    # 1 Dec 2026 is a Tuesday: five offered calls between 09:00 and 10:00 local, one at 00:00.
    assert heat == {(2, 9): 5, (3, 0): 1}
    series = monthly.daily_series(report, DAY)
    assert {d.day: t.offered for d, t in series.items()} == {1: 5, 2: 1}
    before = monthly.daily_series(report, dt.date(2026, 11, 1))
    assert {d.day: t.offered for d, t in before.items()} == {30: 1}


def test_a_day_and_a_month_are_each_communitys_own(
    db: Session, places: dict[str, Community]
) -> None:
    ny01 = places["NY01"]
    asterisk_call(db, ny01.id, "repair", utc(2026, 12, 1, 4, 50), answered_after=3)  # 30 Nov NY
    asterisk_call(db, ny01.id, "repair", utc(2026, 12, 1, 5, 10), answered_after=3)  # 1 Dec NY
    db.commit()

    day, _ = calls.tally(db, day_windows([ny01], DAY))
    month, _ = calls.tally(db, month_windows([ny01], dt.date(2026, 11, 1)))

    assert (day.answered, month.answered) == (1, 1)


def test_no_community_in_scope_makes_an_empty_report(db: Session, traffic: dict[str, int]) -> None:
    report = monthly.monthly(db, [], DAY, utc(2026, 12, 20))
    review = daily.daily(db, [], DAY, utc(2026, 12, 2))

    assert (report.current.calls.offered, report.hours, report.requests) == (0, {}, [])
    assert (review.total.offered, review.abandoned, review.open_count) == (0, [], 0)
