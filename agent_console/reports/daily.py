"""The morning review (每日回顾): yesterday's hotline records, as the office reads them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from agent_console.reports import calls, names, orders, satisfaction
from agent_console.reports.calls import ListedCall, Tally
from agent_console.reports.periods import Window, day_windows, tune_for_reports
from agent_console.reports.tables import Cell, Table, rate, seconds
from agent_console.wallboard.labels import local, zone_of
from agent_console.wallboard.services import OverdueOrder, overdue_orders
from models.estate import Community

LISTED = 500  # overdue orders listed by number, the longest overdue first


@dataclasses.dataclass
class Daily:
    """Everything the morning review shows about ``day`` in ``communities``."""

    day: dt.date
    now: dt.datetime
    communities: list[Community]
    windows: list[Window]
    total: Tally
    by_queue: dict[str, Tally]
    abandoned: list[ListedCall]
    messages: list[ListedCall]
    open_orders: list[tuple[int, str, int, int]]  # (community, category, open, overdue)
    overdue_count: int
    overdue: list[OverdueOrder]  # the longest overdue, at most LISTED
    complaints: list[orders.Complaint]
    unhappy: list[satisfaction.Unhappy]

    @property
    def open_count(self) -> int:
        return sum(n for _, _, n, _ in self.open_orders)

    def code(self, community_id: int) -> str:
        return next((c.code for c in self.communities if c.id == community_id), "")

    def timezone(self, community_id: int) -> ZoneInfo:
        """The zone of ``community_id``: its rows are shown on its own clock."""
        return zone_of([c for c in self.communities if c.id == community_id])


def daily(
    session: Session, communities: Sequence[Community], day: dt.date, now: dt.datetime
) -> Daily:
    """The review of ``day`` (each community's own) for ``communities``, made at ``now``."""
    windows = day_windows(communities, day)
    tune_for_reports(session)
    total, by_queue = calls.tally(session, windows)
    ids = [c.id for c in communities]
    overdue_count, overdue = overdue_orders(session, ids, now, limit=LISTED)
    return Daily(
        day=day,
        now=now,
        communities=list(communities),
        windows=windows,
        total=total,
        by_queue=by_queue,
        abandoned=calls.listed(session, windows, "abandoned"),
        messages=calls.listed(session, windows, "message_left"),
        open_orders=orders.open_counts(session, ids, now),
        overdue_count=overdue_count,
        overdue=overdue,
        complaints=orders.complaints_received(session, windows),
        unhappy=satisfaction.dissatisfied(session, windows),
    )


def _calls_row(name: str, t: Tally, outcomes: list[str]) -> list[Cell]:
    return [
        name,
        t.offered,
        t.answered,
        t.abandoned,
        rate(t.service_level),
        seconds(t.average_speed_of_answer),
        *(t.by_outcome.get(o, 0) for o in outcomes),
    ]


def tables(report: Daily, number: Callable[[ListedCall], str]) -> list[Table]:
    """The review as tables; ``number`` shows a call's number (masked or whole)."""
    seen = report.total.by_outcome
    outcomes = [o for o in calls.OUTCOMES if seen.get(o)]
    by_queue = [_calls_row(names.queue(q), t, outcomes) for q, t in sorted(report.by_queue.items())]
    by_queue.append(_calls_row(str(_l("All")), report.total, outcomes))
    code, zone = report.code, report.timezone
    head = [_l("Queue"), _l("Offered"), _l("Answered"), _l("Abandoned"), _l("Service level"),
            _l("Average speed of answer (s)"), *(names.outcome(o) for o in outcomes)]  # fmt: skip
    return [
        Table("calls", _l("Calls by queue and outcome"), head, by_queue),
        Table(
            "abandoned",
            _l("Abandoned calls"),
            [_l("Community"), _l("Time"), _l("Queue"), _l("Phone number"), _l("Waited (s)")],
            [
                [
                    code(c.community_id),
                    local(c.started_at, zone(c.community_id)),
                    names.queue(c.queue),
                    number(c),
                    seconds(c.wait),
                ]
                for c in report.abandoned
            ],
        ),  # fmt: skip
        Table(
            "open_orders",
            _l("Open work orders"),
            [_l("Community"), _l("Category"), _l("Open"), _l("Overdue")],
            [[code(c), names.category(k), n, late] for c, k, n, late in report.open_orders],
        ),
        Table(
            "overdue",
            _l("Overdue work orders"),
            [_l("Community"), _l("Number"), _l("Category"), _l("Status"), _l("Due")],
            [
                [
                    code(o.community_id),
                    o.number,
                    names.category(o.category),
                    names.status(o.status),
                    local(o.due_at, zone(o.community_id)),
                ]
                for o in report.overdue
            ],
        ),  # fmt: skip
        Table(
            "complaints",
            _l("Complaints received"),
            [
                _l("Community"),
                _l("Number"),
                _l("Received"),
                _l("Sub-category"),
                _l("Severity"),
                _l("Type"),
                _l("Status"),
                _l("Due"),
            ],
            [
                [
                    code(c.community_id),
                    c.number,
                    local(c.created_at, zone(c.community_id)),
                    names.subcategory("complaint", c.subcategory),
                    names.severity(c.severity),
                    names.complaint_type(c.complaint_type),
                    names.status(c.status),
                    local(c.due_at, zone(c.community_id)),
                ]
                for c in report.complaints
            ],
        ),  # fmt: skip
        Table(
            "dissatisfied",
            _l("Dissatisfied surveys"),
            [
                _l("Community"),
                _l("Answered"),
                _l("Work order"),
                _l("Technician"),
                _l("Timeliness"),
                _l("Skill"),
                _l("Attitude"),
                _l("Solved"),
                _l("Comment"),
            ],
            [
                [
                    code(u.community_id),
                    local(u.answered_at, zone(u.community_id)),
                    u.work_order_number,
                    u.technician,
                    u.timeliness,
                    u.skill,
                    u.attitude,
                    u.solved,
                    u.comment,
                ]
                for u in report.unhappy
            ],
        ),  # fmt: skip
        Table(
            "messages",
            _l("Messages left after hours"),
            [_l("Community"), _l("Time"), _l("Phone number")],
            [
                [code(c.community_id), local(c.started_at, zone(c.community_id)), number(c)]
                for c in report.messages
            ],
        ),
    ]
