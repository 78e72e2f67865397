"""Every surveys route: login first, CSRF on every form, and the navigation by role."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models.outbound import Campaign
from tests.console.conftest import csrf_token
from tests.console.surveys.conftest import Places, Surveyed, as_agent_in


def paths(places: Places, surveyed: Surveyed) -> list[tuple[str, str]]:
    return [
        ("GET", "/console/tasks/"),
        ("POST", f"/console/tasks/{surveyed.manual_task}/take"),
        ("POST", f"/console/tasks/{surveyed.manual_task}/outcome"),
        ("GET", "/console/surveys/"),
        ("GET", f"/console/surveys/technicians/{places.technician}"),
        ("GET", "/console/campaigns/"),
        ("GET", "/console/campaigns/new"),
        ("POST", "/console/campaigns/new"),
    ]


def test_without_login_every_route_sends_to_the_login_page(
    client: FlaskClient, places: Places, surveyed: Surveyed
) -> None:
    token = csrf_token(client)
    for method, path in paths(places, surveyed):
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, f"{method} {path}"
        assert response.location.startswith("/auth/login"), f"{method} {path}"


def test_a_campaign_form_without_its_token_is_refused(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    as_agent_in(client, "supervisor1")
    form = {"community": str(places.sh01), "purpose": "notice", "name": "x", "message": "y",
            "audience": "all"}  # fmt: skip

    assert client.post("/console/campaigns/new", data=form).status_code == 400

    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    ("login", "campaigns"), [("agent1", False), ("supervisor1", True), ("admin", True)]
)
def test_the_navigation_shows_campaigns_to_supervisors_only(
    client: FlaskClient, places: Places, login: str, campaigns: bool
) -> None:
    as_agent_in(client, login)

    page = client.get("/console/surveys/").get_data(as_text=True)

    assert 'href="/console/tasks/"' in page and 'href="/console/surveys/"' in page
    assert ('href="/console/campaigns/"' in page) is campaigns
