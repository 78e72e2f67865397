"""Service deadlines (domain-rules.md): when a work order must be dispatched and resolved.

Pure functions, no I/O. Each order has up to two stored deadlines, fixed when it is
opened (and again when it is reopened for rework):

- ``dispatch_due_at``: the order reaches the team that does the work (派工单 5分钟内
  转送工程人员); None where nothing is dispatched (inquiries, minor complaints);
- ``due_at``: the request is resolved; for an emergency, staff are on site.

A major complaint has a third, its clear answer (:func:`answer_state`): not stored, but
counted from the stored ``due_at``, which is 10 days from the same start.

===================  ===================  ==============================================
category             dispatch within      resolved within
===================  ===================  ==============================================
emergency            5 minutes            on site in 10 minutes from 09:00 to 22:00 local
                                          time; 30 minutes outside those hours (the rule
                                          names no figure for the night: this is the
                                          product's default for the on-duty staff)
repair               5 minutes            small problems 24 hours, or the end of the
                                          resident's convenient time if later (方便维修
                                          的时间); large problems answered in 3 days
inquiry              —                    24 hours
complaint, major     same local day       10 days (a clear answer within 2 days:
                     (office manager)     ``answer_due_at``, shown, not stored)
complaint, important 1 hour (dept. head)  3 days
complaint, minor     —                    2 days, or the date the resident asked
                                          (the end of the appointment window)
home service         1 hour               the end of the booked window, else 24 hours
===================  ===================  ==============================================

Home services have no figure in the rules; the defaults above are the product's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from models.work_orders import Category, Severity, Status

DISPATCH_WITHIN = dt.timedelta(minutes=5)  # 派工单 5 分钟内转送工程人员
EMERGENCY_DAY = (dt.time(9, 0), dt.time(22, 0))  # [from, until) local time
EMERGENCY_ON_SITE_DAY = dt.timedelta(minutes=10)
EMERGENCY_ON_SITE_NIGHT = dt.timedelta(minutes=30)  # product default, not in the rules
SMALL_REPAIR = dt.timedelta(hours=24)
LARGE_REPAIR_ANSWER = dt.timedelta(days=3)
INQUIRY_ANSWER = dt.timedelta(hours=24)
COMPLAINT_RESOLVE = {
    Severity.MAJOR: dt.timedelta(days=10),  # 重大
    Severity.IMPORTANT: dt.timedelta(days=3),  # 重要
    Severity.MINOR: dt.timedelta(days=2),  # 轻微
}
MAJOR_COMPLAINT_ANSWER = dt.timedelta(days=2)
IMPORTANT_COMPLAINT_ESCALATION = dt.timedelta(hours=1)  # to the department head
HOME_SERVICE_DISPATCH = dt.timedelta(hours=1)
HOME_SERVICE_DONE = dt.timedelta(hours=24)

# The plain resolution time per category, for orders without stored deadlines.
RESOLVE_WITHIN: dict[Category, dt.timedelta] = {
    Category.EMERGENCY: EMERGENCY_ON_SITE_DAY,
    Category.REPAIR: SMALL_REPAIR,
    Category.INQUIRY: INQUIRY_ANSWER,
    Category.COMPLAINT: COMPLAINT_RESOLVE[Severity.MINOR],
    Category.HOME_SERVICE: HOME_SERVICE_DONE,
}

Deadline = Literal["dispatch", "resolve", "answer"]
FINISHED = (Status.COMPLETED, Status.CLOSED)


@dataclasses.dataclass(frozen=True)
class Deadlines:
    """The deadlines of a new (or reopened) order."""

    dispatch_due_at: dt.datetime | None
    due_at: dt.datetime
    answer_due_at: dt.datetime | None = None  # a major complaint's clear answer


def deadlines(
    category: Category,
    opened_at: dt.datetime,
    *,
    timezone: str = "Asia/Shanghai",
    large_problem: bool = False,
    severity: Severity | None = None,
    appointment_to: dt.datetime | None = None,
) -> Deadlines:
    """The deadlines of an order of ``category`` opened at ``opened_at`` (aware, any zone).

    :param timezone: the community's, for the emergency hours and "the same day".
    :param appointment_to: the end of the resident's convenient time or booked window.
    """
    found = _deadlines(
        Category(category), opened_at, timezone, large_problem, severity, appointment_to
    )
    if found.dispatch_due_at is not None and found.dispatch_due_at > found.due_at:
        return dataclasses.replace(found, dispatch_due_at=found.due_at)  # never after the end
    return found


def _deadlines(
    category: Category,
    opened_at: dt.datetime,
    timezone: str,
    large_problem: bool,
    severity: Severity | None,
    appointment_to: dt.datetime | None,
) -> Deadlines:
    """:func:`deadlines`, before the dispatch deadline is capped by the resolution one."""
    if category is Category.EMERGENCY:
        local = opened_at.astimezone(ZoneInfo(timezone)).time()
        day = EMERGENCY_DAY[0] <= local < EMERGENCY_DAY[1]
        span = EMERGENCY_ON_SITE_DAY if day else EMERGENCY_ON_SITE_NIGHT
        return Deadlines(opened_at + DISPATCH_WITHIN, opened_at + span)
    if category is Category.REPAIR:
        if large_problem:
            return Deadlines(opened_at + DISPATCH_WITHIN, opened_at + LARGE_REPAIR_ANSWER)
        due = opened_at + SMALL_REPAIR
        if appointment_to is not None and appointment_to > due:
            due = appointment_to
        return Deadlines(opened_at + DISPATCH_WITHIN, due)
    if category is Category.COMPLAINT:
        return _complaint(opened_at, timezone, severity or Severity.MINOR, appointment_to)
    if category is Category.HOME_SERVICE:
        due = opened_at + HOME_SERVICE_DONE
        if appointment_to is not None and appointment_to > opened_at:
            due = appointment_to
        return Deadlines(opened_at + HOME_SERVICE_DISPATCH, due)
    return Deadlines(None, opened_at + INQUIRY_ANSWER)


def _complaint(
    opened_at: dt.datetime, timezone: str, severity: Severity, asked: dt.datetime | None
) -> Deadlines:
    """A complaint's tiers: who hears of it by when, and when it is resolved."""
    resolve = opened_at + COMPLAINT_RESOLVE[Severity(severity)]
    if severity is Severity.MAJOR:  # to the office manager the same day
        zone = ZoneInfo(timezone)
        local_day = opened_at.astimezone(zone).date() + dt.timedelta(days=1)
        midnight = dt.datetime.combine(local_day, dt.time(0, 0), tzinfo=zone)
        answer = opened_at + MAJOR_COMPLAINT_ANSWER
        return Deadlines(midnight.astimezone(dt.UTC), resolve, answer)
    if severity is Severity.IMPORTANT:
        return Deadlines(opened_at + IMPORTANT_COMPLAINT_ESCALATION, resolve)
    if asked is not None and asked > opened_at:  # or by the date the resident asked
        resolve = asked
    return Deadlines(None, resolve)


