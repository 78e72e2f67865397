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
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from agent_console.reports.periods import Window, within
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


def scores(session: Session, windows: Sequence[Window], by: str = "") -> list[Scores]:
    """Scores of all answers of the windows (``by=""``), per ``technician`` or ``category``."""
    key: Any = {
        "": literal_column("''"),
        "technician": func.coalesce(Technician.name, ""),
        "category": func.coalesce(WorkOrder.category, ""),
    }[by]
    query = (
        select(
            key.label("key"),
            func.count(),
            *(func.avg(getattr(SurveyResponse, q) * 1.0) for q in QUESTIONS),
            func.coalesce(func.sum(case((SurveyResponse.solved.is_(True), 1), else_=0)), 0),
            func.count(SurveyResponse.solved),
            func.coalesce(func.sum(case((_dissatisfied(), 1), else_=0)), 0),
        )
        .join(OutboundJob, OutboundJob.id == SurveyResponse.job_id)
        .outerjoin(WorkOrder, WorkOrder.id == SurveyResponse.work_order_id)
        .outerjoin(Technician, Technician.id == SurveyResponse.technician_id)
        .where(within(OutboundJob.community_id, SurveyResponse.answered_at, windows))
    )
    if by:
        query = query.group_by(key).order_by(key)
    found = [
        Scores(str(r[0]), r[1], _mean(r[2]), _mean(r[3]), _mean(r[4]), r[5], r[6], r[7])
        for r in session.execute(query)
    ]
    return [s for s in found if s.answers]


def _mean(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]  # Decimal on PG


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
