"""Reading the audit log (审计日志): which entries a supervisor may see, filtered and paged.

Who sees what:

- an administrator sees every entry;
- a supervisor sees an entry when its *subject* belongs to a community they
  serve — a work order, call, callback request, unit, building, team or
  technician of it, a resident living in it (a resident of two communities is
  seen by the supervisors of both), a phone number of such a resident, an agent
  serving it, or the community itself (:data:`ALIASES` names other spellings:
  ``call_recording`` is its call). The subject decides, not who acted: an
  agent serving two communities leaves entries each community's supervisor
  sees only for their own community;
- an entry whose subject has no community here (a subject type not listed in
  :data:`SUBJECTS`, or none) is seen by the supervisors of the communities its
  agent serves; with neither, by administrators only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import Session

from models import (
    Agent,
    AuditLog,
    Building,
    Call,
    CallbackRequest,
    Occupancy,
    PhoneNumber,
    Team,
    Technician,
    Unit,
    WorkOrder,
    agent_communities,
)

PER_PAGE = 50
Scope = Collection[int]


def _residents(scope: Scope) -> Select[Any]:
    return (
        select(Occupancy.resident_id)
        .join(Unit, Unit.id == Occupancy.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id.in_(scope))
    )


def _subject_ids(subject_type: str, scope: Scope) -> Select[Any] | None:
    """The ids (as text) of the subjects of ``subject_type`` in ``scope``'s communities.

    None for a type this module does not place (``community`` is compared directly).
    """
    queries: dict[str, Callable[[], Select[Any]]] = {
        "work_order": lambda: select(cast(WorkOrder.id, String)).where(
            WorkOrder.community_id.in_(scope)
        ),
        "call": lambda: select(cast(Call.id, String)).where(Call.community_id.in_(scope)),
        "callback_request": lambda: select(cast(CallbackRequest.id, String)).where(
            CallbackRequest.community_id.in_(scope)
        ),
        "unit": lambda: (
            select(cast(Unit.id, String))
            .join(Building, Building.id == Unit.building_id)
            .where(Building.community_id.in_(scope))
        ),
        "building": lambda: select(cast(Building.id, String)).where(
            Building.community_id.in_(scope)
        ),
        "team": lambda: select(cast(Team.id, String)).where(Team.community_id.in_(scope)),
        "technician": lambda: (
            select(cast(Technician.id, String))
            .join(Team, Team.id == Technician.team_id)
            .where(Team.community_id.in_(scope))
        ),
        "resident": lambda: select(cast(_residents(scope).subquery().c.resident_id, String)),
        "phone_number": lambda: select(cast(PhoneNumber.id, String)).where(
            PhoneNumber.resident_id.in_(_residents(scope))
        ),
        "agent": lambda: select(cast(agent_communities.c.agent_id, String)).where(
            agent_communities.c.community_id.in_(scope)
        ),
    }
    make = queries.get(subject_type)
    return make() if make else None


SUBJECTS = (
    "work_order",
    "call",
    "callback_request",
    "unit",
    "building",
    "team",
    "technician",
    "resident",
    "phone_number",
    "agent",
    "community",
)
ALIASES = {
    "callback": "callback_request",
    "call_recording": "call",  # agent_console.recordings: a call's recording played
    "phone": "phone_number",
    "order": "work_order",
}


def visible(scope: Scope | None) -> ColumnElement[bool]:
    """The condition on AuditLog rows a viewer with ``scope`` may see (None: every row)."""
    if scope is None:
        return true()
    if not scope:
        return false()
    known = list(SUBJECTS) + list(ALIASES)
    clauses: list[ColumnElement[bool]] = []
    for name in known:
        if name == "community":
            ids = [str(i) for i in scope]
            clauses.append(and_(AuditLog.subject_type == name, AuditLog.subject_id.in_(ids)))
            continue
        ids_query = _subject_ids(ALIASES.get(name, name), scope)
        assert ids_query is not None
        clauses.append(and_(AuditLog.subject_type == name, AuditLog.subject_id.in_(ids_query)))
    their_agents = select(agent_communities.c.agent_id).where(
        agent_communities.c.community_id.in_(scope)
    )
    unplaced = or_(AuditLog.subject_type.not_in(known), AuditLog.subject_id.is_(None))
    clauses.append(and_(unplaced, AuditLog.agent_id.in_(their_agents)))
    return or_(*clauses)


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the viewer asked for; empty fields filter nothing."""

    agent_id: int | None = None
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    date_from: dt.date | None = None  # inclusive, on the viewer's clock
    date_to: dt.date | None = None  # inclusive
    page: int = 1


def _conditions(filters: Filters, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.agent_id is not None:
        found.append(AuditLog.agent_id == filters.agent_id)
    if filters.action:
        found.append(AuditLog.action == filters.action)
    if filters.subject_type:
        found.append(AuditLog.subject_type == filters.subject_type)
    if filters.subject_id:
        found.append(AuditLog.subject_id == filters.subject_id)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time(0), tzinfo=zone)
        found.append(AuditLog.at >= start.astimezone(dt.UTC))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        found.append(AuditLog.at < end.astimezone(dt.UTC))
    return found


@dataclasses.dataclass
class Page:
    """One page of entries, newest first, with each entry's agent."""

    rows: list[tuple[AuditLog, Agent | None]]
    total: int
    page: int
    pages: int


def entries(
    session: Session,
    filters: Filters,
    scope: Scope | None,
    zone: ZoneInfo,
    per_page: int = PER_PAGE,
) -> Page:
    """The entries ``scope`` may see that match ``filters``, one page of them."""
    where = [visible(scope), *_conditions(filters, zone)]
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    rows = session.execute(
        select(AuditLog, Agent)
        .outerjoin(Agent, Agent.id == AuditLog.agent_id)
        .where(*where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page([(log, agent) for log, agent in rows], total, page, pages)


def choices(session: Session, scope: Scope | None) -> tuple[list[Agent], list[str], list[str]]:
    """The agents, actions and subject types the filters offer to a viewer with ``scope``."""
    seen = visible(scope)
    actions = session.scalars(
        select(AuditLog.action).where(seen).distinct().order_by(AuditLog.action)
    )
    types = session.scalars(
        select(AuditLog.subject_type).where(seen).distinct().order_by(AuditLog.subject_type)
    )
    query = select(Agent).order_by(Agent.name)
    if scope is not None:
        serving = select(agent_communities.c.agent_id).where(
            agent_communities.c.community_id.in_(scope)
        )
        query = query.where(Agent.id.in_(serving))
    return list(session.scalars(query)), list(actions), list(types)
