"""The detail page's changes: dispatch, on site, complete, close, reopen; refusals."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from models import Category, Status, WorkOrderChange
from tests.console.work_orders.conftest import Places, as_agent, open_order, order_of


def act(client: FlaskClient, token: str, order_id: int, action: str, **form: str) -> TestResponse:
    return client.post(
        f"/console/work-orders/{order_id}/{action}",
        data={"csrf_token": token} | form,
        headers={"Accept-Language": "en"},
    )


def test_the_detail_offers_the_communitys_teams_the_right_trade_first(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1", subcategory="electrical")
    as_agent(client, "agent1")
    page = client.get(f"/console/work-orders/{order_id}").get_data(as_text=True)
    assert page.index("工程部电工组 ★") < page.index("工程部水电组")
    assert f'value="tech-{places.technician}"' in page
    assert "翠湖苑工程部" not in page  # another community's team
    assert "/on-site" not in page and "/close" not in page  # not yet possible


def test_the_whole_life_through_the_page_with_history_and_rework(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")
    token = as_agent(client, "supervisor1")  # anyone serving the community may act
    steps = [
        ("dispatch", {"assignee": f"tech-{places.technician}", "note": "请尽快"}),
        ("on-site", {}),
        ("complete", {"note": "已更换灯泡"}),
        ("close", {}),
        ("reopen", {"note": "回访仍不亮"}),
    ]
    for action, form in steps:
        response = act(client, token, order_id, action, **form)
        assert response.status_code == 303, (action, response.get_data(as_text=True))
    order = order_of(engine, order_id)
    assert (order.status, order.rework_count) == (Status.DISPATCHED, 1)
    assert (order.team_id, order.technician_id) == (places.plumbers, places.technician)
    assert order.owner_agent_id == places.agents["agent1"]  # 首问责任制
    with Session(engine) as s:
        changes = s.scalars(
            select(WorkOrderChange)
            .where(WorkOrderChange.work_order_id == order_id)
            .order_by(WorkOrderChange.id)
        ).all()
    assert [c.to_status for c in changes] == [
        Status.OPEN,
        Status.DISPATCHED,
        Status.ON_SITE,
        Status.COMPLETED,
        Status.CLOSED,
        Status.DISPATCHED,
    ]
    assert {c.agent_id for c in changes[1:]} == {places.agents["supervisor1"]}
    page = client.get(
        f"/console/work-orders/{order_id}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Rework ×1" in page and "回访仍不亮" in page and "Supervisor1" in page
    assert "工程部水电组 · 李师傅" in page


def test_a_change_publishes_an_event(
    app: Flask, client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")
    token = as_agent(client, "agent1")
    with app.extensions["hotline.bus"].subscribe("work_order.changed") as events:
        act(client, token, order_id, "dispatch", assignee=f"team-{places.plumbers}")
        event = events.get(timeout=2)
    assert event is not None
    assert (event.payload["id"], event.payload["status"]) == (order_id, "dispatched")


def test_dispatch_to_a_team_of_another_community_is_refused(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")
    token = as_agent(client, "supervisor1")  # serves both communities, still refused
    response = act(client, token, order_id, "dispatch", assignee=f"team-{places.sh02_plumbers}")
    assert response.status_code == 400
    assert "That team does not serve this community." in response.get_data(as_text=True)
    order = order_of(engine, order_id)
    assert (order.status, order.team_id) == (Status.OPEN, None)


def test_dispatch_without_a_choice_is_refused(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")
    token = as_agent(client, "agent1")
    response = act(client, token, order_id, "dispatch", assignee="team-999")
    assert response.status_code == 400
    assert "Choose a team or a technician." in response.get_data(as_text=True)


def test_a_change_the_status_does_not_allow_is_refused_with_the_current_status(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1", Category.INQUIRY, subcategory="fees")
    token = as_agent(client, "agent1")
    response = act(client, token, order_id, "close")
    assert response.status_code == 409
    assert "Not done: the order is Open now." in response.get_data(as_text=True)
    assert order_of(engine, order_id).status is Status.OPEN


def test_an_inquiry_is_completed_without_dispatch(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1", Category.INQUIRY, subcategory="fees")
    token = as_agent(client, "agent1")
    assert act(client, token, order_id, "complete", note="已答复").status_code == 303
    order = order_of(engine, order_id)
    assert order.status is Status.COMPLETED and order.completed_at is not None


def test_an_unknown_action_is_not_found(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    order_id = open_order(engine, places.sh01, "agent1")
    token = as_agent(client, "agent1")
    assert act(client, token, order_id, "delete").status_code == 404
