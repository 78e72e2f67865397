"""The new-order form: filled in from the call, checked, and saved with the ledger's number."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hotline.bus import BusUnavailable
from models import Category, ComplaintType, Location, Severity, Status, WorkOrder, WorkOrderChange
from tests.console.work_orders.conftest import Places, as_agent, order_of

NEW = "/console/work-orders/new"


def leak_form(token: str, places: Places, **changes: str) -> dict[str, Any]:
    form = {
        "csrf_token": token,
        "call": str(places.call),
        "unit": str(places.unit),
        "resident": str(places.resident),
        "category": "repair",
        "subcategory": "leak",
        "description": "厨房水管漏水",
        "location": "in_unit",
    }
    return form | changes


def count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(WorkOrder)) or 0


def test_the_form_from_a_call_shows_its_community_unit_and_resident(
    client: FlaskClient, places: Places
) -> None:
    as_agent(client, "agent1")
    page = client.get(f"{NEW}?call={places.call}").get_data(as_text=True)
    assert '<strong class="unit">3栋2单元1502</strong>' in page
    assert '<strong class="resident">李明</strong>' in page
    assert '<strong class="community">SH01 阳光花园</strong>' in page
    assert f'name="call" value="{places.call}"' in page
    assert 'name="community"' not in page  # the call decides the community


def test_opening_from_a_call_keeps_call_unit_resident_owner_and_first_change(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
    response = client.post(NEW, data=leak_form(token, places, paid="1"))
    assert response.status_code == 303
    with Session(engine) as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.call_id == places.call)).one()
        assert response.location == f"/console/work-orders/{order.id}"
        assert (order.number, order.unit_id, order.resident_id, order.paid) == (
            f"SH01-{year}-000001",
            places.unit,
            places.resident,
            True,
        )
        assert order.owner_agent_id == places.agents["agent1"]
        assert order.dispatch_due_at is not None
        assert order.dispatch_due_at - order.created_at == dt.timedelta(minutes=5)
        change = s.scalars(
            select(WorkOrderChange).where(WorkOrderChange.work_order_id == order.id)
        ).one()
        assert (change.to_status, change.agent_id) == (Status.OPEN, places.agents["agent1"])
    page = client.get(response.location).get_data(as_text=True)
    assert order.number in page and "厨房水管漏水" in page and "+86 138****8000" in page


def test_two_orders_take_consecutive_numbers(client: FlaskClient, places: Places) -> None:
    token = as_agent(client, "agent1")
    numbers = []
    for problem in ("leak", "lift"):  # the same problem again would join the first order
        response = client.post(NEW, data=leak_form(token, places, subcategory=problem))
        numbers.append(client.get(response.location + ".json").get_json()["number"])
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["000001", "000002"]


def test_opening_publishes_an_event_after_commit(
    app: Flask, client: FlaskClient, places: Places
) -> None:
    token = as_agent(client, "agent1")
    with app.extensions["hotline.bus"].subscribe("work_order.*") as events:
        client.post(NEW, data=leak_form(token, places))
        event = events.get(timeout=2)
    assert event is not None and event.topic == "work_order.created"
    assert event.payload["status"] == "open"
    assert event.payload["owner_agent_id"] == places.agents["agent1"]
    assert event.payload["community_id"] == places.sh01
    assert event.payload["due_at"].endswith("+00:00")


def test_a_bus_failure_is_logged_and_the_order_still_opened(
    app: Flask, client: FlaskClient, places: Places, engine: Engine
) -> None:
    class DownBus:
        def publish(self, topic: str, payload: dict[str, Any]) -> None:
            raise BusUnavailable("Redis is down")

    real = app.extensions["hotline.bus"]
    app.extensions["hotline.bus"] = DownBus()
    try:
        token = as_agent(client, "agent1")
        response = client.post(NEW, data=leak_form(token, places))
    finally:
        app.extensions["hotline.bus"] = real
    assert response.status_code == 303 and count(engine) == 2


def test_wrong_fields_show_the_form_again_with_messages_and_the_values(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    response = client.post(
        NEW,
        data=leak_form(token, places, description=" ", subcategory="fire", building="9"),
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and count(engine) == 1
    assert '<span class="error" data-error="description">Required.</span>' in page
    assert '<span class="error" data-error="subcategory">Choose one of the list.</span>' in page
    assert f'name="call" value="{places.call}"' in page  # still tied to the call


def test_a_complaint_needs_severity_and_type(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    form = leak_form(token, places, category="complaint", subcategory="service")
    page = client.post(NEW, data=form, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-error="severity">Required.' in page
    assert 'data-error="complaint_type">Required.' in page
    assert count(engine) == 1
    response = client.post(NEW, data=form | {"severity": "major", "complaint_type": "venting"})
    assert response.status_code == 303
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert (order.severity, order.complaint_type) == (Severity.MAJOR, ComplaintType.VENTING)
    assert order.due_at is not None
    assert order.due_at - order.created_at == dt.timedelta(days=10)


def test_severity_sent_with_a_repair_is_ignored(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    response = client.post(NEW, data=leak_form(token, places, severity="major"))
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert order.severity is None and order.category is Category.REPAIR


def test_the_appointment_window_is_read_in_the_communitys_time(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    window = {"appointment_from": "2030-06-01T14:00", "appointment_to": "2030-06-01T16:30"}
    response = client.post(NEW, data=leak_form(token, places, **window))
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert order.appointment_from == dt.datetime(2030, 6, 1, 6, 0, tzinfo=dt.UTC)
    assert order.appointment_to == dt.datetime(2030, 6, 1, 8, 30, tzinfo=dt.UTC)
    assert order.due_at == order.appointment_to  # later than the 24 hours
    page = client.get(response.location).get_data(as_text=True)
    assert "2030-06-01 14:00 – 2030-06-01 16:30" in page


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"appointment_from": "2030-06-01T14:00"}, "Give both the start and the end"),
        (
            {"appointment_from": "2030-06-01T14:00", "appointment_to": "2030-06-01T13:00"},
            "end after",
        ),
        ({"appointment_from": "tomorrow", "appointment_to": "2030-06-01T13:00"}, "Not a valid"),
    ],
)
def test_a_wrong_window_is_refused(
    client: FlaskClient, places: Places, engine: Engine, window: dict[str, str], message: str
) -> None:
    token = as_agent(client, "agent1")
    response = client.post(
        NEW, data=leak_form(token, places, **window), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(engine) == 1


def test_without_a_call_the_agent_picks_a_community_and_types_the_unit(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    page = client.get(NEW).get_data(as_text=True)
    assert f'<option value="{places.sh01}">SH01' in page
    assert f'<option value="{places.sh02}">' not in page  # not served by agent1
    form = {
        "csrf_token": token,
        "community": str(places.sh01),
        "category": "emergency",
        "subcategory": "burst_pipe",
        "description": "水管爆裂",
        "building": "3栋",
        "entrance": "2",
        "room": "1502",
    }
    wrong = client.post(NEW, data=form | {"room": "9999"}, headers={"Accept-Language": "en"})
    assert wrong.status_code == 400 and "No such unit in this community." in wrong.get_data(
        as_text=True
    )
    response = client.post(NEW, data=form)
    page = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "On site due" in page  # an emergency's deadline is staff on site
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert (order.unit_id, order.call_id, order.category) == (
        places.unit,
        None,
        Category.EMERGENCY,
    )


def test_a_common_area_order_needs_where(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    form = {
        "csrf_token": token,
        "community": str(places.sh01),
        "category": "repair",
        "subcategory": "lighting",
        "description": "楼道灯不亮",
        "location": "common_area",
    }
    refused = client.post(NEW, data=form, headers={"Accept-Language": "en"})
    assert "Say where in the common area." in refused.get_data(as_text=True)
    response = client.post(NEW, data=form | {"location_detail": "5栋1单元3楼楼道"})
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert (order.location, order.location_detail) == (Location.COMMON_AREA, "5栋1单元3楼楼道")


def test_from_a_unit_alone_the_agent_picks_the_resident_among_its_occupants(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    page = client.get(f"{NEW}?unit={places.unit}").get_data(as_text=True)
    assert f'<option value="{places.resident}">李明</option>' in page
    form = leak_form(token, places, resident=str(places.resident), call="")
    response = client.post(NEW, data=form)
    order = order_of(engine, int(response.location.rsplit("/", 1)[1]))
    assert (order.unit_id, order.resident_id, order.call_id) == (places.unit, places.resident, None)
