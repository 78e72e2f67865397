"""Every guarded route: without login, with each role, and for another community."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.console.conftest import log_in


@pytest.mark.parametrize("path", ["/console/", "/probe/agent", "/probe/supervisor", "/probe/admin"])
def test_given_no_login_then_every_guarded_route_sends_to_the_login_page(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location == f"/auth/login?next={path}"


@pytest.mark.parametrize(
    ("login", "agent", "supervisor", "admin"),
    [
        ("agent1", 200, 403, 403),
        ("supervisor1", 200, 200, 403),
        ("admin", 200, 200, 200),
    ],
)
def test_role_required_lets_in_that_role_and_the_ones_above(
    client: FlaskClient, login: str, agent: int, supervisor: int, admin: int
) -> None:
    log_in(client, login)
    statuses = [client.get(f"/probe/{role}").status_code for role in ("agent", "supervisor")]
    assert statuses + [client.get("/probe/admin").status_code] == [agent, supervisor, admin]


@pytest.mark.parametrize(
    ("login", "codes"),
    [
        ("agent1", ["SH01"]),
        ("agent3", ["SH02"]),
        ("supervisor1", ["SH01", "SH02"]),
        ("admin", ["SH01", "SH02", "SH03"]),  # an admin sees every community, served or not
    ],
)
def test_community_scope_is_the_communities_served(
    client: FlaskClient, login: str, codes: list[str]
) -> None:
    log_in(client, login)
    assert client.get("/probe/scope").get_json() == codes


@pytest.mark.parametrize(
    ("login", "code", "status"),
    [
        ("agent1", "SH01", 200),
        ("agent1", "SH02", 404),
        ("agent3", "SH01", 404),
        ("supervisor1", "SH03", 404),
        ("admin", "SH03", 200),
    ],
)
def test_another_communitys_object_is_a_404_like_a_missing_one(
    client: FlaskClient, estate: dict[str, int], login: str, code: str, status: int
) -> None:
    log_in(client, login)
    assert client.get(f"/probe/communities/{estate[code]}").status_code == status
    assert client.get(f"/probe/communities/{max(estate.values()) + 100}").status_code == 404
