"""Only Twilio gets in: X-Twilio-Signature checked against the URL Twilio requested."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from hotline.config import Config
from models import Call
from tests.twilio.conftest import twilio_config
from tests.twilio.peer import KNOWN, Twilio, call_sid, incoming_form

PUBLIC = "https://hotline.example.com"
BEHIND_PROXY = "http://10.0.0.5:8080"  # where the reverse proxy reaches the app
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.com"}


def _calls(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Call)) or 0


def _rejected(response: Any, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    assert response.status_code == 403
    [warning] = [r for r in caplog.records if r.name == "ivr.twilio.http"]
    assert warning.levelno == logging.WARNING and reason in warning.getMessage()
    assert warning.exc_info is None  # a forged request is not our bug: no stack trace


def test_given_a_signed_request_then_served(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    assert twilio.post("/twilio/voice", incoming_form(call_sid(), KNOWN)).status_code == 200
    assert _calls(engine) == 1


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("forged", "signature does not match http://localhost/twilio/voice"),
        ("missing", "no X-Twilio-Signature header"),
        ("wrong url", "signature does not match"),
        ("tampered", "signature does not match"),
    ],
)
def test_given_a_request_not_signed_by_twilio_then_403_and_a_warning(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    how: str,
    reason: str,
) -> None:
    form = incoming_form(call_sid(), KNOWN)
    caplog.set_level(logging.WARNING, logger="ivr.twilio")
    if how == "forged":
        forged = RequestValidator("not-the-token").compute_signature(
            "http://localhost/twilio/voice", form
        )
        response = twilio.post("/twilio/voice", form, signature=forged)
    elif how == "missing":
        response = twilio.post("/twilio/voice", form, signature="")
    elif how == "wrong url":
        response = twilio.post("/twilio/voice", form, sign_url="http://localhost/twilio/step")
    else:
        good = RequestValidator(twilio.validator.token.decode()).compute_signature(
            "http://localhost/twilio/voice", form
        )
        response = twilio.post("/twilio/voice", form | {"From": "+8613000000000"}, signature=good)
    _rejected(response, caplog, reason)
    assert _calls(engine) == 0


def test_given_the_query_string_changed_then_403(
    twilio: Twilio, estate: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    phone = twilio.call(KNOWN)
    params = {**phone.form, "Digits": "2"}
    response = twilio.post(
        "/twilio/step?seq=2", params, sign_url="http://localhost/twilio/step?seq=1"
    )
    _rejected(response, caplog, "signature does not match http://localhost/twilio/step?seq=2")


def test_given_another_accounts_request_then_403(
    twilio: Twilio, estate: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    form = incoming_form(call_sid(), KNOWN) | {"AccountSid": "AC" + "9" * 32}
    _rejected(twilio.post("/twilio/voice", form), caplog, "another account")


def test_given_no_auth_token_configured_then_everything_is_refused(
    make_app: Any, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(twilio_config(config, twilio_auth_token=""))
    twilio = Twilio(app, app.test_client())
    response = twilio.post("/twilio/voice", incoming_form(call_sid(), KNOWN))
    _rejected(response, caplog, "HOTLINE_TWILIO_AUTH_TOKEN")


def test_a_get_is_not_a_webhook(twilio: Twilio) -> None:
    assert twilio.client.get("/twilio/voice").status_code == 405


def _behind_proxy(make_app: Any, config: Config, **settings: Any) -> Twilio:
    app: Flask = make_app(twilio_config(config, **settings))
    return Twilio(
        app, app.test_client(), public=PUBLIC, local=BEHIND_PROXY, proxy_headers=PROXY_HEADERS
    )


def test_given_a_trusted_proxy_then_the_public_url_is_rebuilt_from_its_headers(
    make_app: Any, config: Config, engine: Engine, estate: dict[str, int]
) -> None:
    twilio = _behind_proxy(make_app, config, twilio_trust_proxy=True)
    phone = twilio.call(KNOWN)
    assert phone.verb("Gather").get("action") == "/twilio/step?seq=1"
    assert phone.press("3").enqueued == "inquiry"


def test_given_a_trusted_proxy_on_another_port_then_the_port_is_part_of_the_url(
    make_app: Any, config: Config, estate: dict[str, int]
) -> None:
    twilio = _behind_proxy(make_app, config, twilio_trust_proxy=True)
    twilio.public = "https://hotline.example.com:8443"
    twilio.proxy_headers = {**PROXY_HEADERS, "X-Forwarded-Port": "8443"}
    assert twilio.call(KNOWN).press("2").enqueued == "repair"


def test_given_an_untrusted_proxy_then_its_headers_are_ignored(
    make_app: Any, config: Config, estate: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    twilio = _behind_proxy(make_app, config, twilio_trust_proxy=False)
    response = twilio.post("/twilio/voice", incoming_form(call_sid(), KNOWN))
    _rejected(response, caplog, f"signature does not match {BEHIND_PROXY}/twilio/voice")


def test_given_a_public_base_url_then_signed_against_it_and_twiml_urls_are_absolute(
    make_app: Any, config: Config, estate: dict[str, int]
) -> None:
    app = make_app(twilio_config(config, twilio_public_base_url=PUBLIC + "/"))
    twilio = Twilio(app, app.test_client(), public=PUBLIC, local=BEHIND_PROXY, base=PUBLIC)
    phone = twilio.call(KNOWN)
    assert phone.verb("Gather").get("action") == f"{PUBLIC}/twilio/step?seq=1"
    phone.press("2")
    assert phone.verb("Enqueue").get("waitUrl") == f"{PUBLIC}/twilio/wait?queue=repair&lang=zh-CN"


def test_given_twilio_signs_with_the_default_port_then_accepted(
    make_app: Any, config: Config, estate: dict[str, int]
) -> None:
    app = make_app(twilio_config(config, twilio_public_base_url=PUBLIC))
    twilio = Twilio(app, app.test_client(), public=PUBLIC, local=BEHIND_PROXY, base=PUBLIC)
    form = incoming_form(call_sid(), KNOWN)
    signed = twilio.post("/twilio/voice", form, sign_url=f"{PUBLIC}:443/twilio/voice")
    assert signed.status_code == 200
