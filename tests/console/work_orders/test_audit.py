"""Resident files the work-order pages show are audited (issue 5, privacy): who, what, when."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import AuditLog, Location
from models.base import utcnow
from tests.console.work_orders.conftest import Places, as_agent, open_order

NEW = "/console/work-orders/new"


def resident_views(engine: Engine) -> list[AuditLog]:
    with Session(engine) as s:
        query = select(AuditLog).where(
            AuditLog.action == "view", AuditLog.subject_type == "resident"
        )
        return list(s.scalars(query.order_by(AuditLog.id)))


def lis_order(engine: Engine, places: Places) -> int:
    """An order about 李明's flat, with him as the resident."""
    return open_order(
        engine, places.sh01, "agent1", unit_id=places.unit, resident_id=places.resident,
        location=Location.IN_UNIT,
    )  # fmt: skip


def test_the_detail_page_audits_who_saw_which_resident_of_which_order_and_when(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    order_id = lis_order(engine, places)
    as_agent(client, "agent1")
    before = utcnow()
    page = client.get(f"/console/work-orders/{order_id}").get_data(as_text=True)
    assert "李明" in page and "138****8000" in page

    [view] = resident_views(engine)
    assert (view.subject_id, view.agent_id) == (str(places.resident), places.agents["agent1"])
    assert view.detail == {"work_order_id": order_id, "via": "work_order"}
    assert before - dt.timedelta(seconds=1) <= view.at.replace(tzinfo=dt.UTC) <= utcnow()


def test_a_refused_change_still_audits_the_resident_its_page_shows(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    order_id = lis_order(engine, places)
    token = as_agent(client, "agent1")
    url = f"/console/work-orders/{order_id}/dispatch"
    response = client.post(url, data={"csrf_token": token, "assignee": ""})
    assert response.status_code == 400 and "李明" in response.get_data(as_text=True)
    assert [v.subject_id for v in resident_views(engine)] == [str(places.resident)]


def test_an_order_without_a_resident_audits_no_view(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")  # the lobby: nobody's file
    as_agent(client, "agent1")
    assert client.get(f"/console/work-orders/{order_id}").status_code == 200
    assert resident_views(engine) == []


def test_the_form_audits_each_occupant_it_lists(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    as_agent(client, "agent1")
    page = client.get(f"{NEW}?unit={places.unit}").get_data(as_text=True)
    assert f'<option value="{places.resident}">李明</option>' in page

    [view] = resident_views(engine)
    assert (view.subject_id, view.agent_id) == (str(places.resident), places.agents["agent1"])
    assert view.detail == {"call_id": None, "via": "new_order"}


def test_the_form_from_a_call_audits_its_caller_also_when_sent_back_with_errors(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    token = as_agent(client, "agent1")
    assert "李明" in client.get(f"{NEW}?call={places.call}").get_data(as_text=True)
    form = {"csrf_token": token, "call": str(places.call), "category": ""}
    response = client.post(NEW, data=form)
    assert response.status_code == 400 and "李明" in response.get_data(as_text=True)

    views = resident_views(engine)
    assert [v.subject_id for v in views] == [str(places.resident)] * 2
    assert all(v.detail == {"call_id": places.call, "via": "new_order"} for v in views)
