"""Emergencies the IVR takes after hours become work orders, and their ladders are called in
the same dialer round; in business hours the agent who takes the call opens the order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from ivr.outbound.recording import RecordingProvider
from models import Call, CallEvent, Direction, WorkOrder
from models.db import session_factory
from models.oncall import Escalation
from models.work_orders import Category, Location
from tests.oncall.estate import FIRST, NOW, RESIDENT, estate


def _emergency_call(
    session: Session, ids: dict[str, int], at: dt.datetime, data: dict[str, Any]
) -> int:
    call = Call(
        provider="twilio",
        provider_call_id=f"CA{at.timestamp():032.0f}",
        direction=Direction.INBOUND,
        caller_number=RESIDENT,
        caller_e164=RESIDENT,
        community_id=ids["community"],
        unit_id=ids["unit"],
        resident_id=ids["resident"],
        started_at=at,
        disposition="sent_to_on_call",
    )
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, at=at, kind="call.emergency", data=data))
    session.commit()
    return call.id


def _dialer(engine: Engine, published: list[str], now: dt.datetime) -> Dialer:
    return Dialer(
        sessions=session_factory(engine),
        provider=RecordingProvider(),
        pacer=Pacer(1000.0),
        name="dialer-a",
        clock=lambda: now,
        publish=lambda topic, payload: published.append(topic),
    )


def test_an_after_hours_emergency_call_opens_an_order_and_its_first_call_in_one_round(
    session: Session, engine: Engine
) -> None:
    ids = estate(session)  # 03:00 in Shanghai: the centre opens at 08:30
    call_id = _emergency_call(session, ids, NOW, {"kind": "burst_pipe", "unit_id": ids["unit"]})
    published: list[str] = []
    dialer = _dialer(engine, published, NOW + dt.timedelta(seconds=1))

    assert [c.number for c in dialer.run_once()] == [FIRST]
    assert dialer.run_once() == []  # opened once: the next round finds the order

    order = session.scalars(select(WorkOrder)).one()
    assert (order.category, order.subcategory, order.call_id) == (
        Category.EMERGENCY,
        "burst_pipe",
        call_id,
    )
    assert (order.unit_id, order.resident_id, order.owner_agent_id) == (
        ids["unit"],
        ids["resident"],
        None,
    )
    assert session.scalars(select(Escalation.work_order_id)).one() == order.id
    assert published == ["oncall.started"]


def test_an_emergency_with_no_unit_is_opened_in_a_common_area_of_kind_other(
    session: Session, engine: Engine
) -> None:
    ids = estate(session)
    _emergency_call(session, ids, NOW, {"kind": None, "unit_id": None})
    with session_factory(engine)() as s:
        s.execute(Call.__table__.update().values(unit_id=None))  # type: ignore[attr-defined]
        s.commit()

    _dialer(engine, [], NOW).run_once()

    order = session.scalars(select(WorkOrder)).one()
    assert (order.subcategory, order.location, order.unit_id) == (
        "other",
        Location.COMMON_AREA,
        None,
    )


def test_in_business_hours_the_agent_opens_the_order_not_the_dialer(
    session: Session, engine: Engine
) -> None:
    ids = estate(session)
    ten_local = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    _emergency_call(session, ids, ten_local, {"kind": "burst_pipe", "unit_id": ids["unit"]})

    assert _dialer(engine, [], ten_local).run_once() == []
    assert session.scalars(select(WorkOrder)).all() == []


def test_an_emergency_older_than_the_window_is_left_to_people(
    session: Session, engine: Engine
) -> None:
    ids = estate(session)
    _emergency_call(session, ids, NOW, {"kind": "fire", "unit_id": ids["unit"]})

    assert _dialer(engine, [], NOW + dt.timedelta(hours=2)).run_once() == []
    assert session.scalars(select(WorkOrder)).all() == []
