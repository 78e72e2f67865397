"""The on-call ladder with time frozen, on SQLite and PostgreSQL: the dialer calls each rung,
outcomes move it on, acceptance stops it and tells the resident."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dialer.services import Dialer
from ivr.outbound.calls import Purpose
from ivr.outbound.pacing import Pacer
from ivr.outbound.recording import RecordingProvider
from models.db import session_factory
from models.oncall import Escalation, EscalationStatus
from models.outbound import AttemptOutcome, JobPurpose, JobStatus, OutboundAttempt, OutboundJob
from tests.oncall.estate import BACKUP, FIRST, NOW, RESIDENT, SUPERVISOR, emergency, estate


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Ladder:
    """A dialer over the test database, its provider's rings and what it published."""

    def __init__(self, engine: Engine, clock: Clock, name: str = "dialer-a") -> None:
        self.engine, self.clock = engine, clock
        self.provider = RecordingProvider(clock=clock)
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.dialer = self.restart(name)

    def restart(self, name: str) -> Dialer:
        """A new dialer process: nothing kept in memory from the last one."""
        self.dialer = Dialer(
            sessions=session_factory(self.engine),
            provider=self.provider,
            pacer=Pacer(1000.0),
            clock=self.clock,
            name=name,
            publish=lambda topic, payload: self.published.append((topic, payload)),
        )
        return self.dialer

    def round(self) -> list[str]:
        """One dialer round: the numbers it called."""
        return [claim.number for claim in self.dialer.run_once()]

    def answer(self, outcome: AttemptOutcome) -> None:
        """The last call placed ended with ``outcome`` (1 pressed: completed)."""
        ring = self.provider.placed[-1]
        assert self.dialer.finish(ring.call.correlation_id, outcome)

    def topics(self) -> list[str]:
        return [topic for topic, _ in self.published]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _escalation(session: Session, order_id: int) -> Escalation:
    session.expire_all()
    found = session.scalars(select(Escalation).where(Escalation.work_order_id == order_id)).one()
    session.commit()
    return found


def _called(ladder: Ladder) -> list[str]:
    return [ring.call.to for ring in ladder.provider.placed]


def test_given_a_rota_when_an_emergency_is_opened_then_the_first_person_is_called_at_once(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)

    assert ladder.round() == [FIRST]

    ring = ladder.provider.placed[0]
    assert ring.call.purpose is Purpose.ON_CALL
    job = session.scalars(select(OutboundJob).where(OutboundJob.work_order_id == order.id)).one()
    assert (job.purpose, job.status, job.payload["role"]) == (
        JobPurpose.ON_CALL,
        JobStatus.CALLING,
        "first",
    )


def test_accept_on_first_call_stops_the_ladder_and_the_resident_is_told(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)
    ladder.round()
    clock.advance(seconds=40)

    ladder.answer(AttemptOutcome.COMPLETED)

    found = _escalation(session, order.id)
    assert found.status is EscalationStatus.ACCEPTED
    assert (found.accepted_name, found.accepted_technician_id) == ("李师傅", ids["first"])
    assert found.accepted_at == NOW + dt.timedelta(seconds=40)
    assert "oncall.accepted" in ladder.topics()
    # 03:00 in Shanghai, outside calling hours: the resident's notice goes at once all the same.
    assert ladder.round() == [RESIDENT]
    notice = session.scalars(
        select(OutboundJob).where(OutboundJob.purpose == JobPurpose.NOTICE)
    ).one()
    session.commit()
    assert (notice.payload["eta_minutes"], notice.reason) == (10, "oncall/accepted")
    clock.advance(hours=1)
    assert ladder.round() == []
    assert _called(ladder) == [FIRST, RESIDENT]


def test_decline_then_the_backup_accepts(session: Session, engine: Engine, clock: Clock) -> None:
    ids = estate(session, tries=1)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)
    ladder.round()

    ladder.answer(AttemptOutcome.DECLINED)
    assert ladder.round() == [BACKUP]  # the next person at once
    ladder.answer(AttemptOutcome.COMPLETED)

    found = _escalation(session, order.id)
    assert (found.status, found.accepted_name) == (EscalationStatus.ACCEPTED, "张师傅")
    assert found.accepted_technician_id == ids["backup"]
    assert _called(ladder) == [FIRST, BACKUP]


def test_decline_then_accept_by_the_same_person_after_the_interval(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session, tries=2, retry=90)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)
    ladder.round()

    ladder.answer(AttemptOutcome.DECLINED)
    clock.advance(seconds=89)
    assert ladder.round() == []  # not before the interval
    clock.advance(seconds=1)
    assert ladder.round() == [FIRST]
    ladder.answer(AttemptOutcome.COMPLETED)

    assert _escalation(session, order.id).accepted_name == "李师傅"


