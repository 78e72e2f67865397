"""TwilioProvider against the stand-in: what reaches Twilio, and how Twilio's answers come back."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ivr.outbound.calls import MachineDetection, Purpose
from ivr.outbound.exceptions import CallRejected, ProviderUnavailable
from ivr.outbound.twilio_rest import TwilioProvider
from tests.outbound.conftest import CALLER_ID, PUBLIC, callback
from tests.outbound.twilio_rest import Operation, TwilioRestStandIn, error_body
from tests.twilio.peer import ACCOUNT, KNOWN, TOKEN

CALLS = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
QUERY = "correlation_id=wo-2026-000123-1&purpose=callback"


def test_given_a_callback_when_placed_then_twilio_queues_the_call_it_was_sent(
    provider: TwilioProvider, standin: TwilioRestStandIn
) -> None:
    placed = provider.place(callback())

    [request] = standin.requests
    assert (request.method, request.path, request.status, request.problems) == (
        "POST", CALLS, 201, ()
    )  # fmt: skip
    assert request.form == {
        "To": [KNOWN],
        "From": [CALLER_ID],
        "Url": [f"{PUBLIC}/twilio/outbound?{QUERY}"],
        "Method": ["POST"],
        "StatusCallback": [f"{PUBLIC}/twilio/status?{QUERY}"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": ["POST"],
        "Timeout": ["30"],
    }
    [call] = standin.calls
    assert (placed.provider_call_id, placed.status) == (call["sid"], "queued")
    assert placed.provider_call_id.startswith("CA") and len(placed.provider_call_id) == 34


@pytest.mark.parametrize("mode", [MachineDetection.ENABLE, MachineDetection.DETECT_MESSAGE_END])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_given_machine_detection_when_placed_then_twilio_accepts_the_mode(
    provider: TwilioProvider, standin: TwilioRestStandIn, mode: MachineDetection, purpose: Purpose
) -> None:
    provider.place(callback(machine_detection=mode, purpose=purpose, ring_seconds=20))

    [request] = standin.requests
    assert request.status == 201, request.problems
    assert request.form["MachineDetection"] == [mode.value]
    assert request.form["Timeout"] == ["20"]


def test_every_parameter_the_provider_sends_is_in_twilios_schema(
    provider: TwilioProvider, standin: TwilioRestStandIn, twilio_spec: dict[str, Any]
) -> None:
    """Twilio ignores unknown parameters: a StatusCallBack typo would lose every status."""
    known = set(Operation(twilio_spec, "CreateCall").properties)

    provider.place(callback(machine_detection=MachineDetection.DETECT_MESSAGE_END))

    [request] = standin.requests
    assert set(request.form) <= known, set(request.form) - known
    assert request.status == 201 and not request.problems


def test_given_no_caller_id_when_placed_then_twilios_refusal_is_call_rejected_with_its_code(
    standin: TwilioRestStandIn,
) -> None:
    provider = TwilioProvider(
        account_sid=ACCOUNT, auth_token=TOKEN, public_base_url=PUBLIC, api_base_url=standin.base_url
    )

    with pytest.raises(CallRejected) as rejected:
        provider.place(callback())

    assert (rejected.value.status, rejected.value.code) == (400, 21603)
    assert rejected.value.message == "A 'From' phone number is required."
    [request] = standin.requests
    assert request.status == 400 and request.problems[0].parameter == "From"


def test_given_a_wrong_auth_token_when_placed_then_call_rejected_401(
    standin: TwilioRestStandIn,
) -> None:
    provider = TwilioProvider(
        account_sid=ACCOUNT,
        auth_token="0" * 32,
        public_base_url=PUBLIC,
        caller_id=CALLER_ID,
        api_base_url=standin.base_url,
    )

    with pytest.raises(CallRejected) as rejected:
        provider.place(callback())

    assert (rejected.value.status, rejected.value.code) == (401, 20003)
    assert [r.status for r in standin.requests] == [401]


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
def test_given_twilio_failing_when_placed_then_provider_unavailable(
    provider: TwilioProvider, standin: TwilioRestStandIn, status: int, code: int
) -> None:
    standin.answer_next(status, error_body(status, code, "Service unavailable"))

    with pytest.raises(ProviderUnavailable, match=str(code)):
        provider.place(callback())


def test_given_twilio_unreachable_when_placed_then_provider_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = TwilioProvider(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        public_base_url=PUBLIC,
        caller_id=CALLER_ID,
        api_base_url=f"http://127.0.0.1:{port}",
        timeout_seconds=2,
    )

    with pytest.raises(ProviderUnavailable):
        provider.place(callback())


def test_given_an_absolute_answer_url_when_placed_then_it_is_sent_as_is(
    provider: TwilioProvider, standin: TwilioRestStandIn
) -> None:
    provider.place(callback(answer_path="https://survey.example.com/twilio/survey"))

    [request] = standin.requests
    assert request.form["Url"] == [f"https://survey.example.com/twilio/survey?{QUERY}"]


def test_given_an_rfc_9457_refusal_when_placed_then_call_rejected_with_its_code(
    provider: TwilioProvider, standin: TwilioRestStandIn
) -> None:
    """Newer Twilio APIs answer Problem Details; twilio-python raises another exception for them."""
    standin.answer_next(
        400,
        {
            "type": "https://www.twilio.com/docs/errors/21211",
            "title": "Invalid 'To' Phone Number",
            "status": 400,
            "code": 21211,
            "detail": "The 'To' number is not a valid phone number.",
        },
    )

    with pytest.raises(CallRejected) as rejected:
        provider.place(callback())

    assert (rejected.value.status, rejected.value.code) == (400, 21211)
    assert rejected.value.message == "The 'To' number is not a valid phone number."
