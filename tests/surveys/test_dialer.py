"""The dialer in one process, on SQLite and PostgreSQL: claims, providers' answers, the sweep."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from ivr.dialer.claims import attempt_id_of, in_progress
from ivr.dialer.services import ANSWER_PATH, STATUS_PATH, Dialer
from ivr.outbound.calls import MachineDetection, OutboundCall, PlacedCall, Provider, Purpose
from ivr.outbound.pacing import Pacer
from ivr.outbound.recording import RecordingProvider
from models.db import session_factory
from models.outbound import (
    AttemptOutcome,
    Campaign,
    CampaignStatus,
    FollowUpTask,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
)
from tests import factories
from tests.surveys.dialing import NOW, Refusing, add_jobs, community


class Clock:
    """A settable clock for the dialer and the policy."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_dialer(engine: Engine, clock: Clock) -> Callable[..., Dialer]:
    def build(provider: Provider | None = None, **kw: object) -> Dialer:
        values: dict[str, object] = {
            "sessions": session_factory(engine),
            "provider": provider or RecordingProvider(),
            "pacer": Pacer(1000.0),
            "clock": clock,
            "name": "dialer-a",
        }
        return Dialer(**(values | kw))  # type: ignore[arg-type]

    return build


def _job(session: Session, job_id: int) -> OutboundJob:
    """The job as committed; the test's transaction ends (SQLite: the write lock goes)."""
    session.expunge_all()  # earlier rows stay as read, detached
    job = session.get_one(OutboundJob, job_id)
    session.commit()
    return job


def _attempts(session: Session, job_id: int) -> list[OutboundAttempt]:
    session.expunge_all()  # earlier rows stay as read, detached
    rows = list(
        session.scalars(
            select(OutboundAttempt)
            .where(OutboundAttempt.job_id == job_id)
            .order_by(OutboundAttempt.seq)
        )
    )
    session.commit()
    return rows


def test_a_due_survey_is_claimed_committed_and_placed_once_with_its_attempt(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    [job_id] = add_jobs(session, community(session), 1)
    rings = RecordingProvider()
    dialer = make_dialer(rings, claim_seconds=60, call_seconds=900)

    [claimed] = dialer.run_once()

    [ring] = rings.placed
    [attempt] = _attempts(session, job_id)
    call = ring.call
    assert (call.to, call.purpose, call.answer_path, call.status_path) == (
        "+8613800000000", Purpose.SURVEY, ANSWER_PATH, STATUS_PATH
    )  # fmt: skip
    assert call.correlation_id == f"attempt-{attempt.id}" == claimed.correlation_id
    assert call.machine_detection is MachineDetection.ENABLE
    assert (attempt.seq, attempt.dialer, attempt.outcome) == (1, "dialer-a", AttemptOutcome.PLACED)
    assert (attempt.provider_call_id, attempt.placed_at) == (ring.provider_call_id, NOW)
    job = _job(session, job_id)
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.CALLING, 1, "dialer-a")
    assert job.claimed_until == NOW + dt.timedelta(seconds=900)  # held for the call
    assert dialer.run_once() == [] and len(rings.placed) == 1
    assert make_dialer(rings, name="dialer-b").run_once() == []


