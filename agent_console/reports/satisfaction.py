"""Survey answers (回访) in reports: scores per question, per technician, per category.

Answers count in the period they were given (``SurveyResponse.answered_at``), in the
calendar of the community of the survey's job. A score is 1–5; an average is over the
answers that gave that score. *Dissatisfied*: any score at or below
:data:`models.survey_rules.LOW_SCORE`, or "not solved" (as
:func:`models.survey_rules.dissatisfied`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from agent_console.reports.periods import Periods, Window, labelled, within
from models.outbound import OutboundJob, SurveyResponse
from models.survey_rules import LOW_SCORE
from models.work_orders import Technician, WorkOrder

QUESTIONS = ("timeliness", "skill", "attitude")


def _dissatisfied() -> Any:
    return or_(
        *(getattr(SurveyResponse, q) <= LOW_SCORE for q in QUESTIONS),
        SurveyResponse.solved.is_(False),
    )


@dataclasses.dataclass(frozen=True)
class Scores:
    """The answers of one group."""

    key: str
    answers: int
    timeliness: float | None
    skill: float | None
    attitude: float | None
    solved: int
    solved_asked: int
    dissatisfied: int

    @property
    def solved_rate(self) -> float | None:
        return self.solved / self.solved_asked if self.solved_asked else None

    @property
    def satisfied_rate(self) -> float | None:
        return 1 - self.dissatisfied / self.answers if self.answers else None


@dataclasses.dataclass
class _Sums:
    """Sums and counts of one group's answers, which add up into bigger groups."""

    answers: int = 0
    totals: list[float] = dataclasses.field(default_factory=lambda: [0.0] * len(QUESTIONS))
    given: list[int] = dataclasses.field(default_factory=lambda: [0] * len(QUESTIONS))
    solved: int = 0
    solved_asked: int = 0
    dissatisfied: int = 0

    def add(self, row: Any) -> None:
        self.answers += row.answers
        for i, q in enumerate(QUESTIONS):
            self.totals[i] += float(getattr(row, f"{q}_sum") or 0)
            self.given[i] += getattr(row, f"{q}_n")
        self.solved += row.solved
        self.solved_asked += row.solved_asked
        self.dissatisfied += row.dissatisfied

    def scores(self, key: str) -> Scores:
        timeliness, skill, attitude = (
            t / n if n else None for t, n in zip(self.totals, self.given, strict=True)
        )
        return Scores(
            key, self.answers, timeliness, skill, attitude, self.solved, self.solved_asked,
            self.dissatisfied,
        )  # fmt: skip


@dataclasses.dataclass
class Answers:
    """One period's answers: all, per technician, per category of the work order."""

    overall: Scores | None
    by_technician: list[Scores]
    by_category: list[Scores]


def answers_by_period(session: Session, periods: Periods) -> dict[str, Answers]:
    """Each period's scores, from one statement grouped by (period, technician, category)."""
    period, any_period = labelled(OutboundJob.community_id, SurveyResponse.answered_at, periods)
    technician = func.coalesce(Technician.name, "")
    category = func.coalesce(WorkOrder.category, "")
    per_question = []
    for q in QUESTIONS:
        score = getattr(SurveyResponse, q)
        per_question += [func.sum(score).label(f"{q}_sum"), func.count(score).label(f"{q}_n")]
    query = (
        select(
            period.label("period"),
            technician.label("technician"),
            category.label("category"),
            func.count().label("answers"),
            *per_question,
            _count(SurveyResponse.solved.is_(True)).label("solved"),
            func.count(SurveyResponse.solved).label("solved_asked"),
            _count(_dissatisfied()).label("dissatisfied"),
        )
        .join(OutboundJob, OutboundJob.id == SurveyResponse.job_id)
        .outerjoin(WorkOrder, WorkOrder.id == SurveyResponse.work_order_id)
        .outerjoin(Technician, Technician.id == SurveyResponse.technician_id)
        .where(any_period)
        .group_by(period, technician, category)
    )
    overall: dict[str, _Sums] = defaultdict(_Sums)
    techs: dict[str, dict[str, _Sums]] = defaultdict(lambda: defaultdict(_Sums))
    kinds: dict[str, dict[str, _Sums]] = defaultdict(lambda: defaultdict(_Sums))
    for row in session.execute(query):
        for sums in (overall[row.period], techs[row.period][row.technician],
                     kinds[row.period][row.category]):  # fmt: skip
            sums.add(row)
    return {
        name: Answers(
            overall[name].scores("") if name in overall else None,
            [s.scores(key) for key, s in sorted(techs[name].items())],
            [s.scores(key) for key, s in sorted(kinds[name].items())],
        )
        for name in periods
    }


def scores(session: Session, windows: Sequence[Window], by: str = "") -> list[Scores]:
    """Scores of all answers of the windows (``by=""``), per ``technician`` or ``category``."""
    found = answers_by_period(session, {"": windows})[""]
    if by == "technician":
        return found.by_technician
    if by == "category":
        return found.by_category
    return [found.overall] if found.overall else []


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclasses.dataclass(frozen=True)
class Unhappy:
    """A dissatisfied answer, as the morning review lists it."""

    response_id: int
    community_id: int
    answered_at: dt.datetime
    work_order_id: int | None
    work_order_number: str
    technician: str
    timeliness: int | None
    skill: int | None
    attitude: int | None
    solved: bool | None
    comment: str


def dissatisfied(session: Session, windows: Sequence[Window]) -> list[Unhappy]:
    rows = session.execute(
        select(SurveyResponse, OutboundJob.community_id, WorkOrder.number, Technician.name)
        .join(OutboundJob, OutboundJob.id == SurveyResponse.job_id)
        .outerjoin(WorkOrder, WorkOrder.id == SurveyResponse.work_order_id)
        .outerjoin(Technician, Technician.id == SurveyResponse.technician_id)
        .where(
            within(OutboundJob.community_id, SurveyResponse.answered_at, windows),
            _dissatisfied(),
        )
        .order_by(SurveyResponse.answered_at, SurveyResponse.id)
    )
    return [
        Unhappy(
            r.id,
            community_id,
            r.answered_at,
            r.work_order_id,
            number or "",
            name or "",
            r.timeliness,
            r.skill,
            r.attitude,
            r.solved,
            r.comment,
        )
        for r, community_id, number, name in rows
    ]