@pytest.mark.parametrize("outcome", [AttemptOutcome.NO_ANSWER, AttemptOutcome.MACHINE])
def test_no_answer_n_times_then_the_next_person(
    session: Session, engine: Engine, clock: Clock, outcome: AttemptOutcome
) -> None:
    ids = estate(session, tries=3, retry=60)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)

    for n in range(3):
        assert ladder.round() == [FIRST]
        ladder.answer(outcome)
        if n < 2:
            clock.advance(seconds=30)
            assert ladder.round() == []  # the interval is kept
            clock.advance(seconds=30)
    assert ladder.round() == [BACKUP]  # tries used up: the backup at once
    assert _called(ladder) == [FIRST, FIRST, FIRST, BACKUP]
    found = _escalation(session, order.id)
    assert (found.status, found.rung) == (EscalationStatus.CALLING, 1)


def test_everyone_fails_then_the_supervisor_then_exhausted(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session, tries=2, retry=60)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)

    for _ in range(6):
        called = ladder.round()
        assert len(called) == 1
        ladder.answer(AttemptOutcome.NO_ANSWER)
        clock.advance(seconds=60)

    assert _called(ladder) == [FIRST, FIRST, BACKUP, BACKUP, SUPERVISOR, SUPERVISOR]
    found = _escalation(session, order.id)
    assert found.status is EscalationStatus.EXHAUSTED
    assert "oncall.exhausted" in ladder.topics()
    clock.advance(hours=1)
    assert ladder.round() == []
    jobs = session.scalars(select(OutboundJob).order_by(OutboundJob.id)).all()
    assert [j.status for j in jobs] == [JobStatus.EXHAUSTED] * 3


def test_a_dialer_restart_mid_ladder_neither_restarts_nor_loses_it(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session, tries=2, retry=60)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)
    ladder.round()
    ladder.answer(AttemptOutcome.NO_ANSWER)
    clock.advance(seconds=60)
    assert ladder.round() == [FIRST]  # the second try: then the dialer dies mid-call

    ladder.restart("dialer-b")
    clock.advance(seconds=ladder.dialer.call_seconds + 1)  # its claim lapses: swept
    assert ladder.round() == [BACKUP]  # the sweep ended the lost try: on to the backup

    attempts = session.scalars(select(OutboundAttempt).order_by(OutboundAttempt.id)).all()
    assert [(a.seq, a.outcome, a.dialer) for a in attempts] == [
        (1, AttemptOutcome.NO_ANSWER, "dialer-a"),
        (2, AttemptOutcome.FAILED, "dialer-a"),
        (1, AttemptOutcome.PLACED, "dialer-b"),
    ]
    assert _escalation(session, order.id).rung == 1
    assert _called(ladder) == [FIRST, FIRST, BACKUP]


def test_no_rota_for_the_trade_then_exhausted_at_once(
    session: Session, engine: Engine, clock: Clock
) -> None:
    ids = estate(session)
    order = emergency(session, ids, subcategory="lift_trapped")  # lifts: no rota here

    found = _escalation(session, order.id)
    assert (found.trade, found.status, found.ladder) == ("lifts", EscalationStatus.EXHAUSTED, [])
    assert Ladder(engine, clock).round() == []


def test_a_repair_order_is_not_escalated(session: Session, engine: Engine) -> None:
    from models import Community
    from models.work_order_flow import OrderDetails, open_work_order
    from models.work_orders import Category

    ids = estate(session)
    details = OrderDetails(Category.REPAIR, "leak", "漏水", unit_id=ids["unit"])
    community = session.get_one(Community, ids["community"])
    open_work_order(session, community, details, agent_id=ids["agent"], now=NOW)
    session.commit()

    assert session.scalars(select(Escalation)).all() == []


def test_staff_on_site_stop_the_ladder_and_a_call_in_progress_calls_no_one_after(
    session: Session, engine: Engine, clock: Clock
) -> None:
    from models.work_order_flow import dispatch, mark_on_site
    from models.work_orders import Team, WorkOrder

    ids = estate(session, tries=1)
    order = emergency(session, ids)
    ladder = Ladder(engine, clock)
    assert ladder.round() == [FIRST]  # ringing while the agent sends someone by hand

    found = session.get_one(WorkOrder, order.id)
    team = session.scalars(select(Team)).one()
    dispatch(session, found, agent_id=ids["agent"], team=team, now=NOW)
    assert _escalation(session, order.id).status is EscalationStatus.CALLING  # not yet there
    found = session.get_one(WorkOrder, order.id)
    mark_on_site(session, found, agent_id=ids["agent"], now=NOW + dt.timedelta(minutes=8))
    session.commit()

    assert _escalation(session, order.id).status is EscalationStatus.CANCELLED
    ladder.answer(AttemptOutcome.NO_ANSWER)
    clock.advance(hours=1)
    assert ladder.round() == []  # the backup is never called
    assert _called(ladder) == [FIRST]
