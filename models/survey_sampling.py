"""Home services' monthly sample (居家服务抽样回访) and the households always called.

Households served in a community's month (its local calendar month) are the distinct
units (else residents) of the home-service orders completed in it. The sample's size
follows :meth:`SurveySettings.sample_size` (more than 300 households: 10%; 100–300: 20%;
under 100: 30%; rounded up), drawn with the caller's seeded ``random.Random`` from the
households sorted by key, so one seed always picks the same ones. Households with an
always-call case are called on top of the sample, whatever it drew:

- ``new_agreement``: a newly signed service agreement (``WorkOrder.new_agreement``);
- ``new_service_item``: a newly launched service item (``WorkOrder.new_service_item``);
- ``new_staff``: served by a technician who started less than 90 days before;
- ``complained_staff``: served by a technician complained about last time: a complaint
  order naming them in the 90 days before, or their latest survey answer before the
  service was dissatisfied (a score ≤ 2 or not solved).

Each household's survey is about its latest order of the month (for an always-call
household: its latest order with a case). Sampling a month twice returns the jobs of the
first time (idempotent per community and month).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.estate import Community
from models.outbound import JobPurpose, OutboundJob, SurveyResponse
from models.survey_jobs import Wanted, make_survey_jobs
from models.survey_rules import SurveySettings, active_settings, dissatisfied
from models.work_orders import Category, Technician, WorkOrder

SAMPLED = "home_sample"
ALWAYS = "home_always"
Household = tuple[str, int]


def month_bounds(community: Community, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The community's local calendar month holding ``month``, as a UTC [start, end)."""
    zone = ZoneInfo(community.timezone or "Asia/Shanghai")
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(after, dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def served_orders(session: Session, community: Community, month: dt.date) -> list[WorkOrder]:
    """The community's home-service orders completed in ``month``, oldest first."""
    start, end = month_bounds(community, month)
    query = (
        select(WorkOrder)
        .where(
            WorkOrder.community_id == community.id,
            WorkOrder.category == Category.HOME_SERVICE,
            WorkOrder.completed_at >= start,
            WorkOrder.completed_at < end,
        )
        .order_by(WorkOrder.completed_at, WorkOrder.id)
    )
    return list(session.scalars(query))


def households(orders: list[WorkOrder]) -> dict[Household, list[WorkOrder]]:
    """Orders by household: the unit, else the resident (orders with neither are left out)."""
    found: dict[Household, list[WorkOrder]] = defaultdict(list)
    for order in orders:
        if order.unit_id is not None:
            found[("unit", order.unit_id)].append(order)
        elif order.resident_id is not None:
            found[("resident", order.resident_id)].append(order)
    return dict(found)


def sample_home_services(
    session: Session,
    community: Community,
    month: dt.date,
    *,
    now: dt.datetime,
    rng: random.Random,
    settings: SurveySettings | None = None,
) -> list[OutboundJob]:
    """Survey jobs for ``month``'s sample of households served plus the always-call ones.

    Idempotent per (community, month): a month sampled before returns its jobs.
    """
    rules = settings or active_settings()
    orders = served_orders(session, community, month)
    earlier = _earlier_jobs(session, orders)
    if earlier:
        return earlier
    served = households(orders)
    cases = AlwaysCases(session, rules, ZoneInfo(community.timezone or "Asia/Shanghai"))
    always = {key: found for key in served if (found := cases.of_household(served[key]))}
    rest = sorted(key for key in served if key not in always)
    picked = rng.sample(rest, min(rules.sample_size(len(served)), len(rest)))
    due_by = now + rules.home_service_window
    label = f"{month:%Y-%m}"
    wanted = [
        Wanted(order, ALWAYS, now, due_by, {"month": label, "always": reasons})
        for _key, (order, reasons) in sorted(always.items())
    ] + [
        Wanted(served[key][-1], SAMPLED, now, due_by, {"month": label, "always": []})
        for key in sorted(picked)
    ]
    return make_survey_jobs(session, wanted, now=now, rules=rules)


def _earlier_jobs(session: Session, orders: list[WorkOrder]) -> list[OutboundJob]:
    """The sampling jobs already made for these orders."""
    ids = [o.id for o in orders]
    if not ids:
        return []
    found: list[OutboundJob] = []
    for chunk in range(0, len(ids), 500):
        query = select(OutboundJob).where(
            OutboundJob.work_order_id.in_(ids[chunk : chunk + 500]),
            OutboundJob.purpose == JobPurpose.SURVEY,
            OutboundJob.reason.in_((SAMPLED, ALWAYS)),
        )
        found.extend(session.scalars(query))
    return sorted(found, key=lambda j: j.id)


class AlwaysCases:
    """Which always-call cases an order has (technicians' answers cached)."""

    def __init__(self, session: Session, rules: SurveySettings, zone: ZoneInfo) -> None:
        self.session = session
        self.rules = rules
        self.zone = zone  # the community's: a start date is a local date
        self._technicians: dict[int, Technician | None] = {}

    def of_household(self, orders: list[WorkOrder]) -> tuple[WorkOrder, list[str]] | None:
        """The household's latest order with a case, and its cases; None when none has."""
        for order in reversed(orders):
            found = self.of_order(order)
            if found:
                return order, found
        return None

    def of_order(self, order: WorkOrder) -> list[str]:
        """The always-call cases of one order."""
        found = []
        if order.new_agreement:
            found.append("new_agreement")
        if order.new_service_item:
            found.append("new_service_item")
        tech = self._technician(order.technician_id)
        done = order.completed_at
        if tech is not None and done is not None:
            if tech.started_on is not None and self._new(tech.started_on, done):
                found.append("new_staff")
            if self._complained(tech.id, done):
                found.append("complained_staff")
        return found

    def _technician(self, technician_id: int | None) -> Technician | None:
        if technician_id is None:
            return None
        if technician_id not in self._technicians:
            self._technicians[technician_id] = self.session.get(Technician, technician_id)
        return self._technicians[technician_id]

    def _new(self, started: dt.date, done: dt.datetime) -> bool:
        return (done.astimezone(self.zone).date() - started).days < self.rules.new_staff_days

    def _complained(self, technician_id: int, before: dt.datetime) -> bool:
        """A complaint naming the technician lately, or their last answer dissatisfied."""
        since = before - dt.timedelta(days=self.rules.complaint_lookback_days)
        complaint = self.session.scalar(
            select(WorkOrder.id)
            .where(
                WorkOrder.category == Category.COMPLAINT,
                WorkOrder.technician_id == technician_id,
                WorkOrder.created_at >= since,
                WorkOrder.created_at < before,
            )
            .limit(1)
        )
        if complaint is not None:
            return True
        last = self.session.scalars(
            select(SurveyResponse)
            .where(
                SurveyResponse.technician_id == technician_id,
                SurveyResponse.answered_at < before,
            )
            .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
            .limit(1)
        ).first()
        return last is not None and bool(dissatisfied(last))
