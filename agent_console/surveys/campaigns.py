"""Campaigns (通知、催缴、亲情电话) from the console: the households chosen, one job each,
start, pause and cancel, and the figures of the progress page.

A campaign is created as a draft with its jobs; the dialer claims a campaign's jobs only
while the campaign is running.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from agent_console.surveys.exceptions import FormRejected
from models.audit import audit
from models.estate import Building, Community, Occupancy, Resident, ResidentRole, Unit
from models.outbound import (
    AttemptOutcome,
    Campaign,
    CampaignStatus,
    JobPurpose,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
)
from models.staff import Agent
from models.survey_policy import calling_window, may_call

CAMPAIGN_PURPOSES = (JobPurpose.NOTICE, JobPurpose.FEE_REMINDER, JobPurpose.SENIOR_CARE)
AUDIENCES = ("all", "buildings", "senior_care", "arrears")
DUE_WITHIN = dt.timedelta(days=7)  # a campaign's job is due within a week of its creation
ROLE_ORDER = {ResidentRole.OWNER: 0, ResidentRole.OCCUPANT: 1, ResidentRole.TENANT: 2,
              ResidentRole.FAMILY: 3}  # fmt: skip
# Which action moves a campaign from which statuses to which.
MOVES = {
    "start": ((CampaignStatus.DRAFT, CampaignStatus.PAUSED), CampaignStatus.RUNNING),
    "pause": ((CampaignStatus.RUNNING,), CampaignStatus.PAUSED),
    "cancel": (
        (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED),
        CampaignStatus.CANCELLED,
    ),
}
OPEN_JOBS = (JobStatus.SCHEDULED, JobStatus.CALLING)


@dataclasses.dataclass(frozen=True)
class Request:
    """What the new-campaign form asks for."""

    community: Community
    purpose: JobPurpose
    name: str
    message: str
    audience: str  # one of AUDIENCES, or "units" (an incident's households)
    building_ids: frozenset[int]
    unit_ids: frozenset[int] = frozenset()


def read_form(session: Session, form: Any, scope: Collection[int]) -> Request:
    """The form's campaign; FormRejected naming each wrong field."""
    errors: dict[str, str] = {}
    community_id = form.get("community", "")
    community = session.get(Community, int(community_id)) if community_id.isdigit() else None
    if community is None or community.id not in scope:
        errors["community"] = "required"
    purpose = next((p for p in CAMPAIGN_PURPOSES if p.value == form.get("purpose")), None)
    if purpose is None:
        errors["purpose"] = "unknown"
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "required"
    elif len(name) > 100:
        errors["name"] = "too_long"
    message = form.get("message", "").strip()
    if purpose is JobPurpose.NOTICE and not message:
        errors["message"] = "required"
    audience = form.get("audience", "")
    if audience not in AUDIENCES:
        errors["audience"] = "unknown"
    buildings = frozenset(int(b) for b in form.getlist("building") if b.isdigit())
    if audience == "buildings" and not buildings:
        errors["building"] = "required"
    if errors:
        raise FormRejected(errors)
    assert community is not None and purpose is not None
    return Request(community, purpose, name, message[:4000], audience, buildings)


@dataclasses.dataclass(frozen=True)
class Household:
    """The one resident called for a unit, and the number called."""

    unit_id: int
    resident: Resident
    number: str
    arrears_cents: int | None


def households(session: Session, request: Request) -> tuple[list[Household], int]:
    """The households the request chooses (one number each) and how many were left out
    (do-not-call, or no phone on file)."""
    query = (
        select(Occupancy)
        .join(Unit, Unit.id == Occupancy.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == request.community.id)
        .order_by(Occupancy.unit_id, Occupancy.id)
        .options(selectinload(Occupancy.resident).selectinload(Resident.phones))
    )
    if request.audience == "buildings":
        query = query.where(Building.id.in_(request.building_ids))
    if request.audience == "units":
        query = query.where(Unit.id.in_(request.unit_ids))
    by_unit: dict[int, list[Occupancy]] = {}
    for occupancy in session.scalars(query):
        by_unit.setdefault(occupancy.unit_id, []).append(occupancy)
    chosen, skipped = [], 0
    for unit_id, ties in by_unit.items():
        people = [o.resident for o in ties]
        if not _in_audience(request.audience, people):
            continue
        found = _who_to_call(request.purpose, ties)
        if found is None or not may_call(found[0], request.purpose):
            skipped += 1
            continue
        arrears = sum(p.arrears_cents or 0 for p in people) or None
        chosen.append(Household(unit_id, found[0], found[1], arrears))
    return chosen, skipped


def _in_audience(audience: str, people: list[Resident]) -> bool:
    if audience == "senior_care":
        return any(p.senior_care for p in people)
    if audience == "arrears":
        return any((p.arrears_cents or 0) > 0 for p in people)
    return True


def _who_to_call(purpose: JobPurpose, ties: list[Occupancy]) -> tuple[Resident, str] | None:
    """The household's primary resident with a phone (owner first) and their primary number;
    a senior-care call goes to the family: a member not enrolled, when one has a phone."""
    ordered = sorted(ties, key=lambda o: (ROLE_ORDER.get(o.role, 9), o.id))
    if purpose is JobPurpose.SENIOR_CARE:
        family = [o for o in ordered if not o.resident.senior_care]
        ordered = family + [o for o in ordered if o.resident.senior_care]
    for tie in ordered:
        phones = tie.resident.phones
        primary = next((p for p in phones if p.is_primary), phones[0] if phones else None)
        if primary is not None:
            return tie.resident, primary.e164
    return None


