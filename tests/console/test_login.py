"""Logging in and out: passwords, inactive agents, repeated failures, the new session."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from agent_console.auth.exceptions import TooManyAttempts
from agent_console.auth.http import THROTTLE
from agent_console.auth.services import LoginThrottle
from tests.console.conftest import csrf_token, log_in, password

WRONG = "Wrong login or password."


def agent_id(client: FlaskClient) -> object:
    with client.session_transaction() as session:
        return session.get("agent_id")


def test_given_the_right_password_when_logging_in_then_the_console_shows_who_and_what(
    client: FlaskClient,
) -> None:
    response = log_in(client, "supervisor1")
    assert (response.status_code, response.location) == (302, "/console/")
    page = client.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Supervisor1 (supervisor1)" in page and ">supervisor<" in page
    assert "SH01 Sunshine Garden" in page and "SH02" in page and "SH03" not in page
    assert 'action="/auth/logout"' in page


def test_given_a_next_page_when_logging_in_then_it_returns_there_but_never_off_site(
    client: FlaskClient,
) -> None:
    assert client.get("/probe/agent").location == "/auth/login?next=/probe/agent"
    assert log_in(client, "agent1", next="/probe/agent").location == "/probe/agent"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert log_in(client, "agent1", next="//evil.example/").location == "/console/"


@pytest.mark.parametrize(
    ("login", "secret"),
    [("agent1", "agent1-wrong"), ("nobody", "nobody-demo"), ("", "")],
)
def test_given_a_wrong_login_or_password_then_refused_without_saying_which(
    client: FlaskClient, login: str, secret: str
) -> None:
    response = log_in(client, login, secret)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert WRONG in page or "账号或密码错误" in page
    assert agent_id(client) is None
    assert client.get("/console/").status_code == 302


def test_given_an_inactive_agent_then_refused_even_with_the_right_password(
    client: FlaskClient,
) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    right = log_in(client, "retired")
    assert right.status_code == 403 and "disabled" in right.get_data(as_text=True)
    wrong = log_in(client, "retired", "guess")
    assert wrong.status_code == 401 and WRONG in wrong.get_data(as_text=True)
    assert agent_id(client) is None


def test_given_an_agent_deactivated_while_logged_in_then_the_next_request_is_logged_out(
    app: Flask, client: FlaskClient
) -> None:
    from models.staff import Agent

    log_in(client, "agent1")
    assert client.get("/probe/agent").status_code == 200
    with app.extensions["hotline.sessions"]() as db:
        db.query(Agent).filter_by(login="agent1").one().active = False
        db.commit()
    assert client.get("/probe/agent").status_code == 302


def test_given_five_failures_for_a_login_then_even_the_right_password_waits(
    app: Flask, client: FlaskClient
) -> None:
    now = [1000.0]
    app.extensions[THROTTLE] = LoginThrottle(per_login=5, window=900, clock=lambda: now[0])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(5):
        assert log_in(client, "Agent1", "guess").status_code == 401
    refused = log_in(client, "agent1")
    assert refused.status_code == 429 and "Too many" in refused.get_data(as_text=True)
    assert log_in(client, "agent3").status_code == 302  # other logins from here still work
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    now[0] += 901
    assert log_in(client, "agent1").status_code == 302


def test_given_many_failures_from_one_address_then_every_login_from_it_waits() -> None:
    throttle = LoginThrottle(per_login=5, per_address=3)
    for name in ("a", "b", "c"):
        throttle.failed(name, "198.51.100.7")
    with pytest.raises(TooManyAttempts):
        throttle.check("d", "198.51.100.7")
    throttle.check("d", "198.51.100.8")


def test_when_logging_in_then_the_session_is_a_new_one(client: FlaskClient) -> None:
    csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["language"] = "en"
        old_token = session["csrf_token"]
    log_in(client, "agent1")
    with client.session_transaction() as session:
        first = dict(session)
    assert "planted" not in first and first["language"] == "en"
    assert first.get("csrf_token") != old_token
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    log_in(client, "agent1")
    with client.session_transaction() as session:
        assert session["sid"] != first["sid"] and session["agent_id"] == first["agent_id"]


def test_logout_with_the_token_ends_the_session(client: FlaskClient) -> None:
    log_in(client, "agent1")
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert (response.status_code, response.location) == (302, "/auth/login")
    assert agent_id(client) is None
    assert client.get("/console/").location == "/auth/login?next=/console/"


def test_logout_without_the_token_is_refused(client: FlaskClient) -> None:
    log_in(client, "agent1")
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 400
    assert agent_id(client) is not None


def test_login_form_without_the_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"login": "agent1", "password": password("agent1")})
    assert response.status_code == 400
    assert agent_id(client) is None


def test_the_login_page_of_a_logged_in_agent_goes_to_the_console(client: FlaskClient) -> None:
    log_in(client, "agent1")
    assert client.get("/auth/login").location == "/console/"
