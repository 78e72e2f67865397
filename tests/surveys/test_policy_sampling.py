"""Home services' monthly sample: the thresholds (99/100/300/301 households), a seeded and
idempotent draw, the households always called, the community's local month."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from ivr.outbound.recording import RecordingProvider
from models import (
    Building,
    Category,
    JobPurpose,
    JobStatus,
    OutboundJob,
    Status,
    SurveyResponse,
    Technician,
    Unit,
    WorkOrder,
)
from models.db import session_factory
from models.survey_policy import SurveySettings, sample_home_services
from models.survey_sampling import month_bounds
from tests.surveys.policy_estate import DAY, NOW, PolicyEstate

NOVEMBER = dt.date(2026, 11, 1)
MID_NOVEMBER = dt.datetime(2026, 11, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture
def estate(session: Session) -> PolicyEstate:
    built = PolicyEstate(session)
    session.commit()
    return built


class Served:
    """Home-service orders written straight into the ledger, one per new unit."""

    def __init__(self, session: Session, estate: PolicyEstate) -> None:
        self.session, self.estate, self.seq = session, estate, 1000
        self.building = Building(community_id=estate.sh01.id, name="S")
        session.add(self.building)
        session.flush()

    def households(
        self, count: int, *, at: dt.datetime = MID_NOVEMBER, **columns: object
    ) -> list[WorkOrder]:
        units = [Unit(building_id=self.building.id, room=f"{self.seq + i}") for i in range(count)]
        self.session.add_all(units)
        self.session.flush()
        return [self.order(u.id, at=at, **columns) for u in units]

    def order(
        self, unit_id: int, *, at: dt.datetime = MID_NOVEMBER, **columns: object
    ) -> WorkOrder:
        self.seq += 1
        values: dict[str, object] = {
            "number": f"SH01-2026-{self.seq:06d}",
            "community_id": self.estate.sh01.id,
            "year": 2026,
            "seq": self.seq,
            "category": Category.HOME_SERVICE,
            "subcategory": "housekeeping",
            "unit_id": unit_id,
            "status": Status.COMPLETED,
            "technician_id": self.estate.tech.id,
            "created_at": at - DAY,
            "completed_at": at,
        }
        order = WorkOrder(**(values | columns))
        self.session.add(order)
        self.session.flush()
        return order


@pytest.fixture
def served(session: Session, estate: PolicyEstate) -> Served:
    return Served(session, estate)


@pytest.mark.parametrize(
    ("households", "expected"),
    [(0, 0), (1, 1), (10, 3), (99, 30), (100, 20), (299, 60), (300, 60), (301, 31), (1000, 100)],
)
def test_sample_size_by_household_count(households: int, expected: int) -> None:
    assert SurveySettings().sample_size(households) == expected


@pytest.mark.parametrize(("households", "expected"), [(99, 30), (100, 20), (300, 60), (301, 31)])
def test_the_sample_at_each_threshold(
    session: Session, served: Served, estate: PolicyEstate, households: int, expected: int
) -> None:
    orders = served.households(households)
    jobs = sample_home_services(session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(7))
    session.commit()
    assert len(jobs) == expected
    assert {j.reason for j in jobs} == {"home_sample"}
    assert len({j.unit_id for j in jobs}) == expected
    assert {j.work_order_id for j in jobs} <= {o.id for o in orders}
    assert session.scalar(select(func.count(OutboundJob.id))) == expected


def test_one_seed_draws_the_same_households(
    session: Session, served: Served, estate: PolicyEstate
) -> None:
    served.households(100)
    session.commit()

    def draw(seed: int) -> list[int | None]:
        jobs = sample_home_services(
            session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(seed)
        )
        picked = [j.work_order_id for j in jobs]
        session.rollback()
        return picked

    first = draw(7)
    assert draw(7) == first
    assert draw(8) != first


def test_sampling_a_month_twice_changes_nothing(
    session: Session, served: Served, estate: PolicyEstate
) -> None:
    served.households(50)
    first = sample_home_services(session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(1))
    session.commit()
    again = sample_home_services(
        session, estate.sh01, NOVEMBER, now=NOW + DAY, rng=random.Random(2)
    )
    assert [j.id for j in again] == [j.id for j in first] and len(first) == 15
    assert session.scalar(select(func.count(OutboundJob.id))) == 15


def test_the_always_call_households_come_on_top_of_the_sample(
    session: Session, served: Served, estate: PolicyEstate
) -> None:
    team = estate.team.id
    newcomer = Technician(team_id=team, name="新人", started_on=dt.date(2026, 10, 1))
    blamed = Technician(team_id=team, name="被投诉", started_on=dt.date(2019, 1, 1))
    scored = Technician(team_id=team, name="差评", started_on=dt.date(2019, 1, 1))
    forgiven = Technician(team_id=team, name="旧投诉", started_on=dt.date(2019, 1, 1))
    session.add_all([newcomer, blamed, scored, forgiven])
    session.flush()
    cases = {
        "new_agreement": served.households(1, new_agreement=True)[0],
        "new_service_item": served.households(1, new_service_item=True)[0],
        "new_staff": served.households(1, technician_id=newcomer.id)[0],
        "complained_staff": served.households(1, technician_id=blamed.id)[0],
        "bad_survey": served.households(1, technician_id=scored.id)[0],
    }
    served.households(1, technician_id=forgiven.id)  # complained about too long ago
    served.households(4)
    complaint = dict(category=Category.COMPLAINT, subcategory="service", unit_id=estate.unit.id)
    served.order(at=MID_NOVEMBER - 10 * DAY, technician_id=blamed.id, **complaint)  # type: ignore[arg-type]
    served.order(at=MID_NOVEMBER - 100 * DAY, technician_id=forgiven.id, **complaint)  # type: ignore[arg-type]
    session.add(
        SurveyResponse(
            job_id=_any_job(session, estate),
            technician_id=scored.id,
            attitude=2,
            answered_at=MID_NOVEMBER - 5 * DAY,
        )
    )
    session.flush()

    jobs = sample_home_services(session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(3))
    always = {j.work_order_id: j.payload["always"] for j in jobs if j.reason == "home_always"}
    assert always == {
        cases["new_agreement"].id: ["new_agreement"],
        cases["new_service_item"].id: ["new_service_item"],
        cases["new_staff"].id: ["new_staff"],
        cases["complained_staff"].id: ["complained_staff"],
        cases["bad_survey"].id: ["complained_staff"],
    }
    sampled = [j for j in jobs if j.reason == "home_sample"]
    assert len(sampled) == 3  # 30% of 10 households, drawn from the 5 without a case
    assert not {j.work_order_id for j in sampled} & set(always)


def _any_job(session: Session, estate: PolicyEstate) -> int:
    """A survey job to hang an earlier answer on (a repair of the estate's unit)."""
    [job] = estate.jobs(estate.completed(Category.REPAIR, "plumbing", at=MID_NOVEMBER - 6 * DAY))
    return job.id


def test_the_month_is_the_communitys_local_month(
    session: Session, served: Served, estate: PolicyEstate
) -> None:
    start, end = month_bounds(estate.sh01, NOVEMBER)
    assert (start, end) == (
        dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC),
    )
    [first_night] = served.households(1, at=start + dt.timedelta(minutes=30))
    served.households(1, at=end + dt.timedelta(minutes=30))  # 1 December, local
    served.households(1, at=start - dt.timedelta(minutes=30))  # 31 October, local
    jobs = sample_home_services(session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(1))
    assert [j.work_order_id for j in jobs] == [first_night.id]


