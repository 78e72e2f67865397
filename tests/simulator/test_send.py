"""`/simulator`'s server side: calls placed and followed with correctly signed requests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask, Response, request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from agent_console.simulator.calls import SimulatedCalls
from agent_console.simulator.exchange import SIMULATED_ACCOUNT, webhook_path
from agent_console.simulator.http import CALLS
from models import Call
from tests.simulator.conftest import HOTLINE, KNOWN, TOKEN, Page
from tests.twilio.peer import call_sid, incoming_form


def twiml(text: str) -> ET.Element:
    doc = ET.fromstring(text)
    assert doc.tag == "Response", text
    return doc


def place_known(page: Page, estate: dict[str, int]) -> dict[str, Any]:
    response = page.place(phone_id=estate["phone"], to=HOTLINE)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert body["status"] == 200
    return body


def test_given_no_twilio_when_a_resident_calls_then_greeted_and_asked_to_choose(
    page: Page, engine: Engine, estate: dict[str, int]
) -> None:
    body = place_known(page, estate)
    assert body["sid"].startswith("CA") and len(body["sid"]) == 34
    assert body["caller"] == "+86 138****8000"  # the page never sees the full number
    greeting, gather = list(twiml(body["twiml"]))
    assert greeting.tag == "Say" and "阳光花园物业服务中心" in (greeting.text or "")
    assert gather.tag == "Gather" and gather.get("action") == "/twilio/step?seq=1"
    with Session(engine) as s:
        call = s.scalars(select(Call).where(Call.provider_call_id == body["sid"])).one()
    assert (call.caller_e164, call.dialled_number) == (KNOWN, HOTLINE)


@pytest.mark.parametrize(
    ("params", "queue"),
    [
        ({"Digits": "2"}, "repair"),
        ({"SpeechResult": "我家厨房漏水了", "Confidence": "0.9"}, "emergency"),
    ],
)
def test_given_a_choice_then_enqueued_and_the_wait_url_hears_its_place(
    app: Flask, page: Page, estate: dict[str, int], params: dict[str, str], queue: str
) -> None:
    sid = place_known(page, estate)["sid"]
    step = page.send(sid, "/twilio/step?seq=1", params).get_json()
    enqueue = twiml(step["twiml"]).find("Enqueue")
    assert enqueue is not None and (enqueue.text or "").strip() == queue
    wait = page.send(sid, enqueue.attrib["waitUrl"], queue=queue).get_json()
    assert wait["queue"] == {
        "name": queue,
        "position": 1,
        "size": 1,
        "waited": 0,
        "answered_by": "",
        "agent_hung_up": False,
    }
    assert "您现在排在第1位。" in [say.text for say in twiml(wait["twiml"]).iter("Say")]


def test_when_an_agent_answers_then_the_waiting_page_learns_it(
    app: Flask, page: Page, estate: dict[str, int]
) -> None:
    sid = place_known(page, estate)["sid"]
    page.send(sid, "/twilio/step?seq=1", {"Digits": "2"})
    page.send(sid, "/twilio/wait?queue=repair&lang=zh-CN", queue="repair")
    calls: SimulatedCalls = app.extensions[CALLS]
    assert [c.sid for c in calls.waiting()] == [sid]
    calls.answer(sid, "agent1")
    state = page.get(f"/simulator/calls/{sid}").get_json()
    assert state["queue"]["answered_by"] == "agent1"
    assert calls.waiting() == []
    # The agent ends the conversation on the desk: the page hears it and hangs up.
    calls.hang_up_by_agent(sid)
    state = page.get(f"/simulator/calls/{sid}").get_json()
    assert state["queue"]["agent_hung_up"] is True


def test_when_the_caller_hangs_up_then_status_callback_and_the_call_is_forgotten(
    page: Page, engine: Engine, estate: dict[str, int]
) -> None:
    sid = place_known(page, estate)["sid"]
    status = {"CallStatus": "completed", "CallDuration": "12", "SequenceNumber": "0"}
    assert page.send(sid, "/twilio/status", status).get_json()["status"] == 204
    assert page.send(sid, "/twilio/step?seq=1", {"Digits": "2"}).status_code == 404
    with Session(engine) as s:
        call = s.scalars(select(Call).where(Call.provider_call_id == sid)).one()
        assert call.ended_at is not None


def test_the_requests_carry_twilios_parameters_and_a_signature_that_validates(
    twilio_app: Flask, estate: dict[str, int]
) -> None:
    seen: list[tuple[str, dict[str, str], str]] = []

    @twilio_app.before_request
    def capture() -> None:
        if request.path.startswith("/twilio/"):
            signature = request.headers.get("X-Twilio-Signature", "")
            seen.append((request.url, dict(request.form), signature))

    page = Page(twilio_app.test_client(), token=TOKEN)
    body = place_known(page, estate)
    page.send(body["sid"], "/twilio/step?seq=1", {"Digits": "2"})
    [(url, voice, signed), (step_url, step, step_signed)] = seen
    assert url == "http://localhost/twilio/voice"
    assert set(incoming_form(call_sid(), KNOWN)) <= set(voice)
    assert (voice["From"], voice["To"], voice["Direction"]) == (KNOWN, HOTLINE, "inbound")
    validator = RequestValidator(TOKEN)
    assert validator.validate(url, voice, signed)
    assert validator.validate(step_url, step, step_signed)
    assert (step["CallStatus"], step["Digits"]) == ("in-progress", "2")


def test_given_twilio_configured_then_only_the_tokens_holder_may_simulate(
    twilio_app: Flask, estate: dict[str, int]
) -> None:
    client = twilio_app.test_client()
    for token in ("", "0" * 32):
        page = Page(client, token=token)
        assert page.place(phone_id=estate["phone"]).status_code == 403
        assert page.get("/simulator/residents").status_code == 403
        assert page.send("CA" + "0" * 32, "/twilio/voice").status_code == 403
    assert Page(client, token=TOKEN).place(phone_id=estate["phone"]).status_code == 200
    assert Page(client, token=TOKEN).get("/simulator/residents").status_code == 200


def test_given_no_twilio_then_a_direct_post_to_the_webhooks_is_still_refused(
    app: Flask, estate: dict[str, int]
) -> None:
    client = app.test_client()
    form = incoming_form(call_sid(), KNOWN) | {"AccountSid": SIMULATED_ACCOUNT}
    assert client.post("/twilio/voice", data=form).status_code == 403
    forged = RequestValidator(TOKEN).compute_signature("http://localhost/twilio/voice", form)
    headers = {"X-Twilio-Signature": forged}
    assert client.post("/twilio/voice", data=form, headers=headers).status_code == 403


def test_given_twilio_configured_then_an_unsigned_post_is_refused(
    twilio_app: Flask, estate: dict[str, int]
) -> None:
    form = incoming_form(call_sid(), KNOWN)
    assert twilio_app.test_client().post("/twilio/voice", data=form).status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/simulator/calls", "/healthz", "http://elsewhere.example/twilio/voice", "/twilio/../healthz"],
)
def test_the_simulator_signs_only_for_the_twilio_webhooks(
    page: Page, estate: dict[str, int], url: str
) -> None:
    sid = place_known(page, estate)["sid"]
    response = page.send(sid, url)
    assert response.status_code == 403
    assert "not one of our webhooks" in response.get_json()["error"]


def test_a_call_the_simulator_did_not_place_is_not_followed(page: Page) -> None:
    assert page.send("CA" + "1" * 32, "/twilio/step?seq=1", {"Digits": "2"}).status_code == 404


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/twilio/step?seq=1", "/twilio/step?seq=1"),
        ("http://localhost/hotline/twilio/wait?queue=repair", "/twilio/wait?queue=repair"),
        ("/hotline/twilio/status", "/twilio/status"),
    ],
)
def test_webhook_urls_are_taken_relative_to_the_apps_root(url: str, path: str) -> None:
    assert webhook_path(url, root="http://localhost/hotline/") == path


def test_any_number_may_call(page: Page, estate: dict[str, int]) -> None:
    body = page.place(number="139 1111 2222").get_json()
    assert body["caller"] == "+86 139****2222" and body["status"] == 200


def test_residents_are_listed_with_masked_numbers_and_found_by_name_or_digits(
    page: Page, estate: dict[str, int]
) -> None:
    everyone = page.get("/simulator/residents").get_json()
    assert [r["name"] for r in everyone["residents"]] == ["王建国", "李秀英"]
    first = everyone["residents"][0]
    assert (first["number"], first["label"]) == ("+86 138****8000", "mobile")
    assert (first["home"], first["community"], first["code"]) == (
        "3栋2单元1502",
        "阳光花园",
        "SH01",
    )
    assert everyone["hotlines"] == [{"e164": HOTLINE, "community": "阳光花园", "code": "SH01"}]
    by_name = page.get("/simulator/residents?q=秀英").get_json()["residents"]
    by_digits = page.get("/simulator/residents?q=1234").get_json()["residents"]
    assert [r["name"] for r in by_name] == [r["name"] for r in by_digits] == ["李秀英"]


def test_the_page_is_served_with_its_script_and_style(page: Page, estate: dict[str, int]) -> None:
    html = page.get("/simulator/").get_data(as_text=True)
    assert "试拨电话" in html and "Try a call" in html
    assert 'src="/simulator/static/phone.js"' in html and "阳光花园 · +862160000001" in html
    for asset in ("phone.js", "phone.css"):
        response: Response = page.get(f"/simulator/static/{asset}")
        assert response.status_code == 200
        response.close()


def test_given_a_browser_on_another_machine_then_the_simulator_refuses(
    app: Flask, estate: dict[str, int]
) -> None:
    client = app.test_client()
    far = client.get("/simulator/residents?q=王", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert far.status_code == 403
    near = client.get("/simulator/residents?q=王", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert near.status_code == 200
