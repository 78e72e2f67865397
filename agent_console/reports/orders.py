"""Work-order figures for reports: open and overdue orders, requests, the centre's targets.

Every figure is one SQL query grouped in the database. Orders count in the period
they were *received* (``created_at`` in the community's calendar), except the
callback rate, which counts orders *completed* in the period. A reopened order keeps
one row: its current completion time and its deadlines, restarted at the reopening
(:func:`models.work_order_flow.reopen`), and ``rework_count``, the times it was reopened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from agent_console.reports.periods import Periods, Window, labelled, seconds_between, within
from models.estate import Building, Unit
from models.outbound import FollowUpTask, SurveyResponse, TaskStatus
from models.work_order_flow import ACTIVE, overdue_clause
from models.work_orders import Category, WorkOrder, WorkOrderChange

REPEAT_WITHIN = dt.timedelta(days=30)  # a complaint again within this: a repeat (返投诉)
FIRST_RESPONSE = dt.timedelta(hours=24)  # every complaint handled within 24 hours
REPAIRS = (Category.REPAIR, Category.EMERGENCY)
CALLED_BACK = (Category.REPAIR, Category.EMERGENCY, Category.COMPLAINT)  # rate target 100%


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def open_counts(
    session: Session, community_ids: Sequence[int], now: dt.datetime
) -> list[tuple[int, str, int, int]]:
    """Per (community, category): orders open, dispatched or on site at ``now``, and of those
    the overdue ones (:func:`models.work_order_flow.overdue_clause`, as the work-order pages)."""
    rows = session.execute(
        select(WorkOrder.community_id, WorkOrder.category, func.count(), _sum(overdue_clause(now)))
        .where(WorkOrder.community_id.in_(community_ids), WorkOrder.status.in_(ACTIVE))
        .group_by(WorkOrder.community_id, WorkOrder.category)
        .order_by(WorkOrder.community_id, WorkOrder.category)
    )
    return [(c, str(cat), n, late) for c, cat, n, late in rows]


@dataclasses.dataclass(frozen=True)
class Complaint:
    """A complaint received, as the morning review lists it."""

    id: int
    number: str
    community_id: int
    created_at: dt.datetime
    subcategory: str
    severity: str
    complaint_type: str
    status: str
    due_at: dt.datetime | None


def complaints_received(session: Session, windows: Sequence[Window]) -> list[Complaint]:
    rows = session.scalars(
        select(WorkOrder)
        .where(
            WorkOrder.category == Category.COMPLAINT,
            within(WorkOrder.community_id, WorkOrder.created_at, windows),
        )
        .order_by(WorkOrder.created_at, WorkOrder.id)
    )
    return [
        Complaint(
            o.id,
            o.number,
            o.community_id,
            o.created_at,
            o.subcategory,
            str(o.severity or ""),
            str(o.complaint_type or ""),
            str(o.status),
            o.due_at,
        )
        for o in rows
    ]


def requests(session: Session, windows: Sequence[Window]) -> list[tuple[int, str, str, int]]:
    """Orders received per (community, category, sub-category)."""
    rows = session.execute(
        select(WorkOrder.community_id, WorkOrder.category, WorkOrder.subcategory, func.count())
        .where(within(WorkOrder.community_id, WorkOrder.created_at, windows))
        .group_by(WorkOrder.community_id, WorkOrder.category, WorkOrder.subcategory)
        .order_by(WorkOrder.community_id, WorkOrder.category, WorkOrder.subcategory)
    )
    return [(c, str(cat), sub, n) for c, cat, sub, n in rows]


def requests_by_building(session: Session, windows: Sequence[Window]) -> list[tuple[int, str, int]]:
    """Orders received per (community, building); ``""`` for orders of no unit."""
    name = func.coalesce(Building.name, "")
    rows = session.execute(
        select(WorkOrder.community_id, name, func.count())
        .outerjoin(Unit, Unit.id == WorkOrder.unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .where(within(WorkOrder.community_id, WorkOrder.created_at, windows))
        .group_by(WorkOrder.community_id, name)
        .order_by(WorkOrder.community_id, name)
    )
    return [(c, b, n) for c, b, n in rows]


@dataclasses.dataclass(frozen=True)
class OnTime:
    """Orders against their deadline: met, missed (late or unfinished past it), still running."""

    received: int
    on_time: int
    late: int
    pending: int

    @property
    def rate(self) -> float | None:
        counted = self.on_time + self.late
        return self.on_time / counted if counted else None


def _on_time(finished: Any, now: dt.datetime) -> tuple[Any, Any, Any]:
    met = and_(finished.is_not(None), finished <= WorkOrder.due_at)
    late = or_(
        and_(finished.is_not(None), finished > WorkOrder.due_at),
        and_(finished.is_(None), WorkOrder.due_at < now),
    )
    pending = and_(finished.is_(None), WorkOrder.due_at >= now)
    return _sum(met), _sum(late), _sum(pending)


@dataclasses.dataclass(frozen=True)
class Complaints:
    """Complaints received in the period: on time, handled within 24 h, repeats."""

    deadline: OnTime
    handled_24h: int
    counted_24h: int  # received more than 24 h ago, or already handled
    repeats: int

    @property
    def within_24h_rate(self) -> float | None:
        return self.handled_24h / self.counted_24h if self.counted_24h else None

    @property
    def repeat_rate(self) -> float | None:
        n = self.deadline.received
        return self.repeats / n if n else None


def complaints(session: Session, windows: Sequence[Window], now: dt.datetime) -> Complaints:
    return complaints_by_period(session, {"": windows}, now)[""]


def complaints_by_period(
    session: Session, periods: Periods, now: dt.datetime
) -> dict[str, Complaints]:
    """:func:`complaints` of each period, in one statement."""
    dialect = session.get_bind().dialect.name
    period, any_period = labelled(WorkOrder.community_id, WorkOrder.created_at, periods)
    chosen = and_(
        WorkOrder.category == Category.COMPLAINT, WorkOrder.due_at.is_not(None), any_period
    )
    # Each complaint's first change after opening: a few index lookups per complaint.
    first = (
        select(func.min(WorkOrderChange.at))
        .where(
            WorkOrderChange.work_order_id == WorkOrder.id,
            WorkOrderChange.from_status.is_not(None),
        )
        .scalar_subquery()
    )
    handled = and_(
        first.is_not(None),
        seconds_between(first, WorkOrder.created_at, dialect) <= FIRST_RESPONSE.total_seconds(),
    )
    counted = or_(handled, WorkOrder.created_at <= now - FIRST_RESPONSE)
    earlier = aliased(WorkOrder)
    repeat = exists().where(
        earlier.category == Category.COMPLAINT,
        earlier.id != WorkOrder.id,
        earlier.subcategory == WorkOrder.subcategory,
        earlier.created_at < WorkOrder.created_at,
        seconds_between(WorkOrder.created_at, earlier.created_at, dialect)
        <= REPEAT_WITHIN.total_seconds(),
        or_(
            and_(WorkOrder.unit_id.is_not(None), earlier.unit_id == WorkOrder.unit_id),
            and_(
                WorkOrder.unit_id.is_(None),
                WorkOrder.resident_id.is_not(None),
                earlier.resident_id == WorkOrder.resident_id,
            ),
        ),
    )
    met, late, pending = _on_time(WorkOrder.completed_at, now)
    found = {name: Complaints(OnTime(0, 0, 0, 0), 0, 0, 0) for name in periods}
    for row in _per_period(session, period, chosen,
                           [func.count(), met, late, pending, _sum(handled), _sum(counted),
                            _sum(repeat)]):  # fmt: skip
        found[row[0]] = Complaints(OnTime(*row[1:5]), row[5], row[6], row[7])
    return found


def _per_period(session: Session, period: Any, chosen: Any, figures: list[Any]) -> list[Any]:
    """``figures`` of the rows ``chosen``, per period (named by ``period``)."""
    return list(session.execute(select(period, *figures).where(chosen).group_by(period)))


@dataclasses.dataclass(frozen=True)
class Repairs:
    """Repairs and emergencies received in the period: on time, and rework (返修)."""

    deadline: OnTime
    completed: int  # completed at least once (now completed, or reopened since)
    reworked: int  # reopened at least once
    reopenings: int  # times reopened, all together

    @property
    def rework_rate(self) -> float | None:
        return self.reworked / self.completed if self.completed else None


def repairs(session: Session, windows: Sequence[Window], now: dt.datetime) -> Repairs:
    return repairs_by_period(session, {"": windows}, now)[""]


def repairs_by_period(session: Session, periods: Periods, now: dt.datetime) -> dict[str, Repairs]:
    """:func:`repairs` of each period, in one statement."""
    period, any_period = labelled(WorkOrder.community_id, WorkOrder.created_at, periods)
    chosen = and_(WorkOrder.category.in_(REPAIRS), WorkOrder.due_at.is_not(None), any_period)
    # As models.sla.sla_state: an emergency is on time when staff reach the site.
    finished = case(
        (
            and_(WorkOrder.category == Category.EMERGENCY, WorkOrder.on_site_at.is_not(None)),
            WorkOrder.on_site_at,
        ),
        else_=WorkOrder.completed_at,
    )
    met, late, pending = _on_time(finished, now)
    done_once = or_(WorkOrder.completed_at.is_not(None), WorkOrder.rework_count > 0)
    figures = [
        func.count(),
        met,
        late,
        pending,
        _sum(done_once),
        _sum(WorkOrder.rework_count > 0),
        func.coalesce(func.sum(WorkOrder.rework_count), 0),
    ]
    found = {name: Repairs(OnTime(0, 0, 0, 0), 0, 0, 0) for name in periods}
    for row in _per_period(session, period, chosen, figures):
        found[row[0]] = Repairs(OnTime(*row[1:5]), row[5], row[6], row[7])
    return found


@dataclasses.dataclass(frozen=True)
class Callbacks:
    """Orders completed in the period that need a callback, and those called back."""

    completed: int
    called_back: int

    @property
    def rate(self) -> float | None:
        return self.called_back / self.completed if self.completed else None


def callbacks(session: Session, windows: Sequence[Window]) -> Callbacks:
    return callbacks_by_period(session, {"": windows})[""]


def callbacks_by_period(session: Session, periods: Periods) -> dict[str, Callbacks]:
    """:func:`callbacks` of each period, in one statement."""
    period, any_period = labelled(WorkOrder.community_id, WorkOrder.completed_at, periods)
    answered = exists().where(SurveyResponse.work_order_id == WorkOrder.id)
    by_hand = exists().where(
        FollowUpTask.work_order_id == WorkOrder.id, FollowUpTask.status == TaskStatus.DONE
    )
    chosen = and_(WorkOrder.category.in_(CALLED_BACK), any_period)
    found = {name: Callbacks(0, 0) for name in periods}
    for row in _per_period(session, period, chosen, [func.count(), _sum(or_(answered, by_hand))]):
        found[row[0]] = Callbacks(row[1], row[2])
    return found
