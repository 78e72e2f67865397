"""The monthly analysis (月度统计分析): requests, calls and the centre's targets, with the
month before beside each figure. Months are each community's calendar month."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from agent_console.reports import calls, names, orders, satisfaction
from agent_console.reports.calls import Tally
from agent_console.reports.definitions import BY_KEY, FIGURES
from agent_console.reports.periods import (
    Periods,
    Window,
    month_windows,
    previous_month,
    tune_for_reports,
)
from agent_console.reports.tables import Cell, Table, rate, seconds
from agent_console.wallboard.labels import zone_of
from models.estate import Community

QUESTION_LABELS = (_l("Timeliness"), _l("Skill"), _l("Attitude"))


@dataclasses.dataclass
class Measures:
    """The headline figures of one month."""

    windows: list[Window]
    calls: Tally
    by_queue: dict[str, Tally]
    by_hour: dict[dt.datetime, Tally]
    complaints: orders.Complaints
    repairs: orders.Repairs
    callbacks: orders.Callbacks
    answers: satisfaction.Answers

    @property
    def satisfaction(self) -> satisfaction.Scores | None:
        return self.answers.overall

    def value(self, key: str) -> float | int | None:
        """The figure ``key`` of :data:`definitions.FIGURES`."""
        c, s = self.calls, self.satisfaction
        return {
            "offered": c.offered,
            "answered": c.answered,
            "abandoned": c.abandoned,
            "asa": c.average_speed_of_answer,
            "service_level": c.service_level,
            "complaints_on_time": self.complaints.deadline.rate,
            "complaints_24h": self.complaints.within_24h_rate,
            "repeat_complaints": self.complaints.repeat_rate,
            "repairs_on_time": self.repairs.deadline.rate,
            "rework": self.repairs.rework_rate,
            "callback_rate": self.callbacks.rate,
            "satisfied": s.satisfied_rate if s else None,
        }[key]


def measures(session: Session, periods: Periods, now: dt.datetime) -> dict[str, Measures]:
    """The headline figures of each period: a statement per kind of figure, for all periods."""
    counted = calls.summarise(session, periods)
    complaints = orders.complaints_by_period(session, periods, now)
    repairs = orders.repairs_by_period(session, periods, now)
    callbacks = orders.callbacks_by_period(session, periods)
    answers = satisfaction.answers_by_period(session, periods)
    return {
        name: Measures(
            windows=list(windows),
            calls=counted[name].total,
            by_queue=counted[name].by_queue,
            by_hour=counted[name].by_hour,
            complaints=complaints[name],
            repairs=repairs[name],
            callbacks=callbacks[name],
            answers=answers[name],
        )
        for name, windows in periods.items()
    }


@dataclasses.dataclass
class Monthly:
    """The analysis of the month starting ``month`` for ``communities``, made at ``now``."""

    month: dt.date
    now: dt.datetime
    communities: list[Community]
    current: Measures
    previous: Measures
    by_queue: dict[str, Tally]
    requests: list[tuple[int, str, str, int]]
    by_building: list[tuple[int, str, int]]
    by_technician: list[satisfaction.Scores]
    by_category: list[satisfaction.Scores]
    hours: dict[dt.datetime, Tally]  # this month's and last month's calls per UTC hour

    def code(self, community_id: int) -> str:
        return next((c.code for c in self.communities if c.id == community_id), "")

    @property
    def timezone(self) -> ZoneInfo:
        """The zone the charts use: the communities' own when they share one."""
        return zone_of(self.communities)


def monthly(
    session: Session, communities: Sequence[Community], month: dt.date, now: dt.datetime
) -> Monthly:
    """The analysis of ``month`` (its first day) and the month before, made at ``now``."""
    this = month_windows(communities, month)
    before = month_windows(communities, previous_month(month))
    tune_for_reports(session)
    found = measures(session, {"current": this, "previous": before}, now)
    current, previous = found["current"], found["previous"]
    return Monthly(
        month=month,
        now=now,
        communities=list(communities),
        current=current,
        previous=previous,
        by_queue=current.by_queue,
        requests=orders.requests(session, this),
        by_building=orders.requests_by_building(session, this),
        by_technician=current.answers.by_technician,
        by_category=current.answers.by_category,
        hours=previous.by_hour | current.by_hour,
    )


def _shown(key: str, value: float | int | None) -> Cell:
    if key == "asa":
        return seconds(value)
    if isinstance(value, int) or value is None and key in ("offered", "answered", "abandoned"):
        return value
    return rate(value)


def _questions(report: Monthly) -> list[list[Cell]]:
    """Each question's mean score, the solved and satisfied shares, this month and last."""
    now, before = report.current.satisfaction, report.previous.satisfaction
    rows: list[list[Cell]] = [[str(_l("Answers")), now.answers if now else 0,
                               before.answers if before else 0]]  # fmt: skip
    for name, label in zip(satisfaction.QUESTIONS, QUESTION_LABELS, strict=True):
        rows.append([str(label), *(getattr(s, name) if s else None for s in (now, before))])
    rows.append([str(_l("Solved")), *(rate(s.solved_rate if s else None) for s in (now, before))])
    rows.append(
        [str(_l("Satisfied")), *(rate(s.satisfied_rate if s else None) for s in (now, before))]
    )
    return rows


