"""The inbound flow over Twilio's webhooks: each caller action one signed request, TwiML back."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from ivr.twilio.http import EXTENSION as TWILIO
from models import Call, Category, Community, create_work_order
from tests import factories
from tests.twilio.conftest import call_row, close_the_centre, events, kinds
from tests.twilio.peer import (
    KNOWN,
    RECORDING_URL,
    UNKNOWN,
    Twilio,
    call_sid,
    incoming_form,
    xml,
)


@pytest.mark.parametrize(
    ("key", "queue", "priority"),
    [("1", "emergency", 100), ("2", "repair", 20), ("3", "inquiry", 10), ("4", "complaint", 30)],
)
def test_given_known_caller_when_menu_choice_then_enqueued_with_priority_on_the_call(
    twilio: Twilio, engine: Engine, estate: dict[str, int], key: str, queue: str, priority: int
) -> None:
    phone = twilio.call(KNOWN).press(key)
    if queue == "emergency":  # asked briefly what it is: silence goes on at once
        phone.stay_silent()
    assert phone.enqueued == queue
    enqueue = phone.verb("Enqueue")
    assert enqueue.get("waitUrl") == f"/twilio/wait?queue={queue}&lang=zh-CN"
    assert enqueue.get("action") == f"/twilio/queue-result?queue={queue}"
    record = call_row(engine, phone.sid)
    assert (record.provider, record.disposition, record.queue, record.priority) == (
        "twilio",
        "queued",
        queue,
        priority,
    )
    assert (record.resident_id, record.unit_id) == (estate["resident"], estate["unit"])
    assert record.community_id == estate["community"]
    assert (record.caller_e164, record.dialled_number) == (KNOWN, "+862160000001")
    assert kinds(engine, phone.sid)[:3] == ["call.started", "twilio.incoming", "ivr.step"]


def test_the_first_answer_greets_in_mandarin_and_gathers_keys_or_speech(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN)
    greeting, gather = list(phone.doc)
    assert greeting.tag == "Say" and "阳光花园物业服务中心" in (greeting.text or "")
    assert (greeting.get("voice"), greeting.get("language")) == ("Polly.Zhiyu", "cmn-CN")
    assert gather.attrib == {
        "input": "dtmf speech",
        "action": "/twilio/step?seq=1",
        "method": "POST",
        "actionOnEmptyResult": "true",
        "timeout": "6",
        "numDigits": "1",
        "finishOnKey": "",
        "language": "cmn-Hans-CN",
        "hints": gather.get("hints"),
        "speechTimeout": "2",
    }
    assert {"漏水", "报修", "投诉"} <= set(gather.get("hints", "").split(", "))
    assert "报修请按2" in (gather[0].text or "")


def test_given_speech_about_a_leak_then_emergency_whatever_the_menu(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).speak("我家厨房漏水了")
    assert phone.enqueued == "emergency"
    assert "正在为您转接紧急服务专线，请稍候。" in phone.words
    emergency = next(e for e in events(engine, phone.sid) if e.kind == "call.emergency")
    assert emergency.data["kind"] == "leak"
    assert "twilio.speech" in kinds(engine, phone.sid)


def test_given_speech_naming_a_service_then_that_queue(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    assert twilio.call(KNOWN).speak("我要投诉").enqueued == "complaint"


def test_given_no_input_twice_then_inquiry_and_never_a_hangup(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).stay_silent()
    assert phone.words[0] == "对不起，我们没有收到您的选择。"
    assert phone.tags() == ["Say", "Gather"]
    assert phone.verb("Gather").get("action") == "/twilio/step?seq=2"
    phone.stay_silent()
    assert phone.enqueued == "inquiry"
    assert "正在为您转接人工客服，请稍候。" in phone.words
    assert call_row(engine, phone.sid).disposition == "queued"


def test_given_star_then_menu_repeated_and_nine_then_english(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("*")
    assert "报修请按2" in phone.words[-1]
    phone.press("9")
    menu = phone.verb("Gather")
    assert menu.get("language") == "en-US"
    assert (menu[0].get("voice"), menu[0].get("language")) == ("Polly.Joanna", "en-US")
    assert "To report a repair, press 2." in (menu[0].text or "")
    phone.speak("I have a question about my bill")
    assert phone.enqueued == "inquiry"
    assert phone.verb("Enqueue").get("waitUrl") == "/twilio/wait?queue=inquiry&lang=en"
    wait = phone.wait_in_queue(position="2", average="90", waited="0")
    assert [say.text for say in wait.iter("Say")] == [
        "You are number 2 in the queue.",
        "The expected wait is about 2 minutes.",
    ]


def test_given_unknown_caller_when_repair_then_unit_typed_is_looked_up_inline(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(UNKNOWN).press("2")
    building = phone.verb("Gather")
    assert (building.get("finishOnKey"), building.get("numDigits")) == ("#", "4")
    assert building.get("timeout") == "8"
    phone.press("3")
    assert phone.verb("Gather").get("numDigits") == "6"
    # 1502 exists in two entrances of building 3 only as 2-1502: entrance then room.
    phone.press("21502")
    confirm = phone.verb("Gather")
    assert "您的房屋是3栋2单元1 5 0 2室" in (confirm[0].text or "")
    phone.press("1")
    assert phone.enqueued == "repair"
    record = call_row(engine, phone.sid)
    assert (record.unit_id, record.queue, record.resident_id) == (estate["unit"], "repair", None)
    assert "call.identified" in kinds(engine, phone.sid)


def test_given_unit_not_found_then_told_and_asked_again(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(UNKNOWN).press("4").press("9").press("999")
    assert "对不起，没有找到9栋9 9 9室，请重新输入。" in phone.words
    assert "请输入楼栋号" in (phone.verb("Gather")[0].text or "")


def test_given_open_work_order_then_status_read_out_character_by_character(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    with Session(engine) as s:
        community = s.get(Community, estate["community"])
        assert community is not None
        order = create_work_order(
            s, community=community, category=Category.REPAIR, unit_id=estate["unit"]
        )
        number = order.number
        s.commit()
    phone = twilio.call(KNOWN)
    spoken = " ".join(ch for ch in number if ch.isalnum())
    assert f"您的工单{spoken}正在处理中" in " ".join(phone.words)
    phone.press("1")
    assert f"工单{spoken}，当前状态：待派工。" in phone.words[0]
    phone.press("1")
    assert phone.enqueued == "repair"


def test_given_after_hours_emergency_then_on_call_dialled_and_emergency_queue_if_unanswered(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN)
    assert any("现在是非工作时间" in words for words in phone.words)
    phone.press("2").press("0").stay_silent()
    dial = phone.verb("Dial")
    assert (dial.text, dial.get("timeout")) == ("+8613700000000", "25")
    assert dial.get("action") == "/twilio/dial-result?reason=emergency"
    assert "正在为您转接值班工程师，请稍候。" in phone.words
    record = call_row(engine, phone.sid)
    assert (record.disposition, record.queue, record.priority) == (
        "sent_to_on_call",
        "emergency",
        100,
    )
    phone.on_call_answers("no-answer")
    assert phone.enqueued == "emergency"
    assert call_row(engine, phone.sid).disposition == "sent_to_on_call"


def test_given_on_call_answers_then_caller_hung_up_after(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("1").stay_silent()
    assert phone.verb("Dial").text == "+8613700000000"
    assert phone.on_call_answers("completed").tags() == ["Hangup"]
    result = next(e for e in events(engine, phone.sid) if e.kind == "call.transfer_result")
    assert result.data["status"] == "completed"


def test_given_after_hours_message_then_recorded_and_message_left(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("3").press("1")
    assert phone.tags() == ["Say", "Record", "Redirect"]
    record = phone.verb("Record")
    assert record.attrib == {
        "action": "/twilio/step?seq=3&on=record",
        "method": "POST",
        "maxLength": "120",
        "finishOnKey": "#",
        "playBeep": "true",
        "timeout": "5",
        "recordingStatusCallback": "/twilio/recording?purpose=after_hours_message",
        "recordingStatusCallbackMethod": "POST",
    }
    assert "请在提示音后留下您的姓名" in phone.words[0]
    phone.leave_message(seconds="14")
    assert phone.tags() == ["Say", "Hangup"]
    assert phone.words == ["感谢您的留言，我们会尽快与您联系。再见。"]
    assert phone.recording_ready().status_code == 204
    row = call_row(engine, phone.sid)
    assert (row.disposition, row.disposition_step) == ("message_left", "record_message")
    message = next(e for e in events(engine, phone.sid) if e.kind == "call.message")
    assert (message.data["ref"], message.data["seconds"]) == (RECORDING_URL, 14.0)
    ready = next(e for e in events(engine, phone.sid) if e.kind == "call.recording")
    assert ready.data["url"] == RECORDING_URL
    assert ready.data["purpose"] == "after_hours_message"


def test_given_empty_recordings_then_asked_again_then_an_agent(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("3").press("1").say_nothing_at_the_beep()
    assert phone.words[0] == "对不起，我们没有收到您的留言。"
    assert phone.tags() == ["Say", "Say", "Record", "Redirect"]
    phone.say_nothing_at_the_beep()
    assert phone.enqueued == "inquiry"


def test_given_twilio_sends_the_incoming_call_twice_then_one_call_and_the_same_answer(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN)
    again = twilio.post("/twilio/voice", phone.form)
    first = twilio.post("/twilio/step?seq=1", {**phone.form, "Digits": "3"})
    assert first.status_code == 200
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 1
    assert again.get_data(as_text=True).count("<Gather") == 1
    assert kinds(engine, phone.sid).count("call.started") == 1
    assert "twilio.retried" in kinds(engine, phone.sid)


def test_given_a_step_posted_twice_then_the_flow_moves_once_and_the_answer_is_repeated(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN)
    action = phone.verb("Gather").attrib["action"]
    params = {**phone.form, "CallStatus": "in-progress", "Digits": "7"}
    first = twilio.post(action, params).get_data(as_text=True)
    second = twilio.post(action, params).get_data(as_text=True)
    assert first == second and "对不起，您的输入有误。" in first
    assert kinds(engine, phone.sid).count("ivr.step") == 1


def test_each_flow_webhook_reads_and_writes_on_one_connection_kept_for_the_next(
    twilio: Twilio, app: Flask, engine: Engine, estate: dict[str, int]
) -> None:
    """On SQLite a webhook reads on one connection and writes its record on it
    (models.db.write_transaction); PostgreSQL reads in autocommit, so writes on a
    second one. The reading connection is not checked back into the pool: the next
    webhook reads on it."""
    checkouts: list[object] = []
    pool = app.extensions["hotline.engine"].pool
    event.listen(pool, "checkout", lambda dbapi, record, proxy: checkouts.append(dbapi))
    phone = twilio.call(KNOWN)
    on_voice = len(checkouts)
    phone.press("2")
    assert phone.enqueued == "repair" and call_row(engine, phone.sid).queue == "repair"
    if engine.dialect.name == "sqlite":
        assert (on_voice, len(checkouts)) == (1, 1)
    else:  # the reading connection once, the writing one per webhook
        assert (on_voice, len(checkouts)) == (2, 3) and checkouts[1] is checkouts[2]


def test_a_reading_connection_left_in_a_transaction_or_broken_is_not_kept(
    app: Flask, engine: Engine
) -> None:
    calls = app.extensions[TWILIO]
    first = calls.borrow()
    driver = first.connection.driver_connection
    first.exec_driver_sql("SELECT 1").all()  # SQLAlchemy's transaction, for reads: rolled back
    calls.give_back(first)
    again = calls.borrow()
    assert again is first and again.connection.driver_connection is driver
    again.connection.driver_connection.execute("BEGIN")  # a real one, left open
    calls.give_back(again)
    assert again.closed
    broken = calls.borrow()
    assert broken is not again
    broken.invalidate()
    calls.give_back(broken)
    kept = calls.borrow()
    assert broken.closed and kept not in (again, broken)
    calls.give_back(kept)
    app.extensions["hotline.engine"].dispose()  # closes the connections kept, too
    assert kept.closed and calls.borrow() is not kept


def test_wait_url_says_position_and_expected_wait_then_plays_hold_music(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wait = phone.wait_in_queue(position="3", average="240", waited="30")
    assert [(v.tag, v.text) for v in wait] == [
        ("Say", "您现在排在第3位。"),
        ("Say", "预计等待时间约4分钟。"),
        ("Play", "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"),
    ]
    quiet = phone.wait_in_queue(position="", average="", waited="")
    assert [v.tag for v in quiet] == ["Play"]


@pytest.mark.parametrize(
    ("result", "tags"),
    [("bridged", ["Hangup"]), ("hangup", []), ("leave", ["Hangup"]), ("redirected", [])],
)
def test_when_caller_leaves_the_queue_then_twilio_is_told_what_next(
    twilio: Twilio, engine: Engine, estate: dict[str, int], result: str, tags: list[str]
) -> None:
    phone = twilio.call(KNOWN).press("2").leave_queue(result)
    assert phone.tags() == tags
    left = next(e for e in events(engine, phone.sid) if e.kind == "call.queue_result")
    assert left.data["result"] == result


def test_given_twilio_loses_the_queue_then_caller_requeued_twice_then_released(
    twilio: Twilio, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2").leave_queue("system-error")
    assert phone.enqueued == "repair"
    assert phone.verb("Enqueue").get("action") == "/twilio/queue-result?queue=repair&attempt=1"
    phone.leave_queue("queue-full")
    assert phone.verb("Enqueue").get("action") == "/twilio/queue-result?queue=repair&attempt=2"
    assert phone.leave_queue("error").tags() == ["Hangup"]


def test_given_a_community_landline_forwards_to_twilio_then_that_community_answers(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    with Session(engine) as s:
        other = factories.community(s, code="SH02", name="翠湖苑", name_en="Jade Lake")
        factories.hotline_number(s, other, "+862160000002")
        s.commit()
        other_id = other.id
    phone = twilio.call(UNKNOWN, dialled="+14155550100", ForwardedFrom="+862160000002")
    assert "翠湖苑" in phone.words[0]
    assert call_row(engine, phone.sid).community_id == other_id
    forwarded = next(e for e in events(engine, phone.sid) if e.kind == "twilio.incoming")
    assert forwarded.data["forwarded_from"] == "+862160000002"


def test_given_forwarded_from_a_number_not_ours_then_the_dialled_number_decides(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN, ForwardedFrom="+8613512345678")
    assert call_row(engine, phone.sid).community_id == estate["community"]


def test_given_the_incoming_call_again_after_the_caller_chose_then_the_last_answer_and_no_reset(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    phone = twilio.call(KNOWN).press("2")
    late = twilio.twiml("/twilio/voice", phone.form)
    assert xml(late) == xml(phone.doc) and phone.enqueued == "repair"
    record = call_row(engine, phone.sid)
    assert (record.queue, record.disposition) == ("repair", "queued")
    assert record.flow_state is not None and record.flow_state["state"]["state"] == "closed"
    assert kinds(engine, phone.sid).count("call.started") == 1
    assert kinds(engine, phone.sid)[-1] == "twilio.retried"


def test_given_a_status_callback_before_the_incoming_call_then_one_row_and_the_flow_runs(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    sid = call_sid()
    form = incoming_form(sid, KNOWN)
    assert twilio.post("/twilio/status", {**form, "CallStatus": "ringing"}).status_code == 204
    doc = twilio.twiml("/twilio/voice", form)
    assert [v.tag for v in doc][-1] == "Gather"
    answer = twilio.twiml("/twilio/step?seq=1", {**form, "Digits": "2"})
    assert [v.text for v in answer if v.tag == "Enqueue"] == ["repair"]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 1
    record = call_row(engine, sid)
    assert (record.resident_id, record.queue) == (estate["resident"], "repair")
    assert kinds(engine, sid)[:3] == ["twilio.status", "call.started", "twilio.incoming"]


def test_control_characters_in_twilios_parameters_are_taken_out_before_anything_is_kept(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    """PostgreSQL refuses NUL in text and JSON: a caller name carrying one is kept without."""
    phone = twilio.call(KNOWN, CallerName="王\x00建国\x07", ForwardedFrom="")
    phone.press("2")
    assert phone.enqueued == "repair"
    incoming = [e for e in events(engine, phone.sid) if e.kind == "twilio.incoming"]
    assert [e.data["caller_name"] for e in incoming] == ["王建国"]
