"""The wallboard's emergencies on call: who is being called, who accepted and when, live."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from agent_console.wallboard.stream import changes
from hotline.bus import InProcessBus
from models import Community
from models.oncall import Escalation, EscalationStatus
from tests.console.wallboard.builders import at, work_order

AsAgent = Callable[[str], FlaskClient]
LADDER = [
    {"name": "李师傅", "phone": "+8613900000001", "technician_id": None, "role": "first"},
    {"name": "陈主管", "phone": "+8613900000009", "technician_id": None, "role": "supervisor"},
]


def escalation(db: Session, community_id: int, status: EscalationStatus, **more: object) -> None:
    order_id = work_order(db, db.get_one(Community, community_id), at(3600))
    db.add(
        Escalation(
            work_order_id=order_id,
            community_id=community_id,
            trade="plumbing",
            status=status,
            ladder=LADDER,
            created_at=more.pop("created_at", at(-120)),
            updated_at=more.pop("updated_at", at(-60)),
            **more,
        )
    )
    db.commit()


def test_the_board_shows_who_is_called_and_who_accepted(
    as_agent: AsAgent, db: Session, estate: dict[str, int]
) -> None:
    escalation(db, estate["SH01"], EscalationStatus.CALLING, rung=1)
    escalation(
        db,
        estate["SH02"],
        EscalationStatus.ACCEPTED,
        accepted_name="李师傅",
        accepted_at=at(-30),
        created_at=at(-90),
    )
    escalation(  # ended two hours ago: off the board
        db, estate["SH01"], EscalationStatus.EXHAUSTED, created_at=at(-9000), updated_at=at(-7200)
    )

    data = as_agent("supervisor1").get("/console/wallboard/data.json").get_json()

    rows = [(e["status"], e["person"], e["trade"], e["accepted"]) for e in data["escalations"]]
    assert rows == [
        ("accepted", "李师傅", "水暖", "09:59:30"),
        ("calling", "陈主管", "水暖", ""),
    ]
    assert data["escalations"][0]["status_text"] == "已接单"


def test_another_communitys_emergencies_are_not_on_the_board(
    as_agent: AsAgent, db: Session, estate: dict[str, int]
) -> None:
    escalation(db, estate["SH03"], EscalationStatus.CALLING)
    data = as_agent("supervisor1").get("/console/wallboard/data.json").get_json()
    assert data["escalations"] == []


def test_an_acceptance_nudges_the_board_at_once() -> None:
    bus = InProcessBus()
    stream = changes(bus, heartbeat=5.0, quiet=0.0)
    assert next(stream).startswith("retry:")
    bus.publish("oncall.accepted", {"work_order_id": 1, "community_id": 1})
    assert next(stream) == "event: changed\ndata: {}\n\n"
    stream.close()
