"""What the task and survey pages read, and the outcome of a person's call for a task."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agent_console.privacy import shown_number
from agent_console.surveys import labels
from agent_console.surveys.exceptions import FormRejected
from models.audit import audit
from models.estate import Community, Resident
from models.outbound import FollowUpTask as Task
from models.outbound import (
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    SurveyResponse,
    TaskKind,
    TaskStatus,
)
from models.staff import Agent
from models.survey_policy import record_answers
from models.work_orders import Technician, WorkOrder

PAGE = 50
TASKS_SHOWN = 200
PENDING = (JobStatus.SCHEDULED, JobStatus.CALLING, JobStatus.MANUAL)
SUPERVISOR_KINDS = (TaskKind.SUPERVISOR_FOLLOW_UP, TaskKind.SUPERVISOR_CALLBACK)
RESULTS = ("reached", "unreachable", "declined")
SCORES = ("timeliness", "skill", "attitude")


def as_utc(when: dt.datetime) -> dt.datetime:
    """``when`` with its zone (SQLite gives naive UTC times back)."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class TaskRow:
    """One open task as the task list shows it."""

    task: Task
    job: OutboundJob | None
    order: WorkOrder | None
    resident: str
    number: str  # masked
    community: Community
    assigned: str
    due_at: dt.datetime
    remaining_seconds: int

    @property
    def overdue(self) -> bool:
        return self.remaining_seconds < 0

    @property
    def for_supervisors(self) -> bool:
        return self.task.kind in SUPERVISOR_KINDS


def open_tasks(session: Session, scope: Collection[int], now: dt.datetime) -> list[TaskRow]:
    """Open tasks of the communities in ``scope``, the most overdue first."""
    rows = session.execute(
        select(Task, OutboundJob, WorkOrder, Resident, Community)
        .join(Community, Community.id == Task.community_id)
        .outerjoin(OutboundJob, OutboundJob.id == Task.job_id)
        .outerjoin(WorkOrder, WorkOrder.id == Task.work_order_id)
        .outerjoin(
            Resident, Resident.id == func.coalesce(OutboundJob.resident_id, WorkOrder.resident_id)
        )
        .where(Task.status == TaskStatus.OPEN, Task.community_id.in_(scope))
        .order_by(Task.due_at, Task.id)
        .limit(TASKS_SHOWN)
    ).all()
    names = agent_names(session, {t.assigned_agent_id for t, *_ in rows})
    found = []
    for task, job, order, resident, community in rows:
        due = as_utc(task.due_at)
        found.append(
            TaskRow(
                task,
                job,
                order,
                resident.name if resident else "",
                shown_number(job.number if job else None),
                community,
                names.get(task.assigned_agent_id, ""),
                due,
                int((due - now).total_seconds()),
            )  # fmt: skip
        )
    return found


def agent_names(session: Session, ids: Collection[int | None]) -> dict[int | None, str]:
    """Agent id → name."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(wanted))).all())


def take(session: Session, task: Task, agent: Agent) -> bool:
    """Assign an open manual callback to ``agent``; False when another agent has it."""
    if task.status is not TaskStatus.OPEN or task.kind in SUPERVISOR_KINDS:
        return False
    if task.assigned_agent_id not in (None, agent.id):
        return False
    task.assigned_agent_id = agent.id
    audit(session, action="update", subject_type="follow_up_task", subject_id=task.id,
          agent_id=agent.id, change="taken")  # fmt: skip
    return True


@dataclasses.dataclass(frozen=True)
class Answers:
    """Survey answers an agent took down by hand (None: not asked or not answered)."""

    timeliness: int | None = None
    skill: int | None = None
    attitude: int | None = None
    solved: bool | None = None
    comment: str = ""

    @property
    def given(self) -> bool:
        return any(v is not None for v in (self.timeliness, self.skill, self.attitude, self.solved))

    @property
    def complete(self) -> bool:
        scores = (self.timeliness, self.skill, self.attitude, self.solved)
        return all(v is not None for v in scores)


def read_outcome(form: Mapping[str, str]) -> tuple[str, str, Answers]:
    """The result, the note and the answers of the outcome form; FormRejected when wrong."""
    errors: dict[str, str] = {}
    result = form.get("result", "")
    if result not in RESULTS:
        errors["result"] = "required" if not result else "unknown"
    note = form.get("outcome", "").strip()
    if len(note) > 2000:
        errors["outcome"] = "too_long"
    scores: dict[str, int | None] = {}
    for name in SCORES:
        raw = form.get(name, "").strip()
        if raw and (not raw.isdigit() or not 1 <= int(raw) <= 5):
            errors[name] = "score"
        scores[name] = int(raw) if raw.isdigit() else None
    solved = {"yes": True, "no": False}.get(form.get("solved", ""))
    if errors:
        raise FormRejected(errors)
    comment = form.get("comment", "").strip()[:2000]
    return result, note, Answers(**scores, solved=solved, comment=comment)


def record_outcome(
    session: Session, task: Task, agent: Agent, form: Mapping[str, str], *, now: dt.datetime
) -> SurveyResponse | None:
    """Close ``task`` with what the person's call found; a manual callback that reached the
    resident may carry the survey's answers, recorded through the survey policy."""
    result, note, answers = read_outcome(form)
    response = None
    job = session.get(OutboundJob, task.job_id) if task.job_id else None
    if (
        answers.given
        and result == "reached"
        and task.kind is TaskKind.MANUAL_CALLBACK
        and job is not None
        and job.purpose is JobPurpose.SURVEY
    ):
        response = _answers_by_hand(session, job, answers, now)
    if task.kind is TaskKind.MANUAL_CALLBACK and result == "reached" and job is not None:
        if job.status is JobStatus.MANUAL:
            job.status = JobStatus.COMPLETED  # the person's call did the job
    task.status = TaskStatus.DONE
    task.outcome = f"[{result}] {note}".strip()
    task.done_by, task.done_at = agent.id, now
    audit(session, action="update", subject_type="follow_up_task", subject_id=task.id,
          agent_id=agent.id, change="done", result=result,
          response_id=response.id if response else None)  # fmt: skip
    return response


