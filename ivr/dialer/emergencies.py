"""Emergencies the IVR took after hours: each becomes an emergency work order, whose
on-call ladder the dialer then calls (:mod:`models.escalation`).

The inbound flow logs ``call.emergency`` (kind, unit) on every emergency call; in
business hours an agent takes the call and opens the order. Out of hours nobody may,
so each dialer round, inside the claim's serialising transaction (PostgreSQL's
advisory lock, SQLite's IMMEDIATE transaction: one dialer at a time), the
``call.emergency`` events of the last :data:`LOOKBACK` whose call has no emergency
order yet and whose community was closed at that moment get one: owned by nobody
(the IVR opened it), linked to the call, its unit and resident. The event is the
record, so an IVR or dialer that died, or a call spooled while the database was
out, is caught up at the next round within the window.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ivr.flow.context import BusinessHours
from ivr.flow.policy import open_at
from models.calls import Call, CallEvent
from models.estate import Community
from models.work_order_catalogue import find
from models.work_order_flow import OrderDetails, open_work_order
from models.work_orders import Category, Location, WorkOrder

log = logging.getLogger(__name__)

EMERGENCY_EVENT = "call.emergency"
LOOKBACK = dt.timedelta(hours=1)
DESCRIPTION = "IVR 非工作时间紧急来电 / emergency call to the IVR after hours"
NO_PLACE = "来电未说明房屋 / place not given on the call"


def hours_of(community: Community) -> BusinessHours:
    """The community's business hours as the inbound flow reads them."""
    return BusinessHours(
        open=community.opens_at.strftime("%H:%M"),
        close=community.closes_at.strftime("%H:%M"),
        weekdays=[int(d) for d in community.business_days],
    )


def open_after_hours(session: Session, *, now: dt.datetime) -> list[WorkOrder]:
    """An emergency order for each after-hours emergency call without one; flushed."""
    missing = (
        select(CallEvent, Call)
        .join(Call, Call.id == CallEvent.call_id)
        .outerjoin(
            WorkOrder,
            and_(WorkOrder.call_id == Call.id, WorkOrder.category == Category.EMERGENCY),
        )
        .where(
            CallEvent.kind == EMERGENCY_EVENT,
            CallEvent.at >= now - LOOKBACK,
            Call.community_id.is_not(None),
            WorkOrder.id.is_(None),
        )
        .order_by(CallEvent.at, CallEvent.id)
    )
    opened: list[WorkOrder] = []
    seen: set[int] = set()
    for event, call in session.execute(missing).all():
        if call.id in seen:
            continue
        seen.add(call.id)
        community = session.get_one(Community, call.community_id)
        local = event.at.astimezone(ZoneInfo(community.timezone))
        if open_at(hours_of(community), local):
            continue  # in business hours an agent opens the order
        opened.append(_open(session, community, call, event, now))
    return opened


def _open(
    session: Session, community: Community, call: Call, event: CallEvent, now: dt.datetime
) -> WorkOrder:
    data = event.data or {}
    kind = str(data.get("kind") or "other")
    if find(Category.EMERGENCY, kind) is None:
        kind = "other"
    unit_id = data.get("unit_id") or call.unit_id
    details = OrderDetails(
        category=Category.EMERGENCY,
        subcategory=kind,
        description=DESCRIPTION,
        unit_id=unit_id if isinstance(unit_id, int) else None,
        resident_id=call.resident_id,
        location=Location.IN_UNIT if isinstance(unit_id, int) else Location.COMMON_AREA,
        location_detail="" if isinstance(unit_id, int) else NO_PLACE,
    )
    order = open_work_order(session, community, details, agent_id=None, call_id=call.id, now=now)
    log.info("call %s: after-hours emergency %s opened as %s", call.id, kind, order.number)
    return order
