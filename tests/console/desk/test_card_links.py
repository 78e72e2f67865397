"""The screen-pop card's links: the incident a call stayed with, a guard asked for, the open
order a repeated call joined (read from the call's events)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from agent_console.desk.card import call_links
from models import Call, CallEvent, Direction, Incident, IncidentScope
from tests import factories


def test_the_links_are_read_from_the_calls_events_in_order(session: Session) -> None:
    community = factories.community(session)
    incident = Incident(
        community_id=community.id, scope=IncidentScope.COMMUNITY, title="停水", message="停水"
    )
    call = Call(provider="asterisk", provider_call_id="1.1", direction=Direction.INBOUND)
    session.add_all([incident, call])
    session.flush()
    for kind, data in (
        ("call.started", {}),
        ("call.incident", {"incident_ids": [incident.id], "unit_id": None}),
        ("call.guard_requested", {"unit_id": 5}),
        ("work_order.linked", {"work_order_id": 9, "number": "SH01-2026-000009"}),
    ):
        session.add(CallEvent(call_id=call.id, kind=kind, data=data))
    session.commit()
    assert call_links(session, call.id) == [
        {"kind": "incident", "id": incident.id, "title": "停水"},
        {"kind": "guard", "unit_id": 5},
        {"kind": "work_order", "id": 9, "number": "SH01-2026-000009"},
    ]
    assert call_links(session, call.id + 1) == []
