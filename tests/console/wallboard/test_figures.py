"""The wallboard's figures from hand-built calls, agents and work orders (both databases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.wallboard import services
from agent_console.wallboard.services import service_level
from models import (
    Agent,
    CallbackStatus,
    CallEvent,
    Category,
    Community,
    PresenceState,
    Status,
    WorkOrder,
)
from tests.console.wallboard.builders import (
    NOW,
    asterisk_call,
    at,
    callback,
    presence,
    twilio_call,
    work_order,
)

Builder = Callable[..., object]
PROVIDERS = pytest.mark.parametrize(
    "make_call", [asterisk_call, twilio_call], ids=["asterisk", "twilio"]
)


def test_service_level_is_answered_in_target_over_answered_and_late_abandons() -> None:
    assert service_level(in_target=1, answered=2, abandoned_after=1) == pytest.approx(1 / 3)
    assert service_level(in_target=8, answered=8, abandoned_after=0) == 1.0
    assert service_level(in_target=0, answered=0, abandoned_after=0) is None


@PROVIDERS
def test_given_answers_at_10_and_30s_and_abandons_at_5_and_40s_then_service_level_is_a_third(
    session: Session, estate: dict[str, int], make_call: Builder
) -> None:
    sh01 = estate["SH01"]
    make_call(session, sh01, "repair", at(-600), answered_after=10)
    make_call(session, sh01, "repair", at(-500), answered_after=30)
    make_call(session, sh01, "inquiry", at(-400), abandoned_after=5)
    make_call(session, sh01, "repair", at(-300), abandoned_after=40)
    session.commit()

    today = services.figures(session, [sh01], NOW).today

    assert (today.offered, today.answered, today.abandoned) == (4, 2, 2)
    assert (today.answered_in_target, today.abandoned_after) == (1, 1)
    assert today.service_level == pytest.approx(1 / 3)  # 1 ÷ (2 answered + 1 late abandon)


@PROVIDERS
def test_the_target_is_inclusive_at_twenty_seconds(
    session: Session, estate: dict[str, int], make_call: Builder
) -> None:
    make_call(session, estate["SH01"], "repair", at(-600), answered_after=20)
    make_call(session, estate["SH01"], "repair", at(-500), answered_after=21)
    make_call(session, estate["SH01"], "repair", at(-400), abandoned_after=20)
    session.commit()

    today = services.figures(session, [estate["SH01"]], NOW).today

    assert (today.answered_in_target, today.abandoned_after) == (1, 0)
    assert today.service_level == pytest.approx(1 / 2)


def test_per_queue_figures_add_up_to_the_total(session: Session, estate: dict[str, int]) -> None:
    sh01 = estate["SH01"]
    asterisk_call(session, sh01, "emergency", at(-900), answered_after=3)
    asterisk_call(session, sh01, "repair", at(-800), answered_after=50)
    twilio_call(session, sh01, "repair", at(-700), abandoned_after=45)
    session.commit()

    board = services.figures(session, [sh01], NOW)

    assert board.today_by_queue["emergency"].service_level == 1.0
    assert board.today_by_queue["repair"].service_level == 0.0
    assert board.today_by_queue["inquiry"].service_level is None
    assert board.today.offered == 3 and board.today.service_level == pytest.approx(1 / 3)


def test_today_is_the_communitys_own_day(session: Session, estate: dict[str, int]) -> None:
    sh01 = estate["SH01"]
    # 00:30 on 2 December in Shanghai, though still 1 December in UTC: today.
    asterisk_call(
        session, sh01, "repair", dt.datetime(2026, 12, 1, 16, 30, tzinfo=dt.UTC), answered_after=5
    )
    # 23:50 on 1 December in Shanghai: yesterday.
    asterisk_call(
        session, sh01, "repair", dt.datetime(2026, 12, 1, 15, 50, tzinfo=dt.UTC), answered_after=5
    )
    session.commit()

    assert services.figures(session, [sh01], NOW).today.answered == 1


def test_a_call_of_yesterday_in_shanghai_but_today_in_utc_is_not_counted_in_shanghai(
    session: Session, estate: dict[str, int]
) -> None:
    late = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)  # 04:00 on 3 December in Shanghai
    call_time = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)  # 18:00 on 2 December there
    session.get_one(Community, estate["SH02"]).timezone = "Europe/London"  # UTC in December
    for code in ("SH01", "SH02"):
        asterisk_call(session, estate[code], "repair", call_time, answered_after=5)
    session.commit()

    assert services.figures(session, [estate["SH01"]], late).today.answered == 0
    assert services.figures(session, [estate["SH02"]], late).today.answered == 1
    assert services.figures(session, [estate["SH01"], estate["SH02"]], late).today.answered == 1


def test_calls_never_offered_to_an_agent_are_not_counted(
    session: Session, estate: dict[str, int]
) -> None:
    sh01 = estate["SH01"]
    hung_up_in_menu = asterisk_call(session, sh01, "repair", at(-300))
    hung_up_in_menu.disposition, hung_up_in_menu.disposition_step = "abandoned", "main_menu"
    on_call = asterisk_call(session, sh01, "emergency", at(-200))
    on_call.disposition = "sent_to_on_call"
    chose_callback = twilio_call(session, sh01, "repair", at(-100), left="leave")
    chose_callback.disposition, chose_callback.disposition_step = "callback_requested", "queue"
    twilio_call(session, sh01, "inquiry", at(-50))  # still waiting
    session.commit()

    today = services.figures(session, [sh01], NOW).today

    assert (today.offered, today.callbacks_requested, today.waiting) == (2, 1, 1)
    assert (today.answered, today.abandoned, today.service_level) == (0, 0, None)


def test_waiting_callers_per_queue_with_the_longest_wait(
    session: Session, estate: dict[str, int]
) -> None:
    sh01 = estate["SH01"]
    asterisk_call(session, sh01, "repair", at(-90))
    asterisk_call(session, sh01, "repair", at(-30))
    asterisk_call(session, sh01, "emergency", at(-10))
    twilio_call(session, sh01, "repair", at(-120))
    twilio_call(session, sh01, "inquiry", at(-75), left="redirected")  # an agent's phone rings
    session.commit()

    queues = {q.queue: q for q in services.figures(session, [sh01], NOW).queues}

    assert [q.queue for q in queues.values()] == ["emergency", "repair", "inquiry", "complaint"]
    assert (queues["repair"].waiting, queues["repair"].longest_wait) == (3, 120.0)
    assert (queues["emergency"].waiting, queues["emergency"].longest_wait) == (1, 10.0)
    assert (queues["inquiry"].waiting, queues["inquiry"].longest_wait) == (1, 75.0)
    assert (queues["complaint"].waiting, queues["complaint"].longest_wait) == (0, None)


def test_callers_who_left_the_queue_are_not_waiting(
    session: Session, estate: dict[str, int]
) -> None:
    sh01 = estate["SH01"]
    asterisk_call(session, sh01, "repair", at(-300), answered_after=10)
    asterisk_call(session, sh01, "repair", at(-300), abandoned_after=10)
    left = asterisk_call(session, sh01, "complaint", at(-200))  # LEAVEEMPTY, not back yet
    session.add(
        CallEvent(call_id=left.id, kind="queue.left", at=at(-100), data={"queue": "complaint"})
    )
    gone = asterisk_call(session, sh01, "repair", at(-200))  # hung up; disposition not yet set
    session.add(CallEvent(call_id=gone.id, kind="call.hangup", at=at(-100), data={}))
    twilio_call(session, sh01, "repair", at(-100), left="leave")  # pressed 1 for a callback
    ended = twilio_call(session, sh01, "repair", at(-100))
    ended.flow_state = {**ended.flow_state, "final_status": "completed"}  # type: ignore[dict-item]
    asterisk_call(session, sh01, "repair", at(-7 * 3600))  # a record whose end never came
    session.commit()

    queues = services.figures(session, [sh01], NOW).queues

    assert sum(q.waiting for q in queues) == 0


def test_a_caller_moved_to_inquiry_waits_there_since_their_first_queue(
    session: Session, estate: dict[str, int]
) -> None:
    call = asterisk_call(session, estate["SH01"], "repair", at(-100))
    session.add(CallEvent(call_id=call.id, kind="queue.left", at=at(-40), data={"queue": "repair"}))
    session.add(
        CallEvent(call_id=call.id, kind="queue.joined", at=at(-40), data={"queue": "inquiry"})
    )
    session.commit()

    queues = {q.queue: q for q in services.figures(session, [estate["SH01"]], NOW).queues}

    assert (queues["repair"].waiting, queues["inquiry"].waiting) == (0, 1)
    assert queues["inquiry"].longest_wait == 100.0


def test_pending_callbacks_per_queue(session: Session, estate: dict[str, int]) -> None:
    sh01 = estate["SH01"]
    for status in (
        CallbackStatus.PENDING,
        CallbackStatus.PENDING,
        CallbackStatus.CALLING,
        CallbackStatus.FAILED,
    ):
        call = twilio_call(session, sh01, "repair", at(-300), left="leave")
        callback(session, call, at(-300), status)
    other = twilio_call(session, estate["SH02"], "repair", at(-300), left="leave")
    callback(session, other, at(-300), CallbackStatus.PENDING)
    session.commit()

    queues = {q.queue: q for q in services.figures(session, [sh01], NOW).queues}

    assert queues["repair"].callbacks_pending == 2
    assert queues["inquiry"].callbacks_pending == 0


def test_agents_by_state_are_those_serving_the_communities(
    session: Session, estate: dict[str, int]
) -> None:
    ids = {a.login: a.id for a in session.scalars(select(Agent))}
    presence(session, ids["agent1"], PresenceState.PAUSED, at(-600), reason="午餐")
    presence(session, ids["agent3"], PresenceState.AVAILABLE, at(-60))  # SH02 only
    presence(session, ids["retired"], PresenceState.AVAILABLE, at(-60))  # may not log in
    session.commit()

    board = services.figures(session, [estate["SH01"]], NOW)

    shown = [(a.name, a.state, a.since, a.reason) for a in board.agents]
    assert shown == [
        ("Agent1", PresenceState.PAUSED, at(-600), "午餐"),
        ("Supervisor1", PresenceState.OFFLINE, None, None),  # no presence yet: offline
    ]
    assert board.agent_counts[PresenceState.PAUSED] == 1
    assert board.agent_counts[PresenceState.AVAILABLE] == 0
    both = services.figures(session, [estate["SH01"], estate["SH02"]], NOW)
    assert [a.name for a in both.agents] == ["Agent3", "Agent1", "Supervisor1"]


def test_overdue_work_orders_oldest_first(session: Session, estate: dict[str, int]) -> None:
    sh01 = session.get_one(Community, estate["SH01"])
    sh02 = session.get_one(Community, estate["SH02"])
    late = work_order(session, sh01, at(-3600))
    later = work_order(session, sh01, at(-3 * 3600), Status.DISPATCHED)
    work_order(session, sh01, at(-7200), Status.COMPLETED)
    work_order(session, sh01, at(-7200), Status.CLOSED)
    work_order(session, sh01, at(+3600))  # not due yet
    work_order(session, sh02, at(-3600))  # another community's
    session.commit()

    board = services.figures(session, [sh01.id], NOW)

    assert board.overdue_count == 2
    assert [o.id for o in board.overdue] == [later, late]
    count, oldest = services.overdue_orders(session, [sh01.id, sh02.id], NOW, limit=1)
    assert count == 3 and [o.id for o in oldest] == [later]


def test_overdue_is_what_the_work_order_pages_say(session: Session, estate: dict[str, int]) -> None:
    """An order not dispatched by its dispatch deadline is late before its resolve deadline;
    an emergency with staff on site in time is not late after it."""
    sh01 = session.get_one(Community, estate["SH01"])
    undispatched = session.get_one(WorkOrder, work_order(session, sh01, at(+3600)))
    undispatched.dispatch_due_at = at(-60)
    on_site = session.get_one(WorkOrder, work_order(session, sh01, at(-600), Status.ON_SITE))
    on_site.category, on_site.on_site_at = Category.EMERGENCY, at(-900)
    session.commit()

    count, oldest = services.overdue_orders(session, [sh01.id], NOW)

    assert count == 1 and [(o.id, o.due_at) for o in oldest] == [(undispatched.id, at(-60))]


def test_another_communitys_calls_are_not_counted(session: Session, estate: dict[str, int]) -> None:
    asterisk_call(session, estate["SH02"], "repair", at(-100), answered_after=5)
    asterisk_call(session, estate["SH02"], "repair", at(-50))
    session.commit()

    board = services.figures(session, [estate["SH01"]], NOW)

    assert board.today.offered == 0 and sum(q.waiting for q in board.queues) == 0
    assert services.figures(session, [estate["SH02"]], NOW).today.offered == 2


def test_a_call_answered_on_the_desk_is_answered_before_twilio_says_so(
    session: Session, estate: dict[str, int]
) -> None:
    sh01 = estate["SH01"]
    quick = twilio_call(session, sh01, "repair", at(-100))  # disposition still "queued"
    quick.answered_at = at(-88)
    slow = twilio_call(session, sh01, "repair", at(-100))
    slow.answered_at = at(-60)
    twilio_call(session, sh01, "repair", at(-100))  # still waiting
    session.commit()

    board = services.figures(session, [sh01], NOW)

    repair = {q.queue: q for q in board.queues}["repair"]
    assert (repair.waiting, repair.longest_wait) == (1, 100.0)
    assert (board.today.answered, board.today.answered_in_target, board.today.waiting) == (2, 1, 1)


def test_agents_on_a_call_are_shown_between_ringing_and_wrap_up(
    session: Session, estate: dict[str, int]
) -> None:
    ids = {a.login: a.id for a in session.scalars(select(Agent))}
    presence(session, ids["agent1"], PresenceState.WRAP_UP, at(-30))
    presence(session, ids["supervisor1"], PresenceState.ON_CALL, at(-90))
    session.commit()

    board = services.figures(session, [estate["SH01"]], NOW)

    assert [a.state for a in board.agents] == [PresenceState.ON_CALL, PresenceState.WRAP_UP]
    assert board.agent_counts[PresenceState.ON_CALL] == 1
    assert set(board.agent_counts) == set(PresenceState)
