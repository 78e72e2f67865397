"""Survey policy: calling hours, who may be called, how attempts move a job on, and what
the answers set off (frozen time: 2 December 2026, a Wednesday, 10:00 in Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AttemptOutcome,
    Category,
    Community,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    Resident,
    Status,
    SurveyResponse,
    TaskKind,
)
from models.survey_policy import after_attempt, calling_window, may_call, record_answers
from tests.surveys.policy_estate import DAY, HOUR, NOW, PolicyEstate

Out = AttemptOutcome
MIN = dt.timedelta(minutes=1)


def local(text: str, zone_hours: int = 8) -> dt.datetime:
    """A wall-clock time at UTC+``zone_hours`` as an aware UTC datetime."""
    at = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    return (at - dt.timedelta(hours=zone_hours)).replace(tzinfo=dt.UTC)


def community(**kw: object) -> Community:
    values: dict[str, object] = {
        "code": "T",
        "timezone": "Asia/Shanghai",
        "calling_from": dt.time(9, 0),
        "calling_until": dt.time(20, 0),
        "quiet_days": "",
    }
    return Community(**(values | kw))


@pytest.mark.parametrize(
    ("settings", "when", "first"),
    [
        ({}, "2026-12-02 08:59", "2026-12-02 09:00"),
        ({}, "2026-12-02 09:00", "2026-12-02 09:00"),
        ({}, "2026-12-02 19:59", "2026-12-02 19:59"),
        ({}, "2026-12-02 20:00", "2026-12-03 09:00"),
        ({}, "2026-12-02 23:30", "2026-12-03 09:00"),
        ({}, "2026-12-03 00:10", "2026-12-03 09:00"),
        # Sunday quiet: Saturday evening and Sunday go to Monday morning
        ({"quiet_days": "7"}, "2026-12-05 20:30", "2026-12-07 09:00"),
        ({"quiet_days": "7"}, "2026-12-06 12:00", "2026-12-07 09:00"),
        ({"quiet_days": "7"}, "2026-12-05 12:00", "2026-12-05 12:00"),
        ({"quiet_days": "67"}, "2026-12-04 21:00", "2026-12-07 09:00"),
        # the community's own hours
        (
            {"calling_from": dt.time(10, 30), "calling_until": dt.time(18, 0)},
            "2026-12-02 09:45",
            "2026-12-02 10:30",
        ),
        (
            {"calling_from": dt.time(10, 30), "calling_until": dt.time(18, 0)},
            "2026-12-02 18:00",
            "2026-12-03 10:30",
        ),
    ],
)
def test_calling_window_in_shanghai(settings: dict[str, object], when: str, first: str) -> None:
    assert calling_window(community(**settings), local(when)) == local(first)


@pytest.mark.parametrize(
    ("when_utc", "first_utc"),
    [
        # New York: 09:00 is 14:00 UTC in winter, 13:00 UTC in summer (DST from 8 March 2026)
        ("2026-03-07 12:00", "2026-03-07 14:00"),
        ("2026-03-08 02:00", "2026-03-08 13:00"),  # 21:00 on the 7th → 09:00 EDT on the 8th
        ("2026-03-08 23:30", "2026-03-08 23:30"),  # 19:30 EDT: inside
        ("2026-03-09 00:30", "2026-03-09 13:00"),  # 20:30 EDT: the next morning
    ],
)
def test_calling_window_follows_the_communitys_time_zone_and_dst(
    when_utc: str, first_utc: str
) -> None:
    place = community(timezone="America/New_York")
    assert calling_window(place, local(when_utc, 0)) == local(first_utc, 0)


def test_a_community_quiet_every_day_has_no_calling_window() -> None:
    with pytest.raises(ValueError, match="no calling hours"):
        calling_window(community(quiet_days="1234567"), NOW)


@pytest.mark.parametrize(
    ("do_not_call", "opt_out", "purpose", "allowed"),
    [
        (False, False, JobPurpose.SURVEY, True),
        (False, False, JobPurpose.NOTICE, True),
        (True, False, JobPurpose.SURVEY, False),
        (True, False, JobPurpose.NOTICE, False),
        (True, False, JobPurpose.FEE_REMINDER, False),
        (True, False, JobPurpose.SENIOR_CARE, False),
        (False, True, JobPurpose.SURVEY, False),
        (False, True, JobPurpose.NOTICE, True),
        (False, True, JobPurpose.FEE_REMINDER, True),
    ],
)
def test_may_call(do_not_call: bool, opt_out: bool, purpose: JobPurpose, allowed: bool) -> None:
    person = Resident(name="x", do_not_call=do_not_call, survey_opt_out=opt_out)
    assert may_call(person, purpose) is allowed


def test_may_call_an_unknown_resident() -> None:
    assert may_call(None, JobPurpose.SURVEY) is True


@pytest.fixture
def estate(session: Session) -> PolicyEstate:
    built = PolicyEstate(session)
    session.commit()
    return built


@pytest.fixture
def job(session: Session, estate: PolicyEstate) -> OutboundJob:
    [made] = estate.jobs(
        estate.completed(Category.REPAIR, "plumbing", resident_id=estate.tenant.id)
    )
    session.commit()
    return made


def dial(session: Session, job: OutboundJob, at: dt.datetime) -> OutboundAttempt:
    """What a dialer does when it claims the job: attempt n + 1, job calling."""
    job.attempts += 1
    job.status = JobStatus.CALLING
    job.claimed_by, job.claimed_until = "d1", at + 5 * MIN
    attempt = OutboundAttempt(job_id=job.id, seq=job.attempts, dialer="d1", placed_at=at)
    session.add(attempt)
    session.flush()
    return attempt


@pytest.mark.parametrize("outcome", [Out.NO_ANSWER, Out.BUSY, Out.MACHINE, Out.FAILED, Out.PARTIAL])
def test_an_unfinished_call_is_retried_after_the_spacing(
    session: Session, job: OutboundJob, outcome: AttemptOutcome
) -> None:
    attempt = dial(session, job, NOW)
    after_attempt(session, job, attempt, outcome, now=NOW + MIN)
    assert (job.status, job.next_attempt_at) == (JobStatus.SCHEDULED, NOW + MIN + 2 * HOUR)
    assert (job.claimed_by, job.claimed_until) == (None, None)
    assert (attempt.outcome, attempt.ended_at) == (outcome, NOW + MIN)


def test_a_retry_falling_after_hours_waits_for_the_next_morning(
    session: Session, job: OutboundJob
) -> None:
    at = local("2026-12-02 18:30")
    after_attempt(session, job, dial(session, job, at), Out.NO_ANSWER, now=at)
    assert job.next_attempt_at == local("2026-12-03 09:00")


def test_attempts_used_up_make_a_manual_callback(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    at = NOW
    for _ in range(3):
        after_attempt(session, job, dial(session, job, at), Out.NO_ANSWER, now=at)
        at = job.next_attempt_at
    assert (job.status, job.attempts) == (JobStatus.MANUAL, 3)
    [task] = estate.tasks()
    assert (task.kind, task.job_id, task.due_at) == (TaskKind.MANUAL_CALLBACK, job.id, job.due_by)
    assert task.reason.startswith("no_answer: 3 attempts")


def test_no_time_left_before_the_deadline_makes_a_manual_callback(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    at = job.due_by - HOUR  # the retry would fall after the deadline
    after_attempt(session, job, dial(session, job, at), Out.BUSY, now=at)
    assert job.status is JobStatus.MANUAL
    assert [t.kind for t in estate.tasks()] == [TaskKind.MANUAL_CALLBACK]


def test_a_completed_call_completes_the_job(session: Session, job: OutboundJob) -> None:
    after_attempt(session, job, dial(session, job, NOW), Out.COMPLETED, now=NOW + MIN)
    assert job.status is JobStatus.COMPLETED


def test_opting_out_sets_the_residents_survey_opt_out(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    after_attempt(session, job, dial(session, job, NOW), Out.OPTED_OUT, now=NOW + MIN)
    assert job.status is JobStatus.OPTED_OUT
    assert (estate.tenant.survey_opt_out, estate.tenant.do_not_call) == (True, False)
    assert estate.tasks() == []


def test_opting_out_of_a_notice_sets_do_not_call(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    job.purpose = JobPurpose.NOTICE
    after_attempt(session, job, dial(session, job, NOW), Out.OPTED_OUT, now=NOW + MIN)
    assert (estate.tenant.survey_opt_out, estate.tenant.do_not_call) == (False, True)


def test_the_same_attempt_reported_twice_changes_nothing(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    job.max_attempts = 1
    attempt = dial(session, job, NOW)
    after_attempt(session, job, attempt, Out.NO_ANSWER, now=NOW + MIN)
    after_attempt(session, job, attempt, Out.COMPLETED, now=NOW + 2 * MIN)
    session.commit()
    assert (attempt.outcome, attempt.ended_at, job.status) == (
        Out.NO_ANSWER,
        NOW + MIN,
        JobStatus.MANUAL,
    )
    assert len(estate.tasks()) == 1


def test_placed_is_not_an_ending(session: Session, job: OutboundJob) -> None:
    with pytest.raises(ValueError):
        after_attempt(session, job, dial(session, job, NOW), Out.PLACED, now=NOW)


def test_an_attempt_ending_after_its_job_was_cancelled_leaves_the_job(
    session: Session, job: OutboundJob
) -> None:
    attempt = dial(session, job, NOW)
    job.status = JobStatus.CANCELLED
    after_attempt(session, job, attempt, Out.NO_ANSWER, now=NOW + MIN)
    assert (job.status, attempt.outcome, job.claimed_by) == (
        JobStatus.CANCELLED,
        Out.NO_ANSWER,
        None,
    )


# --- answers -------------------------------------------------------------------------


def test_good_answers_set_off_nothing(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    attempt = dial(session, job, NOW)
    answer = record_answers(
        session,
        job,
        attempt,
        timeliness=3,
        skill=4,
        attitude=5,
        solved=True,
        complete=True,
        comment=" 很好 ",
        now=NOW + MIN,
    )
    session.commit()
    order = session.get_one(OutboundJob, job.id)
    assert (answer.complete, answer.comment, answer.attempt_id) == (True, "很好", attempt.id)
    assert answer.technician_id == estate.tech.id and answer.work_order_id == order.work_order_id
    assert estate.tasks() == []


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"timeliness": 2}, "timeliness 2"),
        ({"skill": 1}, "skill 1"),
        ({"attitude": 2, "timeliness": 1}, "timeliness 1, attitude 2"),
        ({"solved": False}, "not solved"),
    ],
)
def test_a_dissatisfied_answer_asks_the_supervisor_to_call_back_in_24_hours(
    session: Session,
    estate: PolicyEstate,
    job: OutboundJob,
    answers: dict[str, object],
    reason: str,
) -> None:
    attempt = dial(session, job, NOW)
    answer = record_answers(session, job, attempt, now=NOW + MIN, **answers)  # type: ignore[arg-type]
    [task] = estate.tasks()
    assert (task.kind, task.due_at, task.job_id, task.response_id) == (
        TaskKind.SUPERVISOR_FOLLOW_UP,
        NOW + MIN + DAY,
        job.id,
        answer.id,
    )
    assert task.reason == f"dissatisfied: {reason}"


def test_not_solved_reopens_the_order_for_rework_once(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    order = session.get_one(type(estate.order()), job.work_order_id)
    attempt = dial(session, job, NOW)
    record_answers(session, job, attempt, timeliness=4, solved=False, now=NOW + MIN)
    record_answers(session, job, attempt, skill=1, now=NOW + 2 * MIN)
    session.commit()
    assert (order.status, order.rework_count) == (Status.DISPATCHED, 1)
    assert len([t for t in estate.tasks() if t.kind is TaskKind.SUPERVISOR_FOLLOW_UP]) == 1
    assert job.status is JobStatus.CALLING  # the call in progress goes on


def test_answers_of_one_attempt_are_kept_in_one_response(
    session: Session, job: OutboundJob
) -> None:
    attempt = dial(session, job, NOW)
    record_answers(session, job, attempt, timeliness=4, now=NOW + MIN)
    record_answers(session, job, attempt, skill=5, now=NOW + 2 * MIN)
    second = dial(session, job, NOW + 3 * HOUR)
    record_answers(session, job, second, attitude=5, complete=True, now=NOW + 3 * HOUR)
    session.commit()
    rows = session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [(r.attempt_id, r.timeliness, r.skill, r.attitude, r.complete) for r in rows] == [
        (attempt.id, 4, 5, None, False),
        (second.id, None, None, 5, True),
    ]


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_outside_1_to_5_is_refused(session: Session, job: OutboundJob, score: int) -> None:
    with pytest.raises(ValueError):
        record_answers(session, job, dial(session, job, NOW), attitude=score, now=NOW)


def test_each_call_by_a_person_is_a_response_of_its_own(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    first = record_answers(session, job, None, timeliness=5, now=NOW)
    again = record_answers(session, job, None, attitude=1, now=NOW + MIN)
    assert first.id != again.id and (first.attempt_id, again.attempt_id) == (None, None)
    assert (first.timeliness, first.attitude, again.timeliness, again.attitude) == (
        5,
        None,
        None,
        1,
    )
    assert [t.kind for t in estate.tasks()] == [TaskKind.SUPERVISOR_FOLLOW_UP]


def test_answers_for_another_jobs_attempt_are_refused(
    session: Session, estate: PolicyEstate, job: OutboundJob
) -> None:
    [other] = estate.jobs(estate.completed(Category.REPAIR, "lift"))
    with pytest.raises(ValueError):
        record_answers(session, other, dial(session, job, NOW), skill=5, now=NOW)
    with pytest.raises(ValueError):
        after_attempt(session, other, dial(session, job, NOW), Out.BUSY, now=NOW)