def _scores(row: satisfaction.Scores, key: str) -> list[Cell]:
    return [
        key,
        row.answers,
        row.timeliness,
        row.skill,
        row.attitude,
        rate(row.solved_rate),
        rate(row.satisfied_rate),
    ]


def tables(report: Monthly) -> list[Table]:
    """The analysis as tables."""
    targets: list[list[Cell]] = []
    for figure in FIGURES:
        now, before = report.current.value(figure.key), report.previous.value(figure.key)
        target: Cell = None
        if figure.target is not None:
            sign = "≥" if figure.at_least else "≤"
            target = f"{sign} {figure.target * 100:g}%"
        targets.append(
            [
                str(figure.label),
                _shown(figure.key, now),
                _shown(figure.key, before),
                target,
                figure.met(None if now is None else float(now)),
            ]
        )
    score_columns = [
        _l("Answers"),
        _l("Timeliness"),
        _l("Skill"),
        _l("Attitude"),
        _l("Solved"),
        _l("Satisfied"),
    ]
    c, r = report.current.complaints, report.current.repairs
    counts: list[list[Cell]] = [
        [
            str(_l("Complaints received")),
            c.deadline.received,
            c.deadline.on_time,
            c.deadline.late,
            c.deadline.pending,
        ],
        [
            str(_l("Repairs and emergencies received")),
            r.deadline.received,
            r.deadline.on_time,
            r.deadline.late,
            r.deadline.pending,
        ],
    ]
    return [
        Table(
            "targets",
            _l("Targets"),
            [_l("Figure"), _l("This month"), _l("Month before"), _l("Target"), _l("Met")],
            targets,
        ),
        Table(
            "deadlines",
            _l("Against deadlines"),
            [_l("Orders"), _l("Received"), _l("On time"), _l("Late"), _l("Still running")],
            counts,
        ),
        Table(
            "rework",
            _l("Rework"),
            [
                _l("Completed"),
                _l("Reopened"),
                _l("Reopenings"),
                _l("Callbacks due"),
                _l("Called back"),
            ],
            [
                [
                    r.completed,
                    r.reworked,
                    r.reopenings,
                    report.current.callbacks.completed,
                    report.current.callbacks.called_back,
                ]
            ],
        ),
        Table(
            "queues",
            _l("Calls by queue"),
            [
                _l("Queue"),
                _l("Offered"),
                _l("Answered"),
                _l("Abandoned"),
                _l("Average speed of answer (s)"),
                _l("Service level"),
            ],
            [
                [
                    names.queue(q),
                    t.offered,
                    t.answered,
                    t.abandoned,
                    seconds(t.average_speed_of_answer),
                    rate(t.service_level),
                ]
                for q, t in sorted(report.by_queue.items())
            ],
        ),
        Table(
            "requests",
            _l("Requests by category and sub-category"),
            [_l("Community"), _l("Category"), _l("Sub-category"), _l("Requests")],
            [
                [report.code(cid), names.category(cat), names.subcategory(cat, sub), n]
                for cid, cat, sub, n in report.requests
            ],
        ),
        Table(
            "buildings",
            _l("Requests by building"),
            [_l("Community"), _l("Building"), _l("Requests")],
            [[report.code(cid), b or "—", n] for cid, b, n in report.by_building],
        ),
        Table(
            "questions",
            _l("Satisfaction per question"),
            [_l("Question"), _l("This month"), _l("Month before")],
            _questions(report),
        ),
        Table(
            "technicians",
            _l("Satisfaction per technician"),
            [_l("Technician"), *score_columns],
            [_scores(s, s.key or "—") for s in report.by_technician],
        ),
        Table(
            "categories",
            _l("Satisfaction per category"),
            [_l("Category"), *score_columns],
            [_scores(s, names.category(s.key)) for s in report.by_category],
        ),
    ]


def daily_series(report: Monthly, month: dt.date) -> dict[dt.date, Tally]:
    """Calls per local day of ``month`` (in the report's chart zone), for the trend lines."""
    zone = report.timezone
    found: dict[dt.date, Tally] = defaultdict(Tally)
    for hour, tally in report.hours.items():
        day = hour.astimezone(zone).date()
        if (day.year, day.month) == (month.year, month.month):
            _merge(found[day], tally)
    return dict(found)


def heat(report: Monthly) -> dict[tuple[int, int], int]:
    """Offered calls of the report's month per (ISO weekday, local hour)."""
    zone = report.timezone
    found: dict[tuple[int, int], int] = defaultdict(int)
    for hour, tally in report.hours.items():
        local = hour.astimezone(zone)
        same_month = (local.year, local.month) == (report.month.year, report.month.month)
        if same_month and tally.offered:
            found[(local.isoweekday(), local.hour)] += tally.offered
    return dict(found)


def _merge(into: Tally, other: Tally) -> None:
    for field in dataclasses.fields(Tally):
        if field.name != "by_outcome":
            setattr(into, field.name, getattr(into, field.name) + getattr(other, field.name))
    for outcome, n in other.by_outcome.items():
        into.by_outcome[outcome] = into.by_outcome.get(outcome, 0) + n


__all__ = ["BY_KEY", "Monthly", "monthly", "tables"]
