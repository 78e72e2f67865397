"""Session cookies, the signing key, and CSRF everywhere except Twilio's and the simulator's."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agent_console import create_app
from agent_console.auth.keys import load_secret_key
from hotline.config import Config
from tests import factories
from tests.console.conftest import csrf_token, log_in
from tests.twilio.peer import ACCOUNT, HOTLINE, TOKEN, Twilio


def session_cookie(client: FlaskClient, base_url: str = "http://localhost") -> str:
    """The Set-Cookie header of a page that starts a session (the login form's token)."""
    response = client.get("/auth/login", base_url=base_url)
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax_but_not_secure_over_http(
    client: FlaskClient,
) -> None:
    cookie = session_cookie(client)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_over_https_the_session_cookie_is_secure(client: FlaskClient) -> None:
    assert "Secure" in session_cookie(client, "https://localhost")


def test_given_the_setting_then_the_cookie_is_secure_even_over_http(config: Config) -> None:
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": True}, config=config)
    try:
        assert "Secure" in session_cookie(app.test_client())
    finally:
        app.extensions["hotline.engine"].dispose()


def test_login_over_https_works_with_the_referer_csrf_checks(client: FlaskClient) -> None:
    https = "https://localhost"
    page = client.get("/auth/login", base_url=https).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "login": "agent1", "password": "agent1-demo"}
    response = client.post(
        "/auth/login", data=form, base_url=https, headers={"Referer": f"{https}/auth/login"}
    )
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]


def test_the_secret_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = load_secret_key(tmp_path / "data")
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and load_secret_key(tmp_path / "data") == first
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_the_app_signs_with_the_key_in_the_data_directory(app: Flask, config: Config) -> None:
    assert app.secret_key == (config.data_dir / "secret_key").read_text()


def test_given_a_secret_key_in_the_test_config_then_no_file_is_written(config: Config) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "given"}, config=config)
    try:
        assert app.secret_key == "given"
        assert not (config.data_dir / "secret_key").exists()
    finally:
        app.extensions["hotline.engine"].dispose()


def test_a_signed_twilio_webhook_needs_no_csrf_token(config: Config, engine: Engine) -> None:
    with Session(engine) as s:
        factories.hotline_number(s, factories.community(s, code="TW01"), HOTLINE)
        s.commit()
    account = dataclasses.replace(config, twilio_auth_token=TOKEN, twilio_account_sid=ACCOUNT)
    app = create_app({"TESTING": True}, config=account)
    try:
        twilio = Twilio(app, app.test_client())
        response = twilio.post("/twilio/voice", twilio.call().form | {"CallSid": "CA" + "1" * 32})
        assert response.status_code == 200 and response.mimetype == "text/xml"
        unsigned = app.test_client().post("/twilio/voice", data={"CallSid": "CA" + "2" * 32})
        assert unsigned.status_code == 403  # exempt from CSRF, not from Twilio's signature
    finally:
        app.extensions["hotline.engine"].dispose()


def test_twilio_webhooks_open_no_login_session_but_console_pages_do(app: Flask) -> None:
    interface = app.session_interface
    with app.test_request_context("/twilio/voice", method="POST") as ctx:
        assert interface.is_null_session(interface.open_session(app, ctx.request))
    with app.test_request_context("/console/") as ctx:
        assert not interface.is_null_session(interface.open_session(app, ctx.request))


@pytest.mark.parametrize("action", ["answer", "decline"])
def test_the_simulators_json_api_needs_no_csrf_token(client: FlaskClient, action: str) -> None:
    # Past the CSRF check, the simulator itself answers: no such ringing call.
    response = client.post(f"/simulator/rings/CAnone/{action}", json={"status": "busy"})
    assert response.status_code == 404


def test_a_post_to_any_other_blueprint_needs_the_token(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/probe/write", "write", lambda: "written", methods=["POST"])
    log_in(client, "agent1")
    assert client.post("/probe/write").status_code == 400
    token = csrf_token(client, "/console/")
    assert client.post("/probe/write", data={"csrf_token": token}).status_code == 200
    assert client.post("/probe/write", headers={"X-CSRFToken": token}).status_code == 200
