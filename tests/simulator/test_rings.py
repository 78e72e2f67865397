"""Outbound calls (callbacks, surveys) ring the simulator when no telephony is configured."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator

from agent_console.simulator.exchange import SIMULATED_ACCOUNT, Exchange
from agent_console.simulator.http import EXCHANGE, OUTBOUND
from hotline.config import Config
from ivr.outbound import OutboundCall, Purpose, make_provider
from ivr.outbound.recording import RecordingProvider
from tests.simulator.conftest import KNOWN, Page

# The outbound answer webhook is the callback issue's; /twilio/voice stands in for it here.
ANSWER = "/twilio/voice"


def callback(correlation_id: str = "cb-1") -> OutboundCall:
    return OutboundCall(
        to=KNOWN, purpose=Purpose.CALLBACK, answer_path=ANSWER, correlation_id=correlation_id
    )


@pytest.fixture
def recorder(app: Flask, config: Config) -> RecordingProvider:
    """The provider make_provider picks with no Twilio account, installed as the dialer would."""
    provider = make_provider(config)
    app.extensions[OUTBOUND] = provider
    inner = provider.inner
    assert isinstance(inner, RecordingProvider)
    return inner


@pytest.fixture
def webhooks(app: Flask) -> list[tuple[str, dict[str, str], str]]:
    """Every request the simulator's private webhooks receive: URL, form, signature."""
    exchange: Exchange = app.extensions[EXCHANGE]
    assert exchange.private is not None
    seen: list[tuple[str, dict[str, str], str]] = []

    @exchange.private.before_request
    def capture() -> None:
        seen.append((request.url, dict(request.form), request.headers["X-Twilio-Signature"]))

    return seen


def test_a_ringing_callback_is_listed_with_a_masked_number(
    page: Page, recorder: RecordingProvider
) -> None:
    placed = recorder.place(callback())
    rings = page.get("/simulator/rings").get_json()
    assert rings["enabled"] is True
    [ring] = rings["rings"]
    assert (ring["sid"], ring["to"], ring["purpose"]) == (
        placed.provider_call_id,
        "+86 138****8000",
        "callback",
    )


def test_given_no_telephony_account_then_outbound_calls_ring_the_simulator(page: Page) -> None:
    # create_app gives an app without Twilio a provider whose calls ring this page
    assert page.get("/simulator/rings").get_json() == {"rings": [], "enabled": True}


def test_given_no_outbound_provider_then_nothing_rings(app: Flask, page: Page) -> None:
    del app.extensions[OUTBOUND]
    assert page.get("/simulator/rings").get_json() == {"rings": [], "enabled": False}


def test_when_answered_then_the_answer_webhook_is_posted_signed_as_twilio_would(
    app: Flask,
    page: Page,
    recorder: RecordingProvider,
    webhooks: list[Any],
    estate: dict[str, int],
) -> None:
    sid = recorder.place(callback()).provider_call_id
    body = page.client.post(f"/simulator/rings/{sid}/answer").get_json()
    assert (body["sid"], body["status"]) == (sid, 200)
    assert body["status_url"] == "/twilio/status?correlation_id=cb-1&purpose=callback"
    [(url, form, signature)] = webhooks
    assert url == f"http://localhost{ANSWER}?correlation_id=cb-1&purpose=callback"
    assert (form["Direction"], form["To"], form["CallSid"]) == ("outbound-api", KNOWN, sid)
    assert (form["AccountSid"], form["CallStatus"]) == (SIMULATED_ACCOUNT, "in-progress")
    token = app.extensions[EXCHANGE].private_settings.auth_token
    assert RequestValidator(token).validate(url, form, signature)
    assert recorder.pending() == []
    # The call goes on like any other: its status callback carries the correlation id.
    status = {"CallStatus": "completed", "CallDuration": "30"}
    assert page.send(sid, body["status_url"], status).get_json()["status"] == 204
    assert webhooks[-1][0].endswith("/twilio/status?correlation_id=cb-1&purpose=callback")


@pytest.mark.parametrize("status", ["busy", "no-answer"])
def test_when_declined_then_only_the_status_callback_hears_it(
    page: Page, recorder: RecordingProvider, webhooks: list[Any], status: str
) -> None:
    sid = recorder.place(callback()).provider_call_id
    response = page.client.post(f"/simulator/rings/{sid}/decline", json={"status": status})
    assert response.get_json() == {"sid": sid, "status": 204}
    [(url, form, _)] = webhooks
    assert url == "http://localhost/twilio/status?correlation_id=cb-1&purpose=callback"
    assert (form["CallStatus"], form["Direction"]) == (status, "outbound-api")
    assert recorder.pending() == []


def test_a_ring_taken_already_cannot_be_answered_twice(
    page: Page, recorder: RecordingProvider, estate: dict[str, int]
) -> None:
    sid = recorder.place(callback()).provider_call_id
    assert page.client.post(f"/simulator/rings/{sid}/answer").status_code == 200
    assert page.client.post(f"/simulator/rings/{sid}/answer").status_code == 404
    decline = page.client.post(f"/simulator/rings/{sid}/decline", json={"status": "completed"})
    assert decline.status_code == 400
