"""Survey policy: which completed work order gets which survey, by when, to whom (frozen time).

Times are 2 December 2026 (a Wednesday), 10:00 in Shanghai unless a row says otherwise.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from models import Category, JobStatus, Status, TaskKind, TaskStatus
from models.survey_policy import (
    SurveySettings,
    expire_overdue,
    schedule_for_completed,
    schedule_many,
    survey_plan,
)
from models.work_order_flow import complete, dispatch, reopen
from tests.surveys.policy_estate import DAY, HOUR, NOW, PolicyEstate

C = Category


@pytest.fixture
def estate(session: Session) -> PolicyEstate:
    built = PolicyEstate(session)
    session.commit()
    return built


@pytest.mark.parametrize(
    ("category", "sub", "water_test", "reason", "due_from", "due_by"),
    [
        # safety facilities: 2 days
        (C.REPAIR, "lift", None, "safety", NOW, NOW + 2 * DAY),
        (C.REPAIR, "gas", None, "safety", NOW, NOW + 2 * DAY),
        (C.REPAIR, "electrical", None, "safety", NOW, NOW + 2 * DAY),
        (C.EMERGENCY, "fire", None, "safety", NOW, NOW + 2 * DAY),
        (C.EMERGENCY, "gas", None, "safety", NOW, NOW + 2 * DAY),
        (C.EMERGENCY, "lift_trapped", None, "safety", NOW, NOW + 2 * DAY),
        (C.EMERGENCY, "power_outage", None, "safety", NOW, NOW + 2 * DAY),
        # leaks: 3 days after the water test (from completion when none is recorded)
        (C.REPAIR, "leak", NOW + DAY, "leak", NOW + DAY, NOW + 4 * DAY),
        (C.REPAIR, "leak", None, "leak", NOW, NOW + 3 * DAY),
        (C.REPAIR, "leak", NOW - HOUR, "leak", NOW, NOW + 3 * DAY),
        (
            C.EMERGENCY,
            "burst_pipe",
            NOW + 2 * HOUR,
            "leak",
            NOW + 2 * HOUR,
            NOW + 3 * DAY + 2 * HOUR,
        ),
        (C.EMERGENCY, "flooding", None, "leak", NOW, NOW + 3 * DAY),
        # other repairs and emergencies: 2 days
        (C.REPAIR, "plumbing", None, "repair", NOW, NOW + 2 * DAY),
        (C.REPAIR, "doors_locks", None, "repair", NOW, NOW + 2 * DAY),
        (C.REPAIR, "intercom", None, "repair", NOW, NOW + 2 * DAY),
        (C.EMERGENCY, "medical", None, "repair", NOW, NOW + 2 * DAY),
        # complaints: always
        (C.COMPLAINT, "service", None, "complaint", NOW, NOW + 2 * DAY),
        (C.COMPLAINT, "noise", None, "complaint", NOW, NOW + 2 * DAY),
    ],
)
def test_a_completed_order_gets_its_rules_survey(
    session: Session,
    estate: PolicyEstate,
    category: Category,
    sub: str,
    water_test: dt.datetime | None,
    reason: str,
    due_from: dt.datetime,
    due_by: dt.datetime,
) -> None:
    order = estate.completed(category, sub, water_test_at=water_test)
    session.commit()
    [job] = estate.jobs(order)
    assert (job.reason, job.due_from, job.due_by) == (reason, due_from, due_by)
    assert job.status is JobStatus.SCHEDULED
    assert job.next_attempt_at == due_from  # inside calling hours (10:00 or later)
    assert (job.attempts, job.max_attempts) == (0, 3)
    assert job.payload["work_order"] == order.number
    assert estate.tasks() == []


@pytest.mark.parametrize(
    ("category", "sub"),
    [(C.INQUIRY, "fees"), (C.HOME_SERVICE, "housekeeping"), (C.HOME_SERVICE, "senior_care")],
)
def test_inquiries_and_home_services_get_no_survey_on_completion(
    session: Session, estate: PolicyEstate, category: Category, sub: str
) -> None:
    order = estate.completed(category, sub)
    assert estate.jobs(order) == []
    assert schedule_for_completed(session, order, now=NOW) == []


def test_inquiries_are_surveyed_when_configured(estate: PolicyEstate) -> None:
    order = estate.order(C.INQUIRY, "fees", completed_at=NOW)
    plan = survey_plan(order, NOW, SurveySettings(inquiry_window=DAY))
    assert plan is not None and (plan.reason, plan.due_by) == ("inquiry", NOW + DAY)


def test_configured_windows_and_attempts_replace_the_defaults(
    session: Session, estate: PolicyEstate
) -> None:
    order = estate.order(C.REPAIR, "lift")
    order.completed_at = NOW
    rules = SurveySettings(safety_window=5 * HOUR, max_attempts=5)
    [job] = schedule_for_completed(session, order, now=NOW, settings=rules)
    assert (job.due_by, job.max_attempts) == (NOW + 5 * HOUR, 5)


@pytest.mark.parametrize(
    ("completed_local", "first_call_local"),
    [
        ("2026-12-02 10:00", "2026-12-02 10:00"),  # inside the hours: at once
        ("2026-12-02 07:30", "2026-12-02 09:00"),  # before they open
        ("2026-12-02 20:00", "2026-12-03 09:00"),  # at closing: the next morning
        ("2026-12-02 23:10", "2026-12-03 09:00"),
    ],
)
def test_the_first_call_waits_for_calling_hours(
    session: Session, estate: PolicyEstate, completed_local: str, first_call_local: str
) -> None:
    at = _shanghai(completed_local)
    [job] = estate.jobs(estate.completed(C.REPAIR, "plumbing", at=at))
    assert job.next_attempt_at == _shanghai(first_call_local)
    assert job.due_by == at + 2 * DAY


def _shanghai(text: str) -> dt.datetime:
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    return (local - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC)


def test_the_resident_of_the_order_is_called_in_their_language(
    session: Session, estate: PolicyEstate
) -> None:
    [job] = estate.jobs(estate.completed(resident_id=estate.tenant.id))
    assert (job.resident_id, job.number, job.language) == (
        estate.tenant.id,
        "+8613900000009",
        "en",
    )


def test_without_a_resident_the_units_owner_is_called_on_the_primary_phone(
    estate: PolicyEstate,
) -> None:
    [job] = estate.jobs(estate.completed())
    assert (job.resident_id, job.number, job.language) == (
        estate.owner.id,
        "+8613900000001",
        "zh-CN",
    )


def test_a_resident_without_a_phone_falls_back_to_the_owner(
    session: Session, estate: PolicyEstate
) -> None:
    estate.tenant.phones.clear()
    session.flush()
    [job] = estate.jobs(estate.completed(resident_id=estate.tenant.id))
    assert (job.resident_id, job.number) == (estate.owner.id, "+8613900000001")


def test_no_number_at_all_makes_a_manual_callback_task_at_once(
    session: Session, estate: PolicyEstate
) -> None:
    order = estate.completed(C.COMPLAINT, "service", unit_id=None)
    [job] = estate.jobs(order)
    assert (job.status, job.number) == (JobStatus.MANUAL, "")
    [task] = estate.tasks()
    assert (task.kind, task.job_id, task.work_order_id, task.status) == (
        TaskKind.MANUAL_CALLBACK,
        job.id,
        order.id,
        TaskStatus.OPEN,
    )
    assert task.due_at == NOW + 2 * DAY
    assert task.reason == "no number to call"


@pytest.mark.parametrize("flag", ["do_not_call", "survey_opt_out"])
def test_a_resident_who_refuses_calls_gets_no_call_and_no_task(
    session: Session, estate: PolicyEstate, flag: str
) -> None:
    setattr(estate.tenant, flag, True)
    [job] = estate.jobs(estate.completed(resident_id=estate.tenant.id))
    assert job.status is JobStatus.OPTED_OUT
    assert estate.tasks() == []


def test_a_difficult_issue_gets_a_supervisor_callback_within_24_hours(
    session: Session, estate: PolicyEstate
) -> None:
    order = estate.completed(C.COMPLAINT, "charges", difficult=True)
    [job] = estate.jobs(order)
    [task] = estate.tasks()
    assert task.kind is TaskKind.SUPERVISOR_CALLBACK
    assert (task.due_at, task.work_order_id, task.job_id) == (NOW + DAY, order.id, job.id)
    assert task.reason == f"difficult: supervisor calls back {order.number}"
    assert job.status is JobStatus.SCHEDULED  # the survey is made as well


def test_scheduling_twice_changes_nothing(session: Session, estate: PolicyEstate) -> None:
    order = estate.completed(C.REPAIR, "lift", difficult=True)
    again = schedule_for_completed(session, order, now=NOW + HOUR)
    session.commit()
    assert [j.id for j in again] == [j.id for j in estate.jobs(order)]
    assert len(estate.jobs()) == 1 and len(estate.tasks()) == 1


def test_reopening_cancels_the_waiting_survey_and_completion_makes_a_new_one(
    session: Session, estate: PolicyEstate
) -> None:
    order = estate.completed(C.REPAIR, "lift", difficult=True)
    reopen(session, order, agent_id=estate.agent.id, now=NOW + HOUR)
    [first] = estate.jobs(order)
    assert first.status is JobStatus.CANCELLED
    assert order.status is Status.DISPATCHED
    complete(session, order, agent_id=estate.agent.id, now=NOW + DAY)
    session.commit()
    first, second = estate.jobs(order)
    assert (second.reason, second.status, second.due_by) == (
        "safety/r1",
        JobStatus.SCHEDULED,
        NOW + 3 * DAY,
    )
    callbacks = [t for t in estate.tasks() if t.kind is TaskKind.SUPERVISOR_CALLBACK]
    assert [t.due_at for t in callbacks] == [NOW + DAY, NOW + 2 * DAY]


def test_a_survey_being_called_is_not_cancelled_by_a_reopening(
    session: Session, estate: PolicyEstate
) -> None:
    order = estate.order(C.REPAIR, "plumbing")
    dispatch(session, order, agent_id=estate.agent.id, team=estate.team, now=NOW - HOUR)
    complete(session, order, agent_id=estate.agent.id, now=NOW)
    [job] = estate.jobs(order)
    job.status = JobStatus.CALLING
    reopen(session, order, agent_id=estate.agent.id, now=NOW + HOUR)
    assert job.status is JobStatus.CALLING


def test_scheduling_a_batch_makes_what_scheduling_each_order_makes(
    session: Session, estate: PolicyEstate
) -> None:
    kinds = [
        (C.REPAIR, "lift", {}),
        (C.REPAIR, "leak", {"water_test_at": NOW + DAY}),
        (C.COMPLAINT, "service", {"difficult": True, "resident_id": estate.tenant.id}),
        (C.INQUIRY, "fees", {}),
        (C.HOME_SERVICE, "housekeeping", {}),
        (C.EMERGENCY, "medical", {"unit_id": None}),
    ]
    orders = [
        estate.order(c, s, status=Status.COMPLETED, completed_at=NOW, **kw) for c, s, kw in kinds
    ]
    jobs = schedule_many(session, [*orders, orders[0]], now=NOW)
    session.commit()
    assert [(j.work_order_id, j.reason, j.status, j.number) for j in jobs] == [
        (orders[0].id, "safety", JobStatus.SCHEDULED, "+8613900000001"),
        (orders[1].id, "leak", JobStatus.SCHEDULED, "+8613900000001"),
        (orders[2].id, "complaint", JobStatus.SCHEDULED, "+8613900000009"),
        (orders[5].id, "repair", JobStatus.MANUAL, ""),
        (orders[0].id, "safety", JobStatus.SCHEDULED, "+8613900000001"),
    ]
    assert jobs[0] is jobs[-1] and len(estate.jobs()) == 4
    assert sorted(t.kind for t in estate.tasks()) == [
        TaskKind.MANUAL_CALLBACK,
        TaskKind.SUPERVISOR_CALLBACK,
    ]
    assert schedule_many(session, orders, now=NOW + HOUR) == jobs[:4]
    assert len(estate.jobs()) == 4 and len(estate.tasks()) == 2


def test_a_survey_not_called_by_its_deadline_goes_to_a_person(
    session: Session, estate: PolicyEstate
) -> None:
    [late] = estate.jobs(estate.completed(C.REPAIR, "plumbing", at=NOW - 3 * DAY))
    [on_time] = estate.jobs(estate.completed(C.REPAIR, "lift", at=NOW - DAY))
    expired = expire_overdue(session, now=NOW)
    session.commit()
    assert expired == [late]
    assert (late.status, on_time.status) == (JobStatus.MANUAL, JobStatus.SCHEDULED)
    [task] = estate.tasks()
    assert (task.kind, task.job_id, task.due_at) == (TaskKind.MANUAL_CALLBACK, late.id, NOW)
    assert expire_overdue(session, now=NOW) == []
