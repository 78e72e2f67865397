"""Status callbacks close calls with the right disposition, once, whatever order they come in."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import Call, Category, Community, Direction, create_work_order
from tests.twilio.conftest import call_row, close_the_centre, events, kinds
from tests.twilio.peer import KNOWN, PhoneCall, Twilio, call_sid, incoming_form


def _ending(engine: Engine, phone: PhoneCall) -> tuple[str | None, str | None]:
    row = call_row(engine, phone.sid)
    return row.disposition, row.disposition_step


def test_given_caller_hangs_up_at_the_main_menu_then_abandoned_there(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN)
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "main_menu")
    row = call_row(engine, phone.sid)
    assert row.ended_at is not None
    assert row.flow_state is not None and row.flow_state["state"]["state"] == "closed"
    assert kinds(engine, phone.sid)[-2:] == ["twilio.status", "ivr.step"]


def test_given_caller_hangs_up_while_typing_the_room_then_abandoned_at_that_step(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call("+8613911112222").press("2").press("3")
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "enter_room")


def test_given_completed_twice_then_closed_once(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN)
    phone.hang_up()
    first = call_row(engine, phone.sid)
    phone.hang_up()
    second = call_row(engine, phone.sid)
    assert (second.disposition, second.disposition_step) == ("abandoned", "main_menu")
    assert second.ended_at == first.ended_at
    assert kinds(engine, phone.sid).count("twilio.status") == 2
    assert kinds(engine, phone.sid).count("ivr.step") == 1


@pytest.mark.parametrize("late", ["ringing", "in-progress", "queued", "initiated"])
def test_given_a_status_after_completed_then_only_noted(
    twilio: Twilio, engine: Engine, estate: dict[str, int], late: str
) -> None:
    phone = twilio.call(KNOWN).press("2")
    phone.status("completed", sequence="1")
    before = call_row(engine, phone.sid)
    phone.status(late, sequence="0")
    after = call_row(engine, phone.sid)
    assert (after.disposition, after.disposition_step, after.ended_at) == (
        before.disposition,
        before.disposition_step,
        before.ended_at,
    )
    statuses = [e.data["status"] for e in events(engine, phone.sid) if e.kind == "twilio.status"]
    assert statuses == ["completed", late]


def test_given_ringing_before_the_call_then_the_call_still_runs(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    form = incoming_form(call_sid(), KNOWN)
    assert twilio.post("/twilio/status", form).status_code == 204
    phone = PhoneCall(twilio, form)
    phone.answer(twilio.twiml("/twilio/voice", form)).press("3")
    assert phone.enqueued == "inquiry"
    assert _ending(engine, phone) == ("queued", "main_menu")


def test_given_caller_hangs_up_while_enqueued_then_abandoned_in_the_queue(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    assert _ending(engine, phone) == ("queued", "main_menu")
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "queue")
    assert call_row(engine, phone.sid).queue == "repair"


def test_given_queue_result_hangup_then_status_then_abandoned_and_ended_at_the_hang_up(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2").leave_queue("hangup")
    assert _ending(engine, phone) == ("abandoned", "queue")
    ended = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=30)
    phone.status("completed", Timestamp=email.utils.format_datetime(ended))
    row = call_row(engine, phone.sid)
    assert (row.disposition, row.disposition_step) == ("abandoned", "queue")
    assert row.ended_at is not None and _utc(row.ended_at) == ended


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def test_given_an_agent_takes_the_call_then_answered_in_the_queue(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2").leave_queue("bridged", waited="95")
    assert _ending(engine, phone) == ("answered", "queue")  # as ivr.ami.tracker records it
    phone.hang_up()
    assert _ending(engine, phone) == ("answered", "queue")


def test_given_completed_arrives_before_bridged_then_answered_all_the_same(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("4")
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "queue")
    phone.leave_queue("bridged")
    assert _ending(engine, phone) == ("answered", "queue")
    phone.hang_up()
    assert _ending(engine, phone) == ("answered", "queue")


def test_given_answered_then_a_late_hangup_result_does_not_make_it_abandoned(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("3")
    phone.leave_queue("bridged")
    phone.documents.pop()  # Twilio reports from the <Enqueue> again, late
    phone.leave_queue("hangup")
    assert _ending(engine, phone) == ("answered", "queue")


def test_given_a_message_left_then_completed_does_not_overwrite_it(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("3").press("1").leave_message()
    phone.hang_up()
    assert _ending(engine, phone) == ("message_left", "record_message")


def test_given_status_heard_then_hang_up_then_self_served(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    with Session(engine) as s:
        community = s.get(Community, estate["community"])
        assert community is not None
        create_work_order(s, community=community, category=Category.REPAIR, unit_id=estate["unit"])
        s.commit()
    phone = twilio.call(KNOWN).press("1")
    phone.hang_up()
    assert _ending(engine, phone) == ("self_served", "work_order_status")


def test_given_on_call_answered_then_completed_keeps_sent_to_on_call(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("1").stay_silent().on_call_answers("completed")
    phone.hang_up()
    assert _ending(engine, phone) == ("sent_to_on_call", "emergency_kind")


def test_given_on_call_unanswered_and_caller_gives_up_in_the_queue_then_abandoned(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("1").stay_silent().on_call_answers("busy")
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "queue")


@pytest.mark.parametrize(
    ("status", "disposition"),
    [
        ("busy", "busy"),
        ("no-answer", "no_answer"),
        ("failed", "failed"),
        ("canceled", "canceled"),
        ("completed", "completed"),
    ],
)
def test_given_an_outbound_call_then_its_final_status_is_its_disposition(
    twilio: Twilio, engine: Engine, status: str, disposition: str
) -> None:
    form = incoming_form(call_sid(), "+862160000001", "+8613800138000")
    form |= {"Direction": "outbound-api", "CallStatus": status}
    assert twilio.post("/twilio/status", form).status_code == 204
    row = call_row(engine, form["CallSid"])
    assert (row.direction, row.disposition) == (Direction.OUTBOUND, disposition)
    assert row.dialled_number == "+8613800138000"


def test_given_an_inbound_call_never_seen_then_abandoned_at_the_start(
    twilio: Twilio, engine: Engine
) -> None:
    form = incoming_form(call_sid(), KNOWN) | {"CallStatus": "completed", "CallDuration": "3"}
    assert twilio.post("/twilio/status", form).status_code == 204
    row: Call = call_row(engine, form["CallSid"])
    assert (row.disposition, row.disposition_step, row.caller_e164) == ("abandoned", "start", KNOWN)


def test_given_requeued_after_twilios_error_then_a_hang_up_there_is_abandoned(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2").leave_queue("system-error")
    assert phone.enqueued == "repair"
    phone.hang_up()
    assert _ending(engine, phone) == ("abandoned", "queue")