class Timed(Protocol):
    """What :func:`sla_state` reads of an order (a WorkOrder or a row with those columns)."""

    @property
    def category(self) -> Category: ...
    @property
    def status(self) -> Status: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def dispatch_due_at(self) -> dt.datetime | None: ...
    @property
    def due_at(self) -> dt.datetime | None: ...
    @property
    def dispatched_at(self) -> dt.datetime | None: ...
    @property
    def on_site_at(self) -> dt.datetime | None: ...
    @property
    def completed_at(self) -> dt.datetime | None: ...


@dataclasses.dataclass(frozen=True)
class SlaState:
    """Where an order stands against its deadlines at a moment.

    ``deadline`` is the one running (None once the order met or missed its last one);
    ``remaining_seconds`` is negative when overdue; ``met`` is None while it runs.
    """

    deadline: Deadline | None
    due_at: dt.datetime | None
    remaining_seconds: int | None
    overdue: bool
    met: bool | None = None


def sla_state(order: Timed, now: dt.datetime) -> SlaState:
    """The running deadline of ``order`` at ``now``, or whether it was met once finished.

    An emergency's resolution deadline is met when staff reach the site; every other
    one when the order is completed.
    """
    due = order.due_at or due_at(order.category, order.created_at)
    finished_at = order.completed_at if order.status in FINISHED else None
    if order.category is Category.EMERGENCY and order.on_site_at is not None:
        finished_at = order.on_site_at
    if finished_at is not None:
        return _state(None, due, finished_at, now)
    running: Deadline = "resolve"
    if order.status is Status.OPEN and order.dispatch_due_at and order.dispatched_at is None:
        running, due = "dispatch", order.dispatch_due_at
    return _state(running, due, None, now)


def _state(
    running: Deadline | None, due: dt.datetime, finished_at: dt.datetime | None, now: dt.datetime
) -> SlaState:
    """``running`` against ``due`` at ``now``; once finished, whether it was in time."""
    if finished_at is not None:
        return SlaState(None, due, None, False, met=finished_at <= due)
    remaining = int((due - now).total_seconds() // 1)
    return SlaState(running, due, remaining, now > due)


class Complaint(Timed, Protocol):
    """What :func:`answer_state` reads of an order: :class:`Timed` and the severity."""

    @property
    def severity(self) -> Severity | None: ...


def answer_due_at(order: Complaint) -> dt.datetime | None:
    """A major complaint's clear-answer deadline (重大投诉 2 天内明确答复); None for others.

    Two days from when its deadlines were fixed (opened, or reopened for rework): the
    stored resolution deadline less the 10 days a major complaint has to be resolved.
    """
    if order.category is not Category.COMPLAINT or order.severity is not Severity.MAJOR:
        return None
    if order.due_at is None:  # opened without stored deadlines
        return order.created_at + MAJOR_COMPLAINT_ANSWER
    return order.due_at - COMPLAINT_RESOLVE[Severity.MAJOR] + MAJOR_COMPLAINT_ANSWER


def answer_state(order: Complaint, now: dt.datetime) -> SlaState | None:
    """Where a major complaint stands against its clear answer at ``now``; None for others.

    It runs until the order is completed (the outcome is then known and told), and never
    replaces the running deadline of :func:`sla_state`: it is shown beside it.
    """
    due = answer_due_at(order)
    if due is None:
        return None
    finished_at = order.completed_at if order.status in FINISHED else None
    return _state("answer", due, finished_at, now)


def due_at(category: Category, created_at: dt.datetime) -> dt.datetime:
    """The plain resolution deadline of ``category`` (orders opened without stored ones)."""
    return created_at + RESOLVE_WITHIN[Category(category)]


def is_overdue(category: Category, created_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether an order without stored deadlines is past due at ``now``."""
    return now > due_at(category, created_at)