def test_jobs_not_due_or_of_a_campaign_not_running_are_left_alone(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    place = community(session)
    later = add_jobs(session, place, 1, now=NOW + dt.timedelta(hours=2))
    paused = Campaign(community_id=place.id, purpose=JobPurpose.NOTICE, name="停水通知")
    running = Campaign(
        community_id=place.id,
        purpose=JobPurpose.NOTICE,
        name="停电通知",
        status=CampaignStatus.RUNNING,
    )
    session.add_all([paused, running])
    session.commit()
    add_jobs(session, place, 2, campaign_id=paused.id, purpose=JobPurpose.NOTICE)
    [notice] = add_jobs(session, place, 1, campaign_id=running.id, purpose=JobPurpose.NOTICE)
    rings = RecordingProvider()

    claimed = make_dialer(rings).run_once()

    assert [c.job_id for c in claimed] == [notice]
    assert [r.call.purpose for r in rings.placed] == [Purpose.NOTICE]
    assert _job(session, later[0]).status is JobStatus.SCHEDULED


def test_outside_calling_hours_the_job_waits_for_the_next_opening(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC)  # 21:00 in Shanghai
    [job_id] = add_jobs(session, community(session), 1, now=clock.now)
    rings = RecordingProvider()

    assert make_dialer(rings).run_once() == []

    job = _job(session, job_id)
    opens = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)  # 09:00 the next morning
    assert (job.status, job.next_attempt_at, job.attempts) == (JobStatus.SCHEDULED, opens, 0)
    assert rings.placed == []
    clock.now = opens
    assert len(make_dialer(rings).run_once()) == 1