def create(
    session: Session, request: Request, agent: Agent, *, now: dt.datetime
) -> tuple[Campaign, int]:
    """A draft campaign with one scheduled job per household; how many households were left
    out. FormRejected when no household is left to call."""
    chosen, skipped = households(session, request)
    if not chosen:
        raise FormRejected({"audience": "empty"})
    campaign = Campaign(
        community_id=request.community.id, purpose=request.purpose, name=request.name,
        message=request.message, status=CampaignStatus.DRAFT, created_by=agent.id,
        created_at=now,
    )  # fmt: skip
    session.add(campaign)
    session.flush()
    first = calling_window(request.community, now)
    for household in chosen:
        session.add(_job(campaign, request, household, now, first))
    audit(session, action="create", subject_type="campaign", subject_id=campaign.id,
          agent_id=agent.id, households=len(chosen), skipped=skipped,
          audience=request.audience)  # fmt: skip
    return campaign, skipped


def _job(
    campaign: Campaign, request: Request, household: Household, now: dt.datetime,
    first: dt.datetime,
) -> OutboundJob:  # fmt: skip
    payload: dict[str, Any] = {"campaign": campaign.name}
    if request.purpose is JobPurpose.NOTICE:
        payload["message"] = request.message
    if request.purpose is JobPurpose.FEE_REMINDER and household.arrears_cents:
        payload["amount_cents"] = household.arrears_cents  # no due date on file
    return OutboundJob(
        purpose=request.purpose, reason=f"campaign:{campaign.id}",
        community_id=request.community.id, campaign_id=campaign.id,
        resident_id=household.resident.id, unit_id=household.unit_id, number=household.number,
        language=household.resident.language.value, payload=payload,
        status=JobStatus.SCHEDULED, due_from=now, due_by=now + DUE_WITHIN,
        next_attempt_at=first, created_at=now,
    )  # fmt: skip


def move(session: Session, campaign: Campaign, action: str, agent: Agent, now: dt.datetime) -> bool:
    """Start, pause or cancel ``campaign``; False when its status does not allow it.
    Cancelling cancels the jobs not yet done (a call in progress ends by itself)."""
    allowed, target = MOVES[action]
    if campaign.status not in allowed:
        return False
    campaign.status = target
    if target is CampaignStatus.RUNNING and campaign.started_at is None:
        campaign.started_at = now
    if target is CampaignStatus.CANCELLED:
        campaign.finished_at = now
        for job in session.scalars(
            select(OutboundJob).where(
                OutboundJob.campaign_id == campaign.id,
                OutboundJob.status == JobStatus.SCHEDULED,
            )
        ):
            job.status = JobStatus.CANCELLED
    audit(session, action="update", subject_type="campaign", subject_id=campaign.id,
          agent_id=agent.id, change=action)  # fmt: skip
    return True


def progress(session: Session, campaign: Campaign) -> dict[str, Any]:
    """The progress page's figures: jobs by status, attempts by outcome, completed %."""
    by_status = dict(
        session.execute(
            select(OutboundJob.status, func.count())
            .where(OutboundJob.campaign_id == campaign.id)
            .group_by(OutboundJob.status)
        ).all()
    )
    outcomes = dict(
        session.execute(
            select(OutboundAttempt.outcome, func.count())
            .join(OutboundJob, OutboundJob.id == OutboundAttempt.job_id)
            .where(OutboundJob.campaign_id == campaign.id)
            .group_by(OutboundAttempt.outcome)
        ).all()
    )
    total = sum(by_status.values())
    completed = by_status.get(JobStatus.COMPLETED, 0)
    failed = sum(n for o, n in outcomes.items() if o not in _GOOD)
    open_jobs = sum(by_status.get(s, 0) for s in OPEN_JOBS)
    return {
        "id": campaign.id,
        "status": campaign.status.value,
        "jobs": total,
        "by_status": {s.value: by_status.get(s, 0) for s in JobStatus},
        "attempts": sum(outcomes.values()),
        "outcomes": {o.value: outcomes.get(o, 0) for o in AttemptOutcome},
        "completed": completed,
        "completed_percent": round(100 * completed / total, 1) if total else 0.0,
        "failed_attempts": failed,
        "manual": by_status.get(JobStatus.MANUAL, 0),
        "open": open_jobs,
        "settled": total > 0 and open_jobs == 0,
    }


_GOOD = (AttemptOutcome.PLACED, AttemptOutcome.COMPLETED)


def listing(session: Session, scope: Collection[int]) -> list[tuple[Campaign, int, int]]:
    """The campaigns of ``scope``, newest first, with their job and completed counts."""
    campaigns = session.scalars(
        select(Campaign)
        .where(Campaign.community_id.in_(scope))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(200)
    ).all()
    counts: dict[tuple[int | None, JobStatus], int] = {
        (cid, status): n
        for cid, status, n in session.execute(
            select(OutboundJob.campaign_id, OutboundJob.status, func.count())
            .where(OutboundJob.campaign_id.in_([c.id for c in campaigns]))
            .group_by(OutboundJob.campaign_id, OutboundJob.status)
        ).all()
    }
    return [
        (
            c,
            sum(n for (cid, _), n in counts.items() if cid == c.id),
            counts.get((c.id, JobStatus.COMPLETED), 0),
        )
        for c in campaigns
    ]


def buildings(session: Session, scope: Collection[int]) -> list[Building]:
    """The buildings of the communities in ``scope``, for the form's choice."""
    return list(
        session.scalars(
            select(Building)
            .where(Building.community_id.in_(scope))
            .order_by(Building.community_id, Building.name)
        )
    )