def _answers_by_hand(
    session: Session, job: OutboundJob, answers: Answers, now: dt.datetime
) -> SurveyResponse:
    """The answers taken down by hand, as a response of its own (no call attempt of the
    dialer's carried them: ``attempt`` is None)."""
    response = record_answers(
        session, job, None,
        timeliness=answers.timeliness, skill=answers.skill, attitude=answers.attitude,
        solved=answers.solved, comment=answers.comment, complete=answers.complete, now=now,
    )  # fmt: skip
    session.flush()
    return response


def split_outcome(outcome: str) -> tuple[str, str]:
    """``("reached", "note")`` from a task's stored outcome ``[reached] note``."""
    if outcome.startswith("[") and "]" in outcome:
        result, _, note = outcome[1:].partition("]")
        return result, note.strip()
    return "", outcome


@dataclasses.dataclass(frozen=True)
class JobFilters:
    """The survey list's filters, from the query string; unknown values are ignored."""

    status: str = "pending"
    purpose: str = ""
    community_id: int | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], scope: Collection[int]) -> JobFilters:
        status = args.get("status", "pending")
        if status not in {"pending", "all", *(s.value for s in JobStatus)}:
            status = "pending"
        purpose = args.get("purpose", "")
        if purpose not in {p.value for p in JobPurpose}:
            purpose = ""
        community = args.get("community", "")
        community_id = int(community) if community.isdigit() else None
        page = args.get("page", "1")
        return cls(
            status, purpose, community_id if community_id in scope else None,
            max(1, int(page)) if page.isdigit() else 1,
        )  # fmt: skip

    def where(self, query: Any, scope: Collection[int]) -> Any:
        """``query`` (a select of jobs) narrowed to these filters and ``scope``."""
        query = query.where(OutboundJob.community_id.in_(scope))
        if self.status == "pending":
            query = query.where(OutboundJob.status.in_(PENDING))
        elif self.status != "all":
            query = query.where(OutboundJob.status == JobStatus(self.status))
        if self.purpose:
            query = query.where(OutboundJob.purpose == JobPurpose(self.purpose))
        if self.community_id is not None:
            query = query.where(OutboundJob.community_id == self.community_id)
        return query


@dataclasses.dataclass(frozen=True)
class JobRow:
    """One job with its work order, resident and last attempt."""

    job: OutboundJob
    order: WorkOrder | None
    resident: str
    number: str  # masked
    last: OutboundAttempt | None
    timezone: str


def list_jobs(
    session: Session, scope: Collection[int], filters: JobFilters
) -> tuple[list[JobRow], bool]:
    """A page of jobs (those needing attention first: manual, then by next attempt)."""
    query = filters.where(
        select(OutboundJob, WorkOrder, Resident, Community.timezone)
        .join(Community, Community.id == OutboundJob.community_id)
        .outerjoin(WorkOrder, WorkOrder.id == OutboundJob.work_order_id)
        .outerjoin(Resident, Resident.id == OutboundJob.resident_id),
        scope,
    )
    manual_first = (OutboundJob.status == JobStatus.MANUAL).desc()
    rows = session.execute(
        query.order_by(manual_first, OutboundJob.next_attempt_at, OutboundJob.id)
        .offset((filters.page - 1) * PAGE)
        .limit(PAGE + 1)
    ).all()
    last = last_attempts(session, [job.id for job, *_ in rows[:PAGE]])
    found = [
        JobRow(job, order, r.name if r else "", shown_number(job.number), last.get(job.id), tz)
        for job, order, r, tz in rows[:PAGE]
    ]
    return found, len(rows) > PAGE


