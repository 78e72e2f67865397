"""The morning review (每日回顾): yesterday's hotline records, as the office reads them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from agent_console.reports import calls, orders, satisfaction
from agent_console.reports.calls import ListedCall, Tally
from agent_console.reports.periods import Window, day_windows, tune_for_reports
from agent_console.reports.tables import Cell, Table, local, rate, seconds
from models.estate import Community


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
    open_orders: list[orders.OpenOrder]
    complaints: list[orders.Complaint]
    unhappy: list[satisfaction.Unhappy]

    @property
    def overdue(self) -> list[orders.OpenOrder]:
        return [o for o in self.open_orders if o.overdue]

    def code(self, community_id: int) -> str:
        return next((c.code for c in self.communities if c.id == community_id), "")

    def timezone(self, community_id: int) -> str:
        return next((c.timezone for c in self.communities if c.id == community_id), "UTC")


def daily(
    session: Session, communities: Sequence[Community], day: dt.date, now: dt.datetime
) -> Daily:
    """The review of ``day`` (each community's own) for ``communities``, made at ``now``."""
    windows = day_windows(communities, day)
    tune_for_reports(session)
    total, by_queue = calls.tally(session, windows)
    ids = [c.id for c in communities]
    return Daily(
        day=day,
        now=now,
        communities=list(communities),
        windows=windows,
        total=total,
        by_queue=by_queue,
        abandoned=calls.listed(session, windows, "abandoned"),
        messages=calls.listed(session, windows, "message_left"),
        open_orders=orders.open_orders(session, ids, now),
        complaints=orders.complaints_received(session, windows),
        unhappy=satisfaction.dissatisfied(session, windows),
    )


def tables(report: Daily, number: Callable[[ListedCall], str]) -> list[Table]:
    """The review as tables; ``number`` shows a call's number (masked or whole)."""
    outcomes = [
        o for o in calls.OUTCOMES if any(t.by_outcome.get(o) for t in report.by_queue.values())
    ]
    by_queue: list[list[Cell]] = [
        [
            queue or "—",
            t.offered,
            t.answered,
            t.abandoned,
            rate(t.service_level),
            seconds(t.average_speed_of_answer),
            *(t.by_outcome.get(o, 0) for o in outcomes),
        ]
        for queue, t in sorted(report.by_queue.items())
    ]
    t = report.total
    by_queue.append(
        [
            str(_l("All")),
            t.offered,
            t.answered,
            t.abandoned,
            rate(t.service_level),
            seconds(t.average_speed_of_answer),
            *(t.by_outcome.get(o, 0) for o in outcomes),
        ]
    )
    zone = report.timezone
    return [
        Table(
            "calls",
            _l("Calls by queue and outcome"),
            [
                _l("Queue"),
                _l("Offered"),
                _l("Answered"),
                _l("Abandoned"),
                _l("Service level"),
                _l("Average speed of answer (s)"),
                *outcomes,
            ],
            by_queue,
        ),
        Table(
            "abandoned",
            _l("Abandoned calls"),
            [_l("Community"), _l("Time"), _l("Queue"), _l("Phone number"), _l("Waited (s)")],
            [
                [
                    report.code(c.community_id),
                    local(c.started_at, zone(c.community_id)),
                    c.queue,
                    number(c),
                    seconds(c.wait),
                ]
                for c in report.abandoned
            ],
        ),
        Table(
            "work_orders",
            _l("Open and overdue work orders"),
            [_l("Community"), _l("Number"), _l("Category"), _l("Status"), _l("Due"), _l("Overdue")],
            [
                [
                    report.code(o.community_id),
                    o.number,
                    o.category,
                    o.status,
                    local(o.due_at, zone(o.community_id)),
                    o.overdue,
                ]
                for o in report.open_orders
            ],
        ),
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
                    report.code(c.community_id),
                    c.number,
                    local(c.created_at, zone(c.community_id)),
                    c.subcategory,
                    c.severity,
                    c.complaint_type,
                    c.status,
                    local(c.due_at, zone(c.community_id)),
                ]
                for c in report.complaints
            ],
        ),
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
                    report.code(u.community_id),
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
        ),
        Table(
            "messages",
            _l("Messages left after hours"),
            [_l("Community"), _l("Time"), _l("Phone number")],
            [
                [report.code(c.community_id), local(c.started_at, zone(c.community_id)), number(c)]
                for c in report.messages
            ],
        ),
    ]
