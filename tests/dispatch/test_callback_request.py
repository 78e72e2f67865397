"""Waiting in the queue: press 1 to be called back, keeping one's place in line."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dispatch.webhooks import EXTENSION
from models import CallbackRequest, CallbackStatus
from tests.dispatch.helpers import press_while_waiting
from tests.twilio.conftest import call_row, kinds
from tests.twilio.peer import KNOWN, Twilio


def requests(engine: Engine) -> list[CallbackRequest]:
    with Session(engine) as s:
        return list(s.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))


def test_wait_url_offers_a_callback_around_the_place_and_expected_wait(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wait = phone.wait_in_queue(position="3", average="240", waited="30")
    [gather] = list(wait)
    assert gather.tag == "Gather" and gather.get("numDigits") == "1"
    assert [(v.tag, v.text) for v in gather] == [
        ("Say", "您现在排在第3位。"),
        ("Say", "预计等待时间约4分钟。"),
        ("Say", "如不想等待，请按1，我们将按您现在的排队顺序给您回电。"),
        ("Play", "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"),
    ]
    assert gather.attrib["action"].startswith("/twilio/wait-choice?queue=repair&lang=zh-CN&since=")


def test_given_no_dispatcher_then_no_callback_is_offered(
    twilio: Twilio, app: Flask, estate: dict[str, int]
) -> None:
    del app.extensions[EXTENSION]
    phone = twilio.call(KNOWN).press("2")
    wait = phone.wait_in_queue(position="3", average="240", waited="30")
    assert [v.tag for v in wait] == ["Say", "Say", "Play"]


def test_when_caller_presses_1_then_callback_kept_at_enqueue_time_and_caller_leaves(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    queued_at = call_row(engine, phone.sid).ended_at  # the flow's close: into the queue
    wait = phone.wait_in_queue(position="3", average="240", waited="600")
    left = press_while_waiting(phone, wait, "1")
    assert [v.tag for v in left] == ["Say", "Leave"]
    assert "回电" in (left[0].text or "")
    [request] = requests(engine)
    assert request.status is CallbackStatus.PENDING and request.attempts == 0
    assert request.number == KNOWN and request.queue == "repair"
    assert request.resident_id == estate["resident"]
    assert request.community_id == estate["community"]
    # The place in line: when the caller joined the queue, not when they pressed 1.
    assert queued_at is not None and request.enqueued_at == queued_at
    assert call_row(engine, phone.sid).disposition == "callback_requested"
    # Twilio then reports the <Leave> and the end of the call: not abandoned.
    phone.leave_queue("leave")
    phone.hang_up()
    assert call_row(engine, phone.sid).disposition == "callback_requested"
    assert "callback.requested" in kinds(engine, phone.sid)


def test_pressing_1_twice_keeps_one_request(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wait = phone.wait_in_queue()
    press_while_waiting(phone, wait, "1")
    press_while_waiting(phone, wait, "1")
    assert len(requests(engine)) == 1


@pytest.mark.parametrize("keys", ["", "5"])
def test_silence_or_another_key_keeps_the_caller_waiting(
    twilio: Twilio, engine: Engine, estate: dict[str, int], keys: str
) -> None:
    phone = twilio.call(KNOWN).press("2")
    stay = press_while_waiting(phone, phone.wait_in_queue(), keys)
    assert list(stay) == []
    assert requests(engine) == []
    assert call_row(engine, phone.sid).disposition == "queued"
