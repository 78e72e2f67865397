"""Repeated calls about the same unit and problem are kept with the open work order
instead of duplicating it, and the caller's screen-pop says so."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Call, CallEvent, Category, Direction, Status, WorkOrder
from models.base import utcnow
from tests.console.work_orders.conftest import Places, as_agent, open_order
from tests.console.work_orders.test_new import NEW, leak_form


def second_call(engine: Engine, places: Places) -> int:
    """Another call from the same resident, about the same unit, answered by agent1."""
    with Session(engine) as s:
        call = Call(
            provider="simulator", provider_call_id="CA" + "2" * 32, direction=Direction.INBOUND,
            community_id=places.sh01, unit_id=places.unit, resident_id=places.resident,
            caller_e164="+8613800138000", agent_id=places.agents["agent1"],
        )  # fmt: skip
        s.add(call)
        s.commit()
        return call.id


def orders(engine: Engine, places: Places) -> int:
    """Orders of 阳光花园 (the estate has one in 翠湖苑 besides)."""
    with Session(engine) as s:
        query = select(func.count(WorkOrder.id)).where(WorkOrder.community_id == places.sh01)
        return s.scalar(query) or 0


def links(engine: Engine, call_id: int) -> list[dict]:
    with Session(engine) as s:
        query = select(CallEvent.data).where(
            CallEvent.call_id == call_id, CallEvent.kind == "work_order.linked"
        )
        return list(s.scalars(query))


def leak_order(engine: Engine, places: Places, **kw: object) -> int:
    return open_order(
        engine, places.sh01, "agent1", Category.REPAIR, subcategory="leak", unit_id=places.unit,
        **kw,
    )  # fmt: skip


def test_a_repeated_call_about_the_same_leak_is_linked_to_the_open_order(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    first = leak_order(engine, places)
    again = second_call(engine, places)
    token = as_agent(client, "agent1")
    response = client.post(NEW, data=leak_form(token, places, call=str(again)))
    assert response.status_code == 303
    assert response.location == f"/console/work-orders/{first}"
    assert orders(engine, places) == 1
    with Session(engine) as s:
        number = s.get_one(WorkOrder, first).number
    assert links(engine, again) == [
        {"work_order_id": first, "number": number, "agent_id": places.agents["agent1"]}
    ]
    page = client.get(response.location).get_data(as_text=True)
    assert "本次来电已关联到该工单" in page
    card = client.get(f"/console/desk/calls/{again}/card").get_data(as_text=True)
    assert 'data-link="work_order"' in card and number in card


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"subcategory": "lift"}, "another problem"),
        (
            {
                "category": "complaint",
                "subcategory": "service",
                "severity": "minor",
                "complaint_type": "valid",
            },
            "another kind of request",
        ),  # fmt: skip
    ],
)
def test_another_problem_of_the_same_unit_opens_a_new_order(
    client: FlaskClient, places: Places, engine: Engine, changes: dict[str, str], why: str
) -> None:
    leak_order(engine, places)
    again = second_call(engine, places)
    token = as_agent(client, "agent1")
    response = client.post(NEW, data=leak_form(token, places, call=str(again), **changes))
    assert response.status_code == 303, (why, response.get_data(as_text=True))
    assert orders(engine, places) == 2 and links(engine, again) == []


def test_an_order_older_than_the_window_or_finished_is_not_joined(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    leak_order(engine, places, now=utcnow() - dt.timedelta(hours=25))
    done = leak_order(engine, places)
    with Session(engine) as s:
        s.get_one(WorkOrder, done).status = Status.COMPLETED
        s.commit()
    again = second_call(engine, places)
    token = as_agent(client, "agent1")
    client.post(NEW, data=leak_form(token, places, call=str(again)))
    assert orders(engine, places) == 3 and links(engine, again) == []


def test_a_window_of_zero_never_links(
    app, client: FlaskClient, places: Places, engine: Engine
) -> None:
    app.config["HOTLINE"] = dataclasses.replace(app.config["HOTLINE"], repeat_call_window_minutes=0)
    leak_order(engine, places)
    again = second_call(engine, places)
    token = as_agent(client, "agent1")
    client.post(NEW, data=leak_form(token, places, call=str(again)))
    assert orders(engine, places) == 2 and links(engine, again) == []


def test_without_a_call_the_agent_opens_the_order_as_asked(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    leak_order(engine, places)
    token = as_agent(client, "agent1")
    form = leak_form(token, places)
    del form["call"]
    client.post(NEW, data=form)
    assert orders(engine, places) == 2