def last_attempts(session: Session, job_ids: Sequence[int]) -> dict[int, OutboundAttempt]:
    """Each job's latest attempt."""
    if not job_ids:
        return {}
    attempts = session.scalars(
        select(OutboundAttempt)
        .where(OutboundAttempt.job_id.in_(job_ids))
        .order_by(OutboundAttempt.job_id, OutboundAttempt.seq)
    )
    return {a.job_id: a for a in attempts}


def communities(session: Session, scope: Collection[int]) -> list[Community]:
    return list(
        session.scalars(select(Community).where(Community.id.in_(scope)).order_by(Community.code))
    )


@dataclasses.dataclass(frozen=True)
class ResponseRow:
    """One survey response with the work order it was about."""

    response: SurveyResponse
    order: WorkOrder | None

    @property
    def low(self) -> bool:
        scores = (self.response.timeliness, self.response.skill, self.response.attitude)
        return any(s is not None and s <= 2 for s in scores) or self.response.solved is False


def technician_surveys(session: Session, technician: Technician) -> dict[str, Any]:
    """A technician's survey responses (newest first) and their averages."""
    rows = session.execute(
        select(SurveyResponse, WorkOrder)
        .outerjoin(WorkOrder, WorkOrder.id == SurveyResponse.work_order_id)
        .where(SurveyResponse.technician_id == technician.id)
        .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
        .limit(PAGE * 4)
    ).all()
    of_technician = SurveyResponse.technician_id == technician.id
    averages = session.execute(
        select(
            func.count(SurveyResponse.id),
            func.avg(SurveyResponse.timeliness),
            func.avg(SurveyResponse.skill),
            func.avg(SurveyResponse.attitude),
        ).where(of_technician)
    ).one()
    solved = session.execute(
        select(SurveyResponse.solved, func.count())
        .where(of_technician)
        .group_by(SurveyResponse.solved)
    ).all()
    counts = {value: n for value, n in solved}
    return {
        "rows": [ResponseRow(r, o) for r, o in rows],
        "count": averages[0],
        "averages": {name: _round(v) for name, v in zip(SCORES, averages[1:], strict=True)},
        "solved": counts.get(True, 0),
        "not_solved": counts.get(False, 0),
    }


def _round(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]


def order_surveys(session: Session, order_id: int) -> dict[str, Any]:
    """A work order's survey jobs, their attempts and answers, and its follow-up tasks."""
    jobs = list(
        session.scalars(
            select(OutboundJob)
            .where(OutboundJob.work_order_id == order_id)
            .order_by(OutboundJob.id)
        )
    )
    ids = [j.id for j in jobs]
    attempts = session.scalars(
        select(OutboundAttempt)
        .where(OutboundAttempt.job_id.in_(ids))
        .order_by(OutboundAttempt.job_id, OutboundAttempt.seq)
    ).all()
    responses = session.scalars(
        select(SurveyResponse)
        .where(or_(SurveyResponse.work_order_id == order_id, SurveyResponse.job_id.in_(ids)))
        .order_by(SurveyResponse.answered_at, SurveyResponse.id)
    ).all()
    tasks = session.scalars(
        select(Task).where(Task.work_order_id == order_id).order_by(Task.due_at, Task.id)
    ).all()
    return {
        "jobs": [(j, [a for a in attempts if a.job_id == j.id]) for j in jobs],
        "responses": list(responses),
        "tasks": list(tasks),
        "names": agent_names(session, {t.done_by for t in tasks}),
        "labels": labels,
        "split_outcome": split_outcome,
    }


def last_survey(
    session: Session, resident_id: int | None, unit_id: int | None
) -> SurveyResponse | None:
    """The latest survey answers of the resident or about their unit (for the caller's card)."""
    ties = []
    if resident_id is not None:
        ties.append(OutboundJob.resident_id == resident_id)
    if unit_id is not None:
        ties.append(OutboundJob.unit_id == unit_id)
    if not ties:
        return None
    return session.scalars(
        select(SurveyResponse)
        .join(OutboundJob, OutboundJob.id == SurveyResponse.job_id)
        .where(or_(*ties))
        .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
        .limit(1)
    ).one_or_none()
