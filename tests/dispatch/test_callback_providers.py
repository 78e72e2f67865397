"""The callback call placed for real: through Twilio's REST API (held to Twilio's
description by the stand-in), and ringing the browser simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dispatch.connect import TwilioConnector
from ivr.dispatch.services import Dispatcher
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.twilio_rest import TwilioProvider
from models import CallbackRequest, CallbackStatus
from tests.dispatch.conftest import PUBLIC
from tests.dispatch.helpers import request_callback
from tests.dispatch.twilio_rest import DispatchStandIn
from tests.outbound.conftest import CALLER_ID
from tests.outbound.twilio_rest import error_body
from tests.twilio.peer import ACCOUNT, KNOWN, TOKEN, Twilio


@pytest.fixture
def rest_dispatcher(
    sessions: Callable[[], Session], connector: TwilioConnector, standin: DispatchStandIn
) -> Iterator[Dispatcher]:
    provider = TwilioProvider(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        public_base_url=PUBLIC,
        caller_id=CALLER_ID,
        api_base_url=standin.base_url,
    )
    yield Dispatcher(sessions=sessions, connector=connector, provider=provider, base_url=PUBLIC)
    provider.close()


def the_request(engine: Engine) -> CallbackRequest:
    with Session(engine) as s:
        return s.scalars(select(CallbackRequest)).one()


def test_callback_is_created_at_twilio_with_answering_machine_detection(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    rest_dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    request_callback(twilio, KNOWN)
    agent("wang", [estate["community"]], identity="wang")
    assert len(rest_dispatcher.run_once()) == 1
    [created] = standin.requests
    assert created.status == 201 and created.problems == ()
    request = the_request(engine)
    query = f"correlation_id=callback-{request.id}-1&purpose=callback"
    assert created.form["To"] == [KNOWN]
    assert created.form["Url"] == [f"{PUBLIC}/twilio/callback/answer?{query}"]
    assert created.form["StatusCallback"] == [f"{PUBLIC}/twilio/callback/status?{query}"]
    assert created.form["MachineDetection"] == ["Enable"]
    assert request.provider_call_id == standin.calls[0]["sid"]


@pytest.mark.parametrize(
    ("status", "code", "attempts"),
    [(400, 21215, 1), (503, 20503, 0)],
    ids=["refused: counts as an attempt", "twilio down: same place, no attempt"],
)
def test_a_callback_twilio_does_not_take_goes_back_in_line(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    rest_dispatcher: Dispatcher,
    standin: DispatchStandIn,
    status: int,
    code: int,
    attempts: int,
) -> None:
    request_callback(twilio, KNOWN)
    agent("wang", [estate["community"]], identity="wang")
    standin.answer_next(status, error_body(status, code, "no"))
    assert rest_dispatcher.run_once() == []
    request = the_request(engine)
    assert (request.status, request.attempts) == (CallbackStatus.PENDING, attempts)
    assert rest_dispatcher.run_once() != []  # the agent was released: offered again


def test_callback_rings_the_simulator_and_picking_up_asks_to_press_1(
    twilio: Twilio,
    app: Flask,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    rings: RecordingProvider,
) -> None:
    app.extensions["hotline.outbound"] = rings
    request_callback(twilio, KNOWN)
    agent("wang", [estate["community"]], identity="wang")
    dispatcher.run_once()
    [ring] = rings.pending()
    client = app.test_client()
    headers = {"X-Hotline-Twilio-Token": TOKEN}
    listed = client.get("/simulator/rings", headers=headers).get_json()
    assert [(r["sid"], r["purpose"]) for r in listed["rings"]] == [
        (ring.provider_call_id, "callback")
    ]
    picked = client.post(f"/simulator/rings/{ring.provider_call_id}/answer", headers=headers)
    assert picked.status_code == 200, picked.get_data(as_text=True)
    assert "现在为您接通客服，请按1。" in picked.get_json()["twiml"]