def test_a_household_served_twice_is_one_household_asked_about_its_latest_order(
    session: Session, served: Served, estate: PolicyEstate
) -> None:
    [early] = served.households(1, at=MID_NOVEMBER - 5 * DAY)
    late = served.order(early.unit_id or 0, at=MID_NOVEMBER)
    jobs = sample_home_services(session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(1))
    assert [j.work_order_id for j in jobs] == [late.id]


def test_a_sampled_survey_is_due_within_a_week_inside_calling_hours(
    session: Session, estate: PolicyEstate
) -> None:
    estate.completed(Category.HOME_SERVICE, "housekeeping", at=MID_NOVEMBER)
    late_evening = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC)  # 21:00 in Shanghai
    [job] = sample_home_services(
        session, estate.sh01, NOVEMBER, now=late_evening, rng=random.Random(1)
    )
    assert (job.status, job.number, job.payload["month"]) == (
        JobStatus.SCHEDULED,
        "+8613900000001",
        "2026-11",
    )
    assert job.due_by == late_evening + 7 * DAY
    assert job.next_attempt_at == dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)  # 09:00


@pytest.mark.parametrize(
    ("started", "new"), [(dt.date(2026, 8, 18), True), (dt.date(2026, 8, 17), False)]
)
def test_new_staff_means_fewer_than_90_local_days_before_the_service(
    session: Session, served: Served, estate: PolicyEstate, started: dt.date, new: bool
) -> None:
    tech = Technician(team_id=estate.team.id, name="新人", started_on=started)
    session.add(tech)
    session.flush()
    just_after_midnight = dt.datetime(2026, 11, 14, 16, 30, tzinfo=dt.UTC)  # 15 Nov, 00:30
    [order] = served.households(1, at=just_after_midnight, technician_id=tech.id)
    settings = SurveySettings(sample_tiers=((0, 0),))  # no random sample: only the cases
    jobs = sample_home_services(
        session, estate.sh01, NOVEMBER, now=NOW, rng=random.Random(1), settings=settings
    )
    assert [(j.work_order_id, j.payload["always"]) for j in jobs] == (
        [(order.id, ["new_staff"])] if new else []
    )


def test_the_dialer_samples_last_month_once_in_its_daily_sweep(
    session: Session, engine: Engine, served: Served
) -> None:
    served.households(10)  # 10 households in November: 30%, 3 surveys
    session.commit()
    clock = [NOW]  # 2 December
    dialer = Dialer(
        sessions=session_factory(engine),
        provider=RecordingProvider(),
        pacer=Pacer(1000.0),
        clock=lambda: clock[0],
    )

    dialer.sweep()
    clock[0] += dt.timedelta(days=1)
    dialer.sweep()  # the next day: November again, nothing new

    session.expire_all()
    jobs = session.scalars(select(OutboundJob).where(OutboundJob.purpose == JobPurpose.SURVEY))
    assert sorted(j.payload["month"] for j in jobs) == ["2026-11"] * 3
