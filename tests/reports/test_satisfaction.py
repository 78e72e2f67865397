"""Survey scores per question, technician and category, and the dissatisfied answers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from agent_console.reports import monthly, satisfaction
from agent_console.reports.periods import day_windows, month_windows
from models import Community
from tests.reports import builders
from tests.reports.conftest import utc


def test_scores_per_question_technician_and_category(
    db: Session, places: dict[str, Community], clerk: int
) -> None:
    sh01 = places["SH01"]
    wang, li = builders.technician(db, sh01, "王师傅"), builders.technician(db, sh01, "李师傅")
    fixed = builders.repair(db, sh01, clerk, utc(2026, 12, 1, 2))
    builders.finish(db, fixed, clerk, utc(2026, 12, 1, 6), wang)
    heard = builders.complaint(db, sh01, clerk, utc(2026, 12, 2, 2), unit_room="102")
    builders.finish(db, heard, clerk, utc(2026, 12, 3, 2), li)
    builders.answer(db, fixed, utc(2026, 12, 2, 3), (5, 4, 5))
    builders.answer(db, fixed, utc(2026, 12, 3, 3), (3, None, 4), solved=None)
    builders.answer(db, heard, utc(2026, 12, 4, 3), (2, 4, 4), solved=False, comment="太慢")
    builders.answer(db, heard, utc(2026, 11, 30, 15), (1, 1, 1))  # 23:00 30 Nov: November
    db.commit()
    december = month_windows([sh01], dt.date(2026, 12, 1))

    [overall] = satisfaction.scores(db, december)
    per_tech = {s.key: s for s in satisfaction.scores(db, december, "technician")}
    per_category = {s.key: s for s in satisfaction.scores(db, december, "category")}

    assert overall.answers == 3
    assert (overall.timeliness, overall.skill, overall.attitude) == pytest.approx(
        (10 / 3, 4.0, 13 / 3)
    )
    assert (overall.solved, overall.solved_asked, overall.dissatisfied) == (1, 2, 1)
    assert overall.satisfied_rate == pytest.approx(2 / 3)
    assert per_tech["王师傅"].answers == 2 and per_tech["李师傅"].timeliness == 2.0
    assert set(per_category) == {"repair", "complaint"}
    [unhappy] = satisfaction.dissatisfied(db, day_windows([sh01], dt.date(2026, 12, 4)))
    assert (unhappy.work_order_number, unhappy.technician, unhappy.comment) == (
        heard.number,
        "李师傅",
        "太慢",
    )


def test_the_monthly_table_per_question_has_the_month_before_beside(
    db: Session, places: dict[str, Community], clerk: int
) -> None:
    sh01 = places["SH01"]
    fixed = builders.repair(db, sh01, clerk, utc(2026, 11, 1, 2))
    builders.finish(db, fixed, clerk, utc(2026, 11, 1, 6), builders.technician(db, sh01, "王"))
    builders.answer(db, fixed, utc(2026, 11, 2, 3), (4, 4, 2), solved=True)
    builders.answer(db, fixed, utc(2026, 12, 2, 3), (5, 5, 5), solved=True)
    db.commit()

    report = monthly.monthly(db, [sh01], dt.date(2026, 12, 1), utc(2026, 12, 20))
    [questions] = [t for t in monthly.tables(report) if t.key == "questions"]

    assert questions.rows == [
        ["Answers", 1, 1],
        ["Timeliness", 5.0, 4.0],
        ["Skill", 5.0, 4.0],
        ["Attitude", 5.0, 2.0],
        ["Solved", 1.0, 1.0],
        ["Satisfied", 1.0, 0.0],
    ]