def test_a_resident_who_may_not_be_called_is_never_called(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    place = community(session)
    refuses = factories.resident(session, "李四", do_not_call=True)
    opted_out = factories.resident(session, "王五", survey_opt_out=True)
    session.commit()
    [dnc] = add_jobs(session, place, 1, resident=refuses, purpose=JobPurpose.FEE_REMINDER)
    [survey] = add_jobs(session, place, 1, resident=opted_out)
    [care] = add_jobs(session, place, 1, resident=opted_out, purpose=JobPurpose.SENIOR_CARE)
    rings = RecordingProvider()

    claimed = make_dialer(rings).run_once()

    assert [c.job_id for c in claimed] == [care]  # the survey opt-out stops surveys only
    assert _job(session, dnc).status is JobStatus.OPTED_OUT
    assert _job(session, survey).status is JobStatus.OPTED_OUT
    assert _attempts(session, dnc) == [] and _attempts(session, survey) == []


def test_calls_in_progress_are_bounded_across_dialers(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    add_jobs(session, community(session), 5)
    rings = RecordingProvider()
    first = make_dialer(rings, max_calls=3)

    assert len(first.run_once()) == 3
    assert make_dialer(rings, name="dialer-b", max_calls=3).run_once() == []
    ended = attempt_id_of(rings.placed[0].call.correlation_id)
    assert ended is not None and first.finish(f"attempt-{ended}", AttemptOutcome.NO_ANSWER)

    assert len(make_dialer(rings, name="dialer-b", max_calls=3).run_once()) == 1
    assert in_progress(session) == 3 and len(rings.placed) == 4


def test_a_refused_call_ends_its_attempt_failed_and_the_policy_retries_later(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    [job_id] = add_jobs(session, community(session), 1)
    refusing = Refusing()

    make_dialer(refusing).run_once()

    [attempt] = _attempts(session, job_id)
    job = _job(session, job_id)
    assert attempt.outcome is AttemptOutcome.FAILED and attempt.ended_at == NOW
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.SCHEDULED, 1, None)
    assert job.next_attempt_at > NOW
    assert make_dialer(refusing).run_once() == [] and len(refusing.calls) == 1


def test_when_the_provider_is_down_the_round_stops_and_unasked_claims_are_released(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    ids = add_jobs(session, community(session), 3)
    down = Refusing(down=True)
    dialer = make_dialer(down, retry_seconds=60)

    assert len(dialer.run_once()) == 3

    assert len(down.calls) == 1  # the first one failed: the other two were never asked
    first = attempt_id_of(down.calls[0].correlation_id)
    [tried] = [j for j in ids if _attempts(session, j)]
    assert [a.id for a in _attempts(session, tried)] == [first]
    assert _attempts(session, tried)[0].outcome is AttemptOutcome.FAILED  # maybe placed
    for other in set(ids) - {tried}:
        job = _job(session, other)
        assert (job.status, job.attempts, _attempts(session, other)) == (
            JobStatus.SCHEDULED, 0, []
        )  # fmt: skip
        assert job.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert dialer.run_once() == []  # resting
    clock.advance(seconds=61)
    assert len(dialer.run_once()) == 2


def test_a_claim_whose_dialer_died_before_recording_is_failed_and_never_placed_again(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock, engine: Engine
) -> None:
    from ivr.dialer.claims import claim

    [job_id] = add_jobs(session, community(session), 1)
    with session_factory(engine)() as other:  # a dialer that claimed, then died
        [lost] = claim(other, "dead", now=NOW, max_calls=10, batch=5, lease=60)
    rings = RecordingProvider()
    alive = make_dialer(rings)

    assert alive.run_once() == []  # the claim still holds
    clock.advance(seconds=61)
    assert alive.run_once() == []  # swept: the next attempt comes after the spacing

    [attempt] = _attempts(session, job_id)
    job = _job(session, job_id)
    assert (attempt.id, attempt.outcome, attempt.provider_call_id) == (
        lost.attempt_id, AttemptOutcome.FAILED, None
    )  # fmt: skip
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.SCHEDULED, 1, None)
    assert rings.placed == []
    clock.now = job.next_attempt_at
    [second] = alive.run_once()
    assert second.seq == 2 and [r.call.correlation_id for r in rings.placed] == [
        f"attempt-{second.attempt_id}"
    ]


def test_the_sweep_ends_every_lapsed_claim_not_only_one_batch(
    session: Session,
    engine: Engine,
    make_dialer: Callable[..., Dialer],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ivr.dialer import services
    from ivr.dialer.claims import claim

    monkeypatch.setattr(services, "SWEEP_BATCH", 3)
    ids = add_jobs(session, community(session), 7)
    with session_factory(engine)() as other:  # dialers that claimed a whole round, then died
        assert len(claim(other, "dead", now=NOW, max_calls=10, batch=7, lease=60)) == 7
    clock.advance(seconds=61)

    assert sorted(make_dialer().sweep()) == sorted(ids)
    assert {_job(session, job_id).status for job_id in ids} == {JobStatus.SCHEDULED}


def test_a_placed_call_whose_outcome_never_came_is_given_up_after_the_call_lease(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    [job_id] = add_jobs(session, community(session), 1)
    job = _job(session, job_id)
    job.max_attempts = 1
    session.commit()
    dialer = make_dialer(call_seconds=600)
    dialer.run_once()

    clock.advance(seconds=599)
    assert dialer.sweep() == []
    clock.advance(seconds=2)
    assert dialer.sweep() == [job_id]

    [attempt] = _attempts(session, job_id)
    assert attempt.outcome is AttemptOutcome.FAILED and attempt.provider_call_id
    assert _job(session, job_id).status is JobStatus.MANUAL  # the last attempt: a person calls
    tasks = session.scalar(select(func.count()).where(FollowUpTask.job_id == job_id))
    assert tasks == 1


def test_finish_hands_a_late_outcome_to_the_policy_once(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    [job_id] = add_jobs(session, community(session), 1)
    dialer = make_dialer()
    [claimed] = dialer.run_once()

    assert dialer.finish(claimed.correlation_id, AttemptOutcome.BUSY)
    assert not dialer.finish(claimed.correlation_id, AttemptOutcome.NO_ANSWER)
    assert not dialer.finish("callback-3-1", AttemptOutcome.BUSY)

    [attempt] = _attempts(session, job_id)
    assert attempt.outcome is AttemptOutcome.BUSY
    assert _job(session, job_id).status is JobStatus.SCHEDULED


class EndsAtOnce:
    """A provider whose "busy" report (Asterisk's ``OriginateResponse``) comes on its own
    thread while the dialer is still writing down that the call was placed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialer: Dialer | None = None
        self.reports: list[bool] = []
        self.thread: threading.Thread | None = None
        self.placing = threading.Event()

    def place(self, call: OutboundCall) -> PlacedCall:
        assert self.dialer is not None
        dialer, placing = self.dialer, self.placing

        def report() -> None:
            placing.wait(5)  # the dialer's first write is made and its transaction open
            self.reports.append(dialer.finish(call.correlation_id, AttemptOutcome.BUSY))

        def first_write(conn: object, cursor: object, statement: str, *args: object) -> None:
            if statement.lstrip().upper().startswith("UPDATE") and not placing.is_set():
                placing.set()
                time.sleep(0.5)  # the report's transaction starts meanwhile

        event.listen(self.engine, "after_cursor_execute", first_write)
        self.thread = threading.Thread(target=report)
        self.thread.start()
        return PlacedCall(provider_call_id="hotline-race", status="queued")


def test_an_outcome_reported_while_the_placing_is_written_down_is_kept(
    session: Session, engine: Engine, make_dialer: Callable[..., Dialer]
) -> None:
    """Both write the job and its attempt, each locking the job first: no deadlock, the
    outcome and the provider's id both kept (a deadlock lost the outcome on PostgreSQL)."""
    [job_id] = add_jobs(session, community(session), 1)
    session.commit()
    provider = EndsAtOnce(engine)
    dialer = provider.dialer = make_dialer(provider)

    dialer.run_once()
    assert provider.thread is not None
    provider.thread.join(10)

    assert provider.reports == [True]
    [attempt] = _attempts(session, job_id)
    assert (attempt.outcome, attempt.provider_call_id) == (AttemptOutcome.BUSY, "hotline-race")
    assert _job(session, job_id).status is JobStatus.SCHEDULED


def test_the_pacer_spaces_the_calls_of_a_round(
    session: Session, make_dialer: Callable[..., Dialer]
) -> None:
    add_jobs(session, community(session), 4)
    waits: list[float] = []
    ticks = iter(range(1000))
    pacer = Pacer(2.0, clock=lambda: float(next(ticks)) * 0.0, sleep=waits.append)
    dialer = make_dialer(pacer=pacer)

    assert dialer.batch == 2  # one second of the rate per round
    assert len(dialer.run_once()) == 2
    assert waits == [0.5]  # the second call waited half a second


def test_the_sweep_hands_a_survey_never_called_by_its_deadline_to_a_person(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    [job_id] = add_jobs(session, community(session), 1)
    dialer = make_dialer(RecordingProvider())
    clock.advance(days=3)  # the dialer was down past the survey's deadline

    dialer.sweep()

    job = _job(session, job_id)
    assert (job.status, job.attempts) == (JobStatus.MANUAL, 0)
    tasks = session.scalars(select(FollowUpTask).where(FollowUpTask.job_id == job_id)).all()
    assert [t.kind.value for t in tasks] == ["manual_callback"]
    session.commit()
    assert dialer.run_once() == []  # and the dialer does not call it any more


def test_a_running_campaign_with_nothing_left_to_call_is_finished_by_the_sweep(
    session: Session, make_dialer: Callable[..., Dialer], clock: Clock
) -> None:
    place = community(session)
    done, busy = (
        Campaign(
            community_id=place.id,
            purpose=JobPurpose.NOTICE,
            name=name,
            status=CampaignStatus.RUNNING,
        )
        for name in ("停水通知", "停电通知")
    )
    session.add_all([done, busy])
    session.commit()
    [finished] = add_jobs(session, place, 1, campaign_id=done.id, purpose=JobPurpose.NOTICE)
    add_jobs(session, place, 1, campaign_id=busy.id, purpose=JobPurpose.NOTICE)
    _job(session, finished).status = JobStatus.COMPLETED
    session.commit()

    make_dialer(RecordingProvider()).sweep()

    session.expire_all()
    assert session.get_one(Campaign, done.id).status is CampaignStatus.FINISHED
    assert session.get_one(Campaign, done.id).finished_at == NOW
    assert session.get_one(Campaign, busy.id).status is CampaignStatus.RUNNING
