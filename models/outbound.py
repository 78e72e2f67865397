"""Outbound calls the hotline places by itself: surveys (回访), notices, fee reminders,
senior-care calls, and the tasks for people when a call cannot do the job.

- An :class:`OutboundJob` is one household to reach for one purpose: a survey about a
  completed work order, or a member of a :class:`Campaign`. It is due in a window
  (``due_from`` … ``due_by``) and tried at most ``max_attempts`` times, never outside
  the community's calling hours.
- An :class:`OutboundAttempt` is one call placed for a job; ``(job_id, seq)`` is
  unique, so a dialer that claims the job and inserts attempt *n* is the only one to
  place it: several dialers never place one attempt twice.
- A :class:`SurveyResponse` keeps the answers an attempt got, even when the resident
  hung up part-way.
- A :class:`FollowUpTask` is work for a person: a manual callback for a survey the
  dialer could not complete (the callback rate target is 100%), or a supervisor's
  second callback after a dissatisfied answer (客服主管第二次回访).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class JobPurpose(enum.StrEnum):
    """Why the hotline calls a household."""

    SURVEY = "survey"  # 回访 after a work order
    NOTICE = "notice"  # 通知、温馨提示
    FEE_REMINDER = "fee_reminder"  # 催缴
    SENIOR_CARE = "senior_care"  # 亲情电话 to an enrolled senior's family
    ON_CALL = "on_call"  # 值班: a rung of an emergency's on-call ladder (models.oncall)


class CampaignStatus(enum.StrEnum):
    """Where a campaign stands."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    """Where one job stands."""

    SCHEDULED = "scheduled"  # waiting for its window, its calling hours, or its next attempt
    CALLING = "calling"  # claimed by a dialer: an attempt is being placed or is in progress
    COMPLETED = "completed"  # the call did its job (survey answered, notice heard)
    MANUAL = "manual"  # could not be completed automatically: a FollowUpTask exists
    OPTED_OUT = "opted_out"  # do-not-call or survey opt-out, before or during the call
    CANCELLED = "cancelled"
    EXHAUSTED = "exhausted"  # an on-call rung tried as often as allowed: the next rung is called


class AttemptOutcome(enum.StrEnum):
    """How one call attempt ended."""

    PLACED = "placed"  # handed to the provider, no result yet
    COMPLETED = "completed"
    PARTIAL = "partial"  # answered, hung up part-way: the answers so far are kept
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    MACHINE = "machine"  # voicemail / answering machine
    FAILED = "failed"  # refused by the provider, or lost (a dialer died before placing it)
    OPTED_OUT = "opted_out"  # "press 9 never to be surveyed again"
    DECLINED = "declined"  # the person on call pressed 2: not coming


class TaskKind(enum.StrEnum):
    """What a follow-up task asks a person to do."""

    MANUAL_CALLBACK = "manual_callback"  # call the resident by hand: the dialer could not
    SUPERVISOR_FOLLOW_UP = "supervisor_follow_up"  # dissatisfied: 客服主管第二次回访
    SUPERVISOR_CALLBACK = "supervisor_callback"  # difficult issue: within 24 hours


class TaskStatus(enum.StrEnum):
    """Where a follow-up task stands."""

    OPEN = "open"
    DONE = "done"


class Campaign(Base):
    """A set of households to call for one purpose, started from the console."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    purpose: Mapped[JobPurpose] = mapped_column(enum_column(JobPurpose, 16))
    name: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")  # what a notice says
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, 12), default=CampaignStatus.DRAFT
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"Campaign(id={self.id!r}, purpose={self.purpose!r}, status={self.status!r})"


class OutboundJob(Base):
    """One household to reach for one purpose, tried until done or given to a person."""

    __tablename__ = "outbound_jobs"
    __table_args__ = (
        # The dialer's claim query: due scheduled jobs, earliest first.
        Index("ix_outbound_jobs_due", "status", "next_attempt_at"),
        # One survey per work order and reason (scheduling twice changes nothing).
        UniqueConstraint("work_order_id", "purpose", "reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[JobPurpose] = mapped_column(enum_column(JobPurpose, 16))
    reason: Mapped[str] = mapped_column(String(40), default="")  # which rule scheduled it
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    number: Mapped[str] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. amount and due date
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, 12), default=JobStatus.SCHEDULED
    )
    due_from: Mapped[dt.datetime]  # not called before
    due_by: Mapped[dt.datetime]  # the rule's deadline
    next_attempt_at: Mapped[dt.datetime]  # when a dialer may next try
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the dialer holding it
    claimed_until: Mapped[dt.datetime | None]  # a dead dialer's claim lapses then
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"OutboundJob(id={self.id!r}, purpose={self.purpose!r}, status={self.status!r})"


class OutboundAttempt(Base):
    """One call placed for a job: ``(job_id, seq)`` is placed by one dialer, once."""

    __tablename__ = "outbound_attempts"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("outbound_jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 …
    dialer: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    provider_call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[AttemptOutcome] = mapped_column(
        enum_column(AttemptOutcome, 12), default=AttemptOutcome.PLACED
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    placed_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"OutboundAttempt(job_id={self.job_id!r}, seq={self.seq!r}, {self.outcome!r})"


class SurveyResponse(Base):
    """What a resident answered on one survey call; kept even when they hung up part-way."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("outbound_jobs.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_attempts.id"), unique=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True)
    timeliness: Mapped[int | None] = mapped_column(SmallInteger)  # 1–5
    skill: Mapped[int | None] = mapped_column(SmallInteger)  # 1–5
    attitude: Mapped[int | None] = mapped_column(SmallInteger)  # 1–5
    solved: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")  # transcribed, when a model is set
    complete: Mapped[bool] = mapped_column(Boolean, default=False)  # every question answered
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # reports

    def __repr__(self) -> str:
        return f"SurveyResponse(job_id={self.job_id!r}, complete={self.complete!r})"


class FollowUpTask(Base):
    """Work for a person: a manual callback, or a supervisor's follow-up of a bad answer."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = (Index("ix_follow_up_tasks_open", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind, 24))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_jobs.id"), index=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[dt.datetime]
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, 8), default=TaskStatus.OPEN)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")  # what the person's call found
    done_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    done_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"FollowUpTask(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"
