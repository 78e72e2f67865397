"""Incidents (突发事件) in the console: the declare form, declaring, closing, the pages' rows.

Declared by an agent or a supervisor for a community, some of its buildings, or units
typed as addresses; the status message is synthesised (or its recording converted) for
Asterisk at once. Closing may start a notice campaign to the affected households
(the dialer's notice campaign, :mod:`agent_console.surveys.campaigns`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.incidents.exceptions import FormRejected
from agent_console.surveys import campaigns
from agent_console.surveys.exceptions import FormRejected as CampaignRejected
from agent_console.work_orders.services import find_unit
from models.audit import audit
from models.calls import Call, CallEvent
from models.estate import Building, Community, Unit
from models.incidents import MAX_MESSAGE, Incident, IncidentScope, IncidentStatus, affected_units
from models.outbound import Campaign, JobPurpose
from models.staff import Agent

MAX_TITLE = 100
MAX_UNITS = 500
LINKED = "call.incident"  # the CallEvent of a call that stayed with an incident's notice
_ADDRESS = re.compile(r"[\s\-/栋单元室#]+")


@dataclasses.dataclass(frozen=True)
class Declaration:
    """What the declare form asks for."""

    community: Community
    scope: IncidentScope
    title: str
    message: str
    message_en: str
    buildings: list[Building]
    units: list[Unit]


def read_form(session: Session, form: Any, scope: Collection[int]) -> Declaration:
    """The incident the form declares; FormRejected naming each wrong field."""
    errors: dict[str, str] = {}
    chosen = form.get("community", "")
    community = session.get(Community, int(chosen)) if chosen.isdigit() else None
    if community is None or community.id not in scope:
        raise FormRejected({"community": "required"})
    kind = next((s for s in IncidentScope if s.value == form.get("scope")), None)
    if kind is None:
        errors["scope"] = "unknown"
    title = form.get("title", "").strip()
    message, message_en = form.get("message", "").strip(), form.get("message_en", "").strip()
    for field, text, limit in (("title", title, MAX_TITLE), ("message", message, MAX_MESSAGE)):
        if not text:
            errors[field] = "required"
        elif len(text) > limit:
            errors[field] = "too_long"
    if len(message_en) > MAX_MESSAGE:
        errors["message_en"] = "too_long"
    buildings = _buildings(session, community, form.getlist("building"))
    units, unknown = _units(session, community, form.get("units", ""))
    if kind is IncidentScope.BUILDINGS and not buildings:
        errors["building"] = "required"
    if kind is IncidentScope.UNITS and (unknown or not units):
        errors["units"] = "not_found" if unknown else "required"
    if len(units) > MAX_UNITS:
        errors["units"] = "too_many"
    if errors:
        raise FormRejected(errors)
    assert kind is not None
    return Declaration(
        community, kind, title, message, message_en,
        buildings if kind is IncidentScope.BUILDINGS else [],
        units if kind is IncidentScope.UNITS else [],
    )  # fmt: skip


def _buildings(session: Session, community: Community, ids: list[str]) -> list[Building]:
    wanted = [int(i) for i in ids if i.isdigit()]
    if not wanted:
        return []
    query = select(Building).where(Building.id.in_(wanted), Building.community_id == community.id)
    return list(session.scalars(query.order_by(Building.name)))


def _units(session: Session, community: Community, text: str) -> tuple[list[Unit], list[str]]:
    """The units typed one per line (``3-1502``, ``3-2-1502`` or ``3栋2单元1502``), and the
    lines that name no unit of the community."""
    found: dict[int, Unit] = {}
    unknown: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        parts = [p for p in _ADDRESS.split(line) if p]
        unit = None
        if len(parts) in (2, 3):
            entrance = parts[1] if len(parts) == 3 else ""
            unit = find_unit(session, community.id, parts[0], entrance, parts[-1])
        if unit is None:
            unknown.append(line)
        else:
            found.setdefault(unit.id, unit)
    return list(found.values()), unknown


def declare(session: Session, wanted: Declaration, agent: Agent, *, now: dt.datetime) -> Incident:
    """A new open incident, audited (flushed, not committed)."""
    incident = Incident(
        community_id=wanted.community.id, scope=wanted.scope, title=wanted.title,
        message=wanted.message, message_en=wanted.message_en, status=IncidentStatus.OPEN,
        declared_by=agent.id, declared_at=now, buildings=wanted.buildings, units=wanted.units,
    )  # fmt: skip
    session.add(incident)
    session.flush()
    audit(
        session,
        action="declare",
        subject_type="incident",
        subject_id=incident.id,
        agent_id=agent.id,
        community_id=wanted.community.id,
        scope=wanted.scope.value,
        buildings=[b.id for b in wanted.buildings],
        units=[u.id for u in wanted.units],
    )
    return incident


def close(
    session: Session, incident: Incident, agent: Agent, *, now: dt.datetime, notify: str = ""
) -> tuple[Campaign | None, int]:
    """Close ``incident``; with ``notify`` (the notice's words), start a notice campaign to
    the affected households. The campaign (or None) and how many households were left out.
    """
    incident.status = IncidentStatus.CLOSED
    incident.closed_by, incident.closed_at = agent.id, now
    campaign, skipped = None, 0
    if notify.strip():
        campaign, skipped = _notice(session, incident, agent, notify.strip(), now)
        incident.notice_campaign_id = campaign.id if campaign else None
    audit(session, action="close", subject_type="incident", subject_id=incident.id,
          agent_id=agent.id, notice_campaign_id=incident.notice_campaign_id)  # fmt: skip
    return campaign, skipped


def _notice(
    session: Session, incident: Incident, agent: Agent, words: str, now: dt.datetime
) -> tuple[Campaign | None, int]:
    community = session.get_one(Community, incident.community_id)
    request = campaigns.Request(
        community=community, purpose=JobPurpose.NOTICE, name=incident.title[:100],
        message=words[:4000], audience="units",
        building_ids=frozenset(), unit_ids=frozenset(affected_units(session, incident)),
    )  # fmt: skip
    try:
        campaign, skipped = campaigns.create(session, request, agent, now=now)
    except CampaignRejected:
        return None, 0  # no household with a phone to call
    campaigns.move(session, campaign, "start", agent, now)
    return campaign, skipped


@dataclasses.dataclass(frozen=True)
class Row:
    """One incident as the list shows it, with the calls linked to it."""

    incident: Incident
    community: Community
    linked_calls: int


def listing(session: Session, scope: Collection[int], *, open_only: bool = False) -> list[Row]:
    """The incidents of the communities in ``scope``: open ones first, newest first."""
    query = select(Incident, Community).join(Community, Community.id == Incident.community_id)
    query = query.where(Incident.community_id.in_(scope))
    if open_only:
        query = query.where(Incident.status == IncidentStatus.OPEN)
    query = query.order_by(Incident.status.desc(), Incident.declared_at.desc()).limit(200)
    found = session.execute(query).all()
    counts = linked_counts(session, [incident.community_id for incident, _ in found])
    return [Row(i, c, counts.get(i.id, 0)) for i, c in found]


def linked_counts(session: Session, community_ids: list[int]) -> dict[int, int]:
    """Incident id → how many calls stayed with its notice (linked to it)."""
    if not community_ids:
        return {}
    rows = session.scalars(
        select(CallEvent.data)
        .join(Call, Call.id == CallEvent.call_id)
        .where(CallEvent.kind == LINKED, Call.community_id.in_(set(community_ids)))
    )
    counts: dict[int, int] = {}
    for data in rows:
        for incident_id in (data or {}).get("incident_ids", []):
            counts[incident_id] = counts.get(incident_id, 0) + 1
    return counts


def linked_calls(session: Session, incident: Incident, limit: int = 100) -> list[Call]:
    """The calls linked to ``incident``, newest first."""
    rows = session.execute(
        select(Call, CallEvent.data)
        .join(CallEvent, CallEvent.call_id == Call.id)
        .where(CallEvent.kind == LINKED, Call.community_id == incident.community_id)
        .order_by(Call.started_at.desc())
    ).all()
    return [c for c, data in rows if incident.id in (data or {}).get("incident_ids", [])][:limit]


def households(session: Session, incident: Incident) -> int:
    """How many units the incident concerns."""
    return len(affected_units(session, incident))


def communities(session: Session, scope: Collection[int]) -> list[Community]:
    return list(
        session.scalars(select(Community).where(Community.id.in_(scope)).order_by(Community.code))
    )
