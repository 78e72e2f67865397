"""The callback call: the resident answers, presses 1 and is put through to the reserved
agent; no key, a machine or no answer sends the request back in line, three times at most."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dispatch.services import Dispatcher
from ivr.outbound.recording import RecordingProvider, Ring
from models import AgentPresence, CallbackRequest, CallbackStatus, CallEvent, PresenceState
from tests.dispatch.helpers import outbound_form, raw, request_callback, ring_url
from tests.twilio.peer import KNOWN, Twilio


def the_request(engine: Engine) -> CallbackRequest:
    with Session(engine) as s:
        return s.scalars(select(CallbackRequest)).one()


def state_of(engine: Engine, agent_id: int) -> PresenceState:
    with Session(engine) as s:
        return s.scalars(
            select(AgentPresence.state).where(AgentPresence.agent_id == agent_id)
        ).one()


@pytest.fixture
def calling(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    rings: RecordingProvider,
) -> Callable[[], Ring]:
    """A callback requested, an agent free: each call rings the resident once more."""
    request_callback(twilio, KNOWN)
    agent("wang", [estate["community"]], identity="wang")

    def ring() -> Ring:
        assert len(dispatcher.run_once()) == 1
        return rings.next_ring()  # type: ignore[return-value]

    return ring


def answer(twilio: Twilio, ring: Ring, **extra: str) -> object:
    return twilio.twiml(ring_url("/twilio/callback/answer", ring), outbound_form(ring, **extra))


def test_resident_answers_presses_1_and_is_put_through_to_the_reserved_agent(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring]
) -> None:
    ring = calling()
    doc = twilio.twiml(
        ring_url("/twilio/callback/answer", ring), outbound_form(ring, AnsweredBy="human")
    )
    gather = doc.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert [say.text for say in gather] == [
        "您好，这里是物业服务中心，您刚才来电时选择了回电。",
        "现在为您接通客服，请按1。",
    ]
    through = raw(twilio, gather.attrib["action"], outbound_form(ring, Digits="1"))
    dial = through.find("Dial")
    assert dial is not None and dial.findtext("Client") == "wang"
    request = the_request(engine)
    assert request.status is CallbackStatus.CONNECTED
    assert request.agent_id is not None
    assert state_of(engine, request.agent_id) is PresenceState.OFFERED
    raw(twilio, dial.attrib["action"], outbound_form(ring, DialCallStatus="completed"))
    assert state_of(engine, request.agent_id) is PresenceState.WRAP_UP
    assert the_request(engine).status is CallbackStatus.CONNECTED


@pytest.mark.parametrize("keys", ["", "3"])
def test_no_key_sends_the_request_back_in_line_with_one_more_attempt(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring], keys: str
) -> None:
    ring = calling()
    gather = answer(twilio, ring).find("Gather")  # type: ignore[attr-defined]
    bye = twilio.twiml(gather.attrib["action"], outbound_form(ring, Digits=keys))
    assert [v.tag for v in bye] == ["Say", "Hangup"]
    request = the_request(engine)
    assert (request.status, request.attempts, request.agent_id) == (
        CallbackStatus.PENDING,
        1,
        None,
    )
    assert state_of(engine, 1) is PresenceState.AVAILABLE


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "fax"])
def test_a_machine_answering_is_no_completed_callback(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring], answered_by: str
) -> None:
    ring = calling()
    doc = answer(twilio, ring, AnsweredBy=answered_by)
    assert [v.tag for v in doc] == ["Hangup"]  # type: ignore[attr-defined]
    request = the_request(engine)
    assert (request.status, request.attempts) == (CallbackStatus.PENDING, 1)


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "completed"])
def test_a_call_nobody_took_goes_back_in_line(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring], status: str
) -> None:
    ring = calling()
    response = twilio.post(ring_url("/twilio/callback/status", ring), outbound_form(ring, status))
    assert response.status_code == 204
    request = the_request(engine)
    assert (request.status, request.attempts) == (CallbackStatus.PENDING, 1)


def test_after_three_attempts_the_request_fails_for_a_manual_follow_up(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring]
) -> None:
    for attempt in (1, 2, 3):
        ring = calling()
        assert ring.call.correlation_id.endswith(f"-{attempt}")
        twilio.post(ring_url("/twilio/callback/status", ring), outbound_form(ring, "no-answer"))
    request = the_request(engine)
    assert (request.status, request.attempts) == (CallbackStatus.FAILED, 3)
    with Session(engine) as s:
        kinds = list(
            s.scalars(
                select(CallEvent.kind)
                .where(CallEvent.call_id == request.call_id)
                .order_by(CallEvent.id)
            )
        )
    assert kinds[-3:] == ["callback.retry", "callback.retry", "callback.failed"]
    assert state_of(engine, 1) is PresenceState.AVAILABLE


def test_a_late_status_after_connecting_changes_nothing(
    twilio: Twilio, engine: Engine, calling: Callable[[], Ring]
) -> None:
    ring = calling()
    gather = answer(twilio, ring).find("Gather")  # type: ignore[attr-defined]
    raw(twilio, gather.attrib["action"], outbound_form(ring, Digits="1"))
    twilio.post(ring_url("/twilio/callback/status", ring), outbound_form(ring, "completed"))
    assert the_request(engine).status is CallbackStatus.CONNECTED
