"""The stand-in itself: it refuses what Twilio's description does not allow, as Twilio answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.outbound.conftest import require_spec
from tests.outbound.twilio_rest import TwilioRestStandIn, documented_values
from tests.twilio.peer import ACCOUNT, KNOWN, TOKEN

CALLS = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
VALID = {
    "To": KNOWN,
    "From": "+862160000001",
    "Url": "https://hotline.example.com/twilio/outbound",
    "StatusCallback": "https://hotline.example.com/twilio/status",
    "StatusCallbackEvent": ["initiated", "completed"],
    "MachineDetection": "Enable",
    "Timeout": "30",
}


def post(standin: TwilioRestStandIn, form: dict[str, Any], **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (ACCOUNT, TOKEN))
    path = kwargs.pop("path", CALLS)
    with requests.Session() as session:
        return session.post(standin.base_url + path, data=form, timeout=5, **kwargs)


def test_given_a_valid_request_then_201_and_a_call_resource(standin: TwilioRestStandIn) -> None:
    answer = post(standin, VALID)

    assert answer.status_code == 201
    call = answer.json()
    assert (call["status"], call["to"], call["account_sid"]) == ("queued", KNOWN, ACCOUNT)
    assert call["direction"] == "outbound-api"


def test_given_no_from_then_400_with_twilios_error_json(standin: TwilioRestStandIn) -> None:
    answer = post(standin, {k: v for k, v in VALID.items() if k != "From"})

    assert answer.status_code == 400
    assert answer.json() == {
        "code": 21603,
        "message": "A 'From' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21603",
        "status": 400,
    }


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"StatusCallBack": "https://hotline.example.com/twilio/status"}, "StatusCallBack"),
        ({"MachineDetection": "enable"}, "MachineDetection"),
        ({"StatusCallbackEvent": ["initiated", "busy"]}, "StatusCallbackEvent"),
        ({"StatusCallbackMethod": "PUT"}, "StatusCallbackMethod"),
        ({"Method": "post"}, "Method"),
        ({"Timeout": "soon"}, "Timeout"),
        ({"Record": "yes"}, "Record"),
        ({"To": "13800138000"}, "To"),
        ({"Url": "/twilio/outbound"}, "Url"),
        ({"StatusCallback": "https://my_host.example.com/s"}, "StatusCallback"),
        ({"From": ["+862160000001", "+862160000002"]}, "From"),
        ({"ApplicationSid": "AP123"}, "ApplicationSid"),
        ({"Twiml": "<Say>hi</Say>"}, "Twiml"),
    ],
)
def test_given_what_the_schema_does_not_allow_then_400_naming_the_parameter(
    standin: TwilioRestStandIn, change: dict[str, Any], parameter: str
) -> None:
    answer = post(standin, VALID | change)

    assert answer.status_code == 400, answer.json()
    assert parameter in answer.json()["message"]
    [request] = standin.requests
    assert {p.parameter for p in request.problems} == {parameter}


def test_given_neither_url_nor_twiml_nor_application_then_400(standin: TwilioRestStandIn) -> None:
    answer = post(standin, {k: v for k, v in VALID.items() if k != "Url"})

    assert (answer.status_code, answer.json()["code"]) == (400, 21205)


@pytest.mark.parametrize(
    "auth",
    [None, (ACCOUNT, "0" * 32), ("AC" + "0" * 32, TOKEN)],
    ids=["no credentials", "wrong token", "another account"],
)
def test_given_bad_credentials_then_401_authenticate(
    standin: TwilioRestStandIn, auth: tuple[str, str] | None
) -> None:
    answer = post(standin, VALID, auth=auth)

    assert answer.status_code == 401
    assert answer.json()["code"] == 20003
    assert standin.calls == []


def test_given_a_json_body_then_400(standin: TwilioRestStandIn) -> None:
    with requests.Session() as session:
        answer = session.post(
            standin.base_url + CALLS, json=VALID, auth=(ACCOUNT, TOKEN), timeout=5
        )

    assert answer.status_code == 400
    assert "x-www-form-urlencoded" in answer.json()["message"]


def test_requests_are_recorded_for_assertions(standin: TwilioRestStandIn) -> None:
    post(standin, VALID)
    post(standin, VALID, auth=None)

    with requests.Session() as session:
        recorded = session.get(standin.base_url + "/_requests", timeout=5).json()

    assert [(r["path"], r["status"]) for r in recorded] == [(CALLS, 201), (CALLS, 401)]
    assert recorded[0]["form"]["StatusCallbackEvent"] == ["initiated", "completed"]


def test_values_listed_in_twilios_descriptions_are_read_from_the_description(
    twilio_spec: dict[str, Any],
) -> None:
    """The schema has no enum for these; the description's "Can be:" sentence lists them."""
    path = twilio_spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]
    form = path["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    properties = form["schema"]["properties"]

    assert "enum" not in properties["MachineDetection"]
    assert documented_values(properties["MachineDetection"]) == ["Enable", "DetectMessageEnd"]
    assert documented_values(properties["StatusCallbackEvent"]) == [
        "initiated", "ringing", "answered", "completed"
    ]  # fmt: skip


def test_given_no_description_when_ci_then_the_suite_fails_rather_than_skips(
    tmp_path: Path,
) -> None:
    absent = tmp_path / "twilio_api_v2010.json"

    with pytest.raises(pytest.fail.Exception):
        require_spec(absent, in_ci=True)
    with pytest.raises(pytest.skip.Exception):
        require_spec(absent, in_ci=False)
