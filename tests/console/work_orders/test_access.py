"""Every work-order route: without login, for each role, and for another community."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import WorkOrder
from tests.console.conftest import csrf_token, log_in
from tests.console.work_orders.conftest import Places, as_agent, order_of


def get_routes(places: Places) -> list[str]:
    order = places.sh02_order
    return [
        "/console/work-orders/",
        "/console/work-orders/mine",
        "/console/work-orders/new",
        f"/console/work-orders/new?call={places.call}",
        f"/console/work-orders/{order}",
        f"/console/work-orders/{order}.json",
    ]


def test_given_no_login_then_every_page_sends_to_the_login_page(
    client: FlaskClient, places: Places
) -> None:
    for path in get_routes(places):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/auth/login?next=/console/work-orders/"), path


@pytest.mark.parametrize("action", ["new", "dispatch", "close"])
def test_given_no_login_then_a_post_with_a_valid_token_changes_nothing(
    client: FlaskClient, places: Places, engine: Engine, action: str
) -> None:
    token = csrf_token(client)  # the login page's: a visitor's session has one too
    path = (
        "/console/work-orders/new"
        if action == "new"
        else f"/console/work-orders/{places.sh02_order}/{action}"
    )
    form = {"csrf_token": token, "community": str(places.sh02), "category": "inquiry"}
    response = client.post(path, data=form | {"assignee": f"team-{places.sh02_plumbers}"})
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == 1
    assert order_of(engine, places.sh02_order).team_id is None


@pytest.mark.parametrize(
    ("login", "status"),
    [("agent1", 404), ("agent3", 200), ("supervisor1", 200), ("admin", 200)],
)
def test_another_communitys_order_is_not_found(
    client: FlaskClient, places: Places, login: str, status: int
) -> None:
    log_in(client, login)
    order = places.sh02_order
    for path in (f"/console/work-orders/{order}", f"/console/work-orders/{order}.json"):
        assert client.get(path).status_code == status, path
    listed = "SH02-2026" in client.get("/console/work-orders/").get_data(as_text=True)
    assert listed is (status == 200)


@pytest.mark.parametrize("action", ["dispatch", "on-site", "complete", "close", "reopen"])
def test_an_agent_cannot_change_another_communitys_order(
    client: FlaskClient, places: Places, engine: Engine, action: str
) -> None:
    token = as_agent(client, "agent1")
    response = client.post(
        f"/console/work-orders/{places.sh02_order}/{action}",
        data={"csrf_token": token, "assignee": f"team-{places.sh02_plumbers}"},
    )
    assert response.status_code == 404
    assert order_of(engine, places.sh02_order).team_id is None


def test_the_form_for_another_communitys_call_unit_or_resident_is_not_found(
    client: FlaskClient, places: Places
) -> None:
    log_in(client, "agent3")  # serves SH02; the call, unit and resident are SH01's
    for query in (f"call={places.call}", f"unit={places.unit}", f"resident={places.resident}"):
        assert client.get(f"/console/work-orders/new?{query}").status_code == 404, query


def test_an_order_cannot_be_opened_in_a_community_the_agent_does_not_serve(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = as_agent(client, "agent1")
    form = {
        "csrf_token": token,
        "community": str(places.sh02),
        "category": "inquiry",
        "subcategory": "fees",
        "description": "物业费",
    }
    assert client.post("/console/work-orders/new", data=form).status_code == 404
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == 1


def test_a_retired_agent_cannot_reach_the_pages(client: FlaskClient, places: Places) -> None:
    assert log_in(client, "retired").status_code != 302
    assert client.get("/console/work-orders/").status_code == 302


@pytest.mark.parametrize("path", ["/console/work-orders/new", "/console/work-orders/{id}/close"])
def test_every_post_needs_the_csrf_token(
    client: FlaskClient, places: Places, engine: Engine, path: str
) -> None:
    as_agent(client, "agent3")
    form = {"category": "inquiry", "subcategory": "fees", "description": "物业费"}
    response = client.post(path.format(id=places.sh02_order), data=form)
    assert response.status_code == 400
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == 1
