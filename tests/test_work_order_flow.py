"""A work order's life: opening with deadlines, status changes with history, rework."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Agent,
    Call,
    Category,
    ComplaintType,
    Direction,
    Location,
    Severity,
    Status,
    Team,
    Technician,
    Unit,
    WorkOrder,
    WorkOrderChange,
)
from models.demo import build_demo
from models.sla import sla_state
from models.work_order_catalogue import CATALOGUE, find
from models.work_order_flow import (
    InvalidOrder,
    InvalidTransition,
    OrderDetails,
    WrongCommunity,
    allowed_actions,
    close,
    complete,
    dispatch,
    mark_on_site,
    open_work_order,
    overdue_clause,
    reopen,
)
from tests import factories

NOON = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
MIN = dt.timedelta(minutes=1)


class Estate:
    """Two communities, a unit and a team in each, an agent."""

    def __init__(self, session: Session) -> None:
        self.sh01 = factories.community(session, code="SH01")
        self.sh02 = factories.community(session, code="SH02", name="翠湖苑")
        self.unit = factories.unit(session, self.sh01, "3", "1502", "2")
        self.other_unit = factories.unit(session, self.sh02, "1", "101")
        self.plumbers = Team(community_id=self.sh01.id, name="工程部", trade="plumbing")
        self.foreign = Team(community_id=self.sh02.id, name="工程部", trade="plumbing")
        session.add_all([self.plumbers, self.foreign])
        session.flush()
        self.li = Technician(team_id=self.plumbers.id, name="李师傅")
        self.gone = Technician(team_id=self.plumbers.id, name="老周", active=False)
        self.agent = Agent(login="a1", name="王丽", password_hash="x")
        self.other_agent = Agent(login="a2", name="陈晓明", password_hash="x")
        session.add_all([self.li, self.gone, self.agent, self.other_agent])
        session.flush()


@pytest.fixture
def estate(session: Session) -> Estate:
    built = Estate(session)
    session.commit()
    return built


def leak(unit: Unit | None, **changes: object) -> OrderDetails:
    details: dict[str, object] = {
        "category": Category.REPAIR,
        "subcategory": "leak",
        "description": "厨房水管漏水",
        "unit_id": unit.id if unit else None,
    }
    return OrderDetails(**(details | changes))  # type: ignore[arg-type]


def opened(session: Session, estate: Estate, **changes: object) -> WorkOrder:
    order = open_work_order(
        session, estate.sh01, leak(estate.unit, **changes), agent_id=estate.agent.id, now=NOON
    )
    session.commit()
    return order


def history(session: Session, order: WorkOrder) -> list[tuple[object, ...]]:
    changes = session.scalars(
        select(WorkOrderChange)
        .where(WorkOrderChange.work_order_id == order.id)
        .order_by(WorkOrderChange.id)
    )
    return [(c.from_status, c.to_status, c.agent_id, c.at, c.note) for c in changes]


def test_opening_takes_the_ledgers_numbers_without_gaps(session: Session, estate: Estate) -> None:
    first = opened(session, estate)
    second = opened(session, estate)
    assert (first.number, second.number) == ("SH01-2026-000001", "SH01-2026-000002")


def test_opening_sets_owner_deadlines_details_and_the_first_change(
    session: Session, estate: Estate
) -> None:
    window = (NOON + dt.timedelta(days=2), NOON + dt.timedelta(days=2, hours=2))
    order = opened(session, estate, paid=True, appointment_from=window[0], appointment_to=window[1])
    session.expire_all()
    order = session.get_one(WorkOrder, order.id)
    assert order.owner_agent_id == estate.agent.id  # 首问责任制
    assert (order.status, order.paid, order.location) == (Status.OPEN, True, Location.IN_UNIT)
    assert order.dispatch_due_at == NOON + 5 * MIN
    assert order.due_at == window[1]  # the resident's convenient time ends after 24 hours
    assert history(session, order) == [(None, Status.OPEN, estate.agent.id, NOON, "")]


def test_a_complaint_needs_a_severity_and_a_type_and_gets_their_deadlines(
    session: Session, estate: Estate
) -> None:
    bare = OrderDetails(Category.COMPLAINT, "service", "保安态度差")
    with pytest.raises(InvalidOrder) as refused:
        open_work_order(session, estate.sh01, bare, agent_id=estate.agent.id)
    assert refused.value.problems == [("severity", "required"), ("complaint_type", "required")]
    session.rollback()
    order = open_work_order(
        session,
        estate.sh01,
        OrderDetails(
            Category.COMPLAINT,
            "service",
            "保安态度差",
            severity=Severity.IMPORTANT,
            complaint_type=ComplaintType.VALID,
        ),
        agent_id=estate.agent.id,
        now=NOON,
    )
    assert (order.dispatch_due_at, order.due_at) == (NOON + 60 * MIN, NOON + dt.timedelta(days=3))
    assert order.number == "SH01-2026-000001"  # the refused attempt gave its number back


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"subcategory": ""}, ("subcategory", "required")),
        ({"subcategory": "lift_trapped"}, ("subcategory", "unknown")),  # an emergency's
        ({"description": "  "}, ("description", "required")),
        ({"unit_id": None}, ("unit", "required")),
        ({"location": Location.COMMON_AREA, "unit_id": None}, ("location_detail", "required")),
        ({"appointment_from": NOON}, ("appointment", "incomplete")),
        ({"appointment_from": NOON, "appointment_to": NOON}, ("appointment", "order")),
        ({"severity": Severity.MINOR}, ("severity", "complaints_only")),
    ],
)
def test_details_that_break_a_rule_are_refused_with_the_field(
    session: Session, estate: Estate, changes: dict[str, object], problem: tuple[str, str]
) -> None:
    with pytest.raises(InvalidOrder) as refused:
        open_work_order(
            session, estate.sh01, leak(estate.unit, **changes), agent_id=estate.agent.id
        )
    assert refused.value.problems == [problem]


def test_a_common_area_order_needs_no_unit(session: Session, estate: Estate) -> None:
    order = opened(
        session, estate, location=Location.COMMON_AREA, unit_id=None, location_detail="3栋大堂"
    )
    assert (order.unit_id, order.location_detail) == (None, "3栋大堂")


def test_a_unit_or_call_of_another_community_is_refused(session: Session, estate: Estate) -> None:
    with pytest.raises(WrongCommunity):
        open_work_order(session, estate.sh01, leak(estate.other_unit), agent_id=estate.agent.id)
    session.rollback()
    call = Call(
        provider="simulator",
        provider_call_id="CA1",
        direction=Direction.INBOUND,
        community_id=estate.sh02.id,
    )
    session.add(call)
    session.flush()
    with pytest.raises(WrongCommunity):
        open_work_order(
            session, estate.sh01, leak(estate.unit), agent_id=estate.agent.id, call_id=call.id
        )


def test_the_whole_life_is_time_stamped_with_who_did_each_step(
    session: Session, estate: Estate
) -> None:
    order = opened(session, estate)
    a, b = estate.agent.id, estate.other_agent.id
    dispatch(session, order, agent_id=b, technician=estate.li, note="李师傅", now=NOON + 3 * MIN)
    mark_on_site(session, order, agent_id=b, now=NOON + 30 * MIN)
    complete(session, order, agent_id=b, note="换了阀门", now=NOON + 60 * MIN)
    close(session, order, agent_id=a, now=NOON + 90 * MIN)
    session.commit()
    session.expire_all()
    order = session.get_one(WorkOrder, order.id)
    assert (order.team_id, order.technician_id) == (estate.plumbers.id, estate.li.id)
    assert (order.dispatched_at, order.on_site_at, order.completed_at, order.closed_at) == (
        NOON + 3 * MIN,
        NOON + 30 * MIN,
        NOON + 60 * MIN,
        NOON + 90 * MIN,
    )
    assert history(session, order) == [
        (None, Status.OPEN, a, NOON, ""),
        (Status.OPEN, Status.DISPATCHED, b, NOON + 3 * MIN, "李师傅"),
        (Status.DISPATCHED, Status.ON_SITE, b, NOON + 30 * MIN, ""),
        (Status.ON_SITE, Status.COMPLETED, b, NOON + 60 * MIN, "换了阀门"),
        (Status.COMPLETED, Status.CLOSED, a, NOON + 90 * MIN, ""),
    ]
    assert order.owner_agent_id == a  # others did the work; the owner stays
    assert sla_state(order, NOON + dt.timedelta(days=9)).met is True


@pytest.mark.parametrize(
    ("status_steps", "action"),
    [
        ((), "on_site"),
        ((), "close"),
        ((), "reopen"),
        (("dispatch", "on_site"), "dispatch"),
        (("complete",), "complete"),
        (("complete", "close"), "close"),
    ],
)
def test_a_change_the_status_does_not_allow_is_refused_and_nothing_is_written(
    session: Session, estate: Estate, status_steps: tuple[str, ...], action: str
) -> None:
    order = opened(session, estate)
    steps = {
        "dispatch": lambda: dispatch(
            session, order, agent_id=estate.agent.id, team=estate.plumbers
        ),
        "on_site": lambda: mark_on_site(session, order, agent_id=estate.agent.id),
        "complete": lambda: complete(session, order, agent_id=estate.agent.id),
        "close": lambda: close(session, order, agent_id=estate.agent.id),
        "reopen": lambda: reopen(session, order, agent_id=estate.agent.id),
    }
    for step in status_steps:
        steps[step]()
    session.commit()
    before = (order.status, len(history(session, order)))
    assert action not in allowed_actions(order)
    with pytest.raises(InvalidTransition, match=f"is {order.status.value}: cannot"):
        steps[action]()
    assert (order.status, len(history(session, order))) == before


def test_dispatch_to_another_communitys_team_is_refused(session: Session, estate: Estate) -> None:
    order = opened(session, estate)
    with pytest.raises(WrongCommunity):
        dispatch(session, order, agent_id=estate.agent.id, team=estate.foreign)
    assert order.status is Status.OPEN and order.team_id is None


@pytest.mark.parametrize(
    ("who", "problem"),
    [("nobody", ("team", "required")), ("gone", ("technician", "inactive"))],
)
def test_dispatch_needs_a_team_or_an_active_technician(
    session: Session, estate: Estate, who: str, problem: tuple[str, str]
) -> None:
    order = opened(session, estate)
    technician = estate.gone if who == "gone" else None
    with pytest.raises(InvalidOrder) as refused:
        dispatch(session, order, agent_id=estate.agent.id, technician=technician)
    assert refused.value.problems == [problem]


def test_a_dispatched_order_may_be_sent_to_another_technician(
    session: Session, estate: Estate
) -> None:
    order = opened(session, estate)
    dispatch(session, order, agent_id=estate.agent.id, team=estate.plumbers, now=NOON + MIN)
    dispatch(session, order, agent_id=estate.agent.id, technician=estate.li, now=NOON + 9 * MIN)
    assert order.technician_id == estate.li.id
    assert order.dispatched_at == NOON + MIN  # the dispatch deadline was met the first time


def test_reopening_counts_rework_and_starts_the_deadlines_again(
    session: Session, estate: Estate
) -> None:
    order = opened(session, estate)
    dispatch(session, order, agent_id=estate.agent.id, team=estate.plumbers, now=NOON + MIN)
    complete(session, order, agent_id=estate.agent.id, now=NOON + 60 * MIN)
    close(session, order, agent_id=estate.agent.id, now=NOON + 61 * MIN)
    later = NOON + dt.timedelta(days=2)
    reopen(session, order, agent_id=estate.other_agent.id, note="回访仍漏水", now=later)
    session.commit()
    assert (order.status, order.rework_count) == (Status.DISPATCHED, 1)
    assert order.completed_at is None and order.closed_at is None
    assert order.due_at == later + dt.timedelta(hours=24)
    assert history(session, order)[-1] == (
        Status.CLOSED,
        Status.DISPATCHED,
        estate.other_agent.id,
        later,
        "回访仍漏水",
    )
    complete(session, order, agent_id=estate.agent.id, now=later + MIN)
    reopen(session, order, agent_id=estate.agent.id, now=later + 2 * MIN)
    assert order.rework_count == 2


def test_an_order_never_dispatched_reopens_to_open(session: Session, estate: Estate) -> None:
    order = open_work_order(
        session,
        estate.sh01,
        OrderDetails(Category.INQUIRY, "fees", "物业费怎么交"),
        agent_id=estate.agent.id,
        now=NOON,
    )
    complete(session, order, agent_id=estate.agent.id, now=NOON + MIN)
    reopen(session, order, agent_id=estate.agent.id, now=NOON + 2 * MIN)
    assert (order.status, order.rework_count, order.dispatched_at) == (Status.OPEN, 1, None)


def test_the_sql_overdue_filter_agrees_with_sla_state(session: Session, estate: Estate) -> None:
    late_dispatch = opened(session, estate)  # dispatch due NOON+5min
    on_time = opened(session, estate)
    dispatch(session, on_time, agent_id=estate.agent.id, team=estate.plumbers, now=NOON + MIN)
    late_fix = opened(session, estate)
    dispatch(session, late_fix, agent_id=estate.agent.id, team=estate.plumbers, now=NOON + MIN)
    emergency = open_work_order(
        session,
        estate.sh01,
        OrderDetails(Category.EMERGENCY, "burst_pipe", "爆管", unit_id=estate.unit.id),
        agent_id=estate.agent.id,
        now=NOON,
    )
    dispatch(session, emergency, agent_id=estate.agent.id, team=estate.plumbers, now=NOON + MIN)
    mark_on_site(session, emergency, agent_id=estate.agent.id, now=NOON + 8 * MIN)
    session.commit()
    for now, expected in (
        (NOON + 4 * MIN, set()),
        (NOON + 6 * MIN, {late_dispatch.id}),
        (NOON + dt.timedelta(hours=25), {late_dispatch.id, on_time.id, late_fix.id}),
    ):
        found = set(session.scalars(select(WorkOrder.id).where(overdue_clause(now))))
        by_state = {o.id for o in session.scalars(select(WorkOrder)) if sla_state(o, now).overdue}
        assert found == by_state == expected


def test_every_catalogue_entry_has_both_labels_and_unique_codes() -> None:
    for category, entries in CATALOGUE.items():
        codes = [e.code for e in entries]
        assert len(codes) == len(set(codes)) and "other" in codes
        assert all(e.zh and e.en and e.label("zh_CN") == e.zh for e in entries)
        assert find(category, "nope") is None
    assert find(Category.REPAIR, "doors_locks").label("en") == "Doors & locks"  # type: ignore[union-attr]
    assert {"leak", "electrical", "lift", "gas", "doors_locks"} <= {
        e.code for e in CATALOGUE[Category.REPAIR]
    }


def test_the_demo_estate_has_teams_and_technicians_in_each_community(session: Session) -> None:
    build_demo(session)
    session.commit()
    teams = session.scalars(select(Team).order_by(Team.id)).all()
    by_community: dict[int, set[str]] = {}
    for team in teams:
        by_community.setdefault(team.community_id, set()).add(team.trade)
    assert (
        list(by_community.values())
        == [{"plumbing", "electrical", "lifts", "security", "cleaning"}] * 2
    )
    phones = [t.phone for team in teams for t in team.technicians]
    assert len(phones) == len(set(phones)) == 16
    assert all(p and p.startswith("+86139") and len(p) == 14 for p in phones)
