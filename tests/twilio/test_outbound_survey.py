"""Whole survey and notice calls through the signed Twilio webhooks (/twilio/outbound/…)."""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from audio.speech import SpeechService
from ivr.campaign_calls import COMMENT, CommentTranscription
from ivr.twilio import outbound
from models.outbound import AttemptOutcome, JobPurpose, JobStatus, TaskKind
from models.work_orders import Status, WorkOrder
from tests.speech.fakes import FakeEngine, tone
from tests.surveys.outbound_estate import (
    NOW,
    RESIDENT,
    Placed,
    attempt_of,
    call_of,
    event_kinds,
    job_of,
    placed_call,
    response_of,
    tasks,
)
from tests.twilio.peer import (
    HOTLINE,
    RECORDING_URL,
    PhoneCall,
    Twilio,
    call_sid,
    incoming_form,
)


@pytest.fixture
def comments() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def hooks(app: Flask, engine: Engine, comments: list[tuple[int, str]]) -> None:
    """The outbound webhooks at a fixed time (the retry rules depend on it)."""
    app.extensions[outbound.EXTENSION] = outbound.OutboundWebhooks(
        sessionmaker(engine), clock=lambda: NOW, on_comment=lambda *c: comments.append(c)
    )


def query(placed: Placed, purpose: str = "survey") -> str:
    return urlencode({"correlation_id": placed.correlation_id, "purpose": purpose})


def answered(twilio: Twilio, placed: Placed, **extra: str) -> PhoneCall:
    """Twilio requests the call's url once the resident picks up."""
    form = incoming_form(call_sid(), HOTLINE, RESIDENT) | {
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
        **extra,
    }
    phone = PhoneCall(twilio, form)
    return phone.answer(twilio.twiml(f"/twilio/outbound/answer?{query(placed)}", form))


def status(twilio: Twilio, phone: PhoneCall, placed: Placed, value: str) -> None:
    params = {**phone.form, "CallStatus": value, "CallDuration": "40", "SequenceNumber": "3"}
    response = twilio.post(f"/twilio/outbound/status?{query(placed)}", params)
    assert response.status_code == 204


@pytest.mark.usefixtures("hooks")
def test_a_whole_survey_is_answered_kept_and_completes_the_job(
    twilio: Twilio, engine: Engine, comments: list[tuple[int, str]]
) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    assert phone.words[:2] == ["您好，这里是阳光花园物业服务中心。", "回访您11月20日的漏水维修。"]
    phone.press("4").press("5").press("3").press("1")
    assert "提示音后留言" in " ".join(phone.words)
    phone.leave_message("9")
    assert phone.tags() == ["Say", "Hangup"]
    assert phone.words == ["感谢您的评价，祝您生活愉快。再见。"]
    assert phone.recording_ready().status_code == 204
    status(twilio, phone, placed, "completed")

    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (4, 5, 3, True)
    assert answers.complete is True
    assert job_of(engine, placed).status is JobStatus.COMPLETED
    attempt = attempt_of(engine, placed)
    assert attempt.outcome is AttemptOutcome.COMPLETED
    call = call_of(engine, placed)
    assert (call.direction.value, call.provider, call.provider_call_id) == (
        "outbound",
        "twilio",
        phone.sid,
    )
    assert call.disposition == "completed" and call.ended_at is not None
    assert attempt.provider_call_id == phone.sid
    kinds = event_kinds(engine, placed)
    assert kinds.count("survey.answers") == 5 and "survey.comment" in kinds
    assert "recording.ready" in kinds
    assert comments == [(call.id, RECORDING_URL)]
    assert tasks(engine) == []


@pytest.mark.usefixtures("hooks")
def test_english_for_a_resident_who_speaks_it(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine, language="en")
    phone = answered(twilio, placed)
    assert phone.words[1] == "We are calling about your water-leak repair on 20 November."
    assert phone.verb("Say").get("voice") == "Polly.Joanna"


@pytest.mark.usefixtures("hooks")
def test_hanging_up_part_way_keeps_the_answers_and_retries(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    phone.press("5").press("2")
    status(twilio, phone, placed, "completed")

    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude) == (5, 2, None)
    assert answers.complete is False
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL
    job = job_of(engine, placed)
    assert job.status is JobStatus.SCHEDULED and job.next_attempt_at > NOW
    assert call_of(engine, placed).disposition == "partial"
    # a score of 2 is a dissatisfied answer: the supervisor follows it up
    assert [t.kind for t in tasks(engine)] == [TaskKind.SUPERVISOR_FOLLOW_UP]


@pytest.mark.usefixtures("hooks")
def test_not_solved_reopens_the_work_order(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    phone.press("5").press("5").press("5").press("2").say_nothing_at_the_beep()
    assert phone.tags() == ["Say", "Hangup"]
    status(twilio, phone, placed, "completed")
    with sessionmaker(engine)() as s:
        assert s.get_one(WorkOrder, placed.order).status is not Status.COMPLETED
    assert job_of(engine, placed).status is JobStatus.COMPLETED


@pytest.mark.usefixtures("hooks")
def test_9_opts_the_resident_out(twilio: Twilio, engine: Engine) -> None:
    from models import Resident

    placed = placed_call(engine)
    phone = answered(twilio, placed)
    phone.press("3").press("9")
    assert "确认今后不再接受回访请按1" in phone.words[0]
    phone.press("1")
    assert phone.tags() == ["Say", "Hangup"]
    status(twilio, phone, placed, "completed")
    assert attempt_of(engine, placed).outcome is AttemptOutcome.OPTED_OUT
    assert job_of(engine, placed).status is JobStatus.OPTED_OUT
    with sessionmaker(engine)() as s:
        assert s.get_one(Resident, placed.resident).survey_opt_out is True
    answers = response_of(engine, placed)
    assert answers is not None and answers.timeliness == 3


@pytest.mark.usefixtures("hooks")
def test_silence_ends_the_call_for_a_later_try(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    phone.stay_silent()
    assert phone.words[0] == "对不起，我们没有收到您的回答。"
    phone.stay_silent()
    assert phone.tags() == ["Say", "Hangup"]
    status(twilio, phone, placed, "completed")
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL
    assert job_of(engine, placed).status is JobStatus.SCHEDULED
    assert response_of(engine, placed) is None


@pytest.mark.usefixtures("hooks")
@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "fax"])
def test_an_answering_machine_is_left_politely(
    twilio: Twilio, engine: Engine, answered_by: str
) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed, AnsweredBy=answered_by)
    assert phone.tags() == ["Say", "Hangup"]
    status(twilio, phone, placed, "completed")
    assert attempt_of(engine, placed).outcome is AttemptOutcome.MACHINE
    assert job_of(engine, placed).status is JobStatus.SCHEDULED
    assert call_of(engine, placed).disposition == "machine"


@pytest.mark.usefixtures("hooks")
@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        ("no-answer", AttemptOutcome.NO_ANSWER),
        ("busy", AttemptOutcome.BUSY),
        ("failed", AttemptOutcome.FAILED),
        ("canceled", AttemptOutcome.FAILED),
    ],
)
def test_an_unanswered_call_ends_the_attempt_so(
    twilio: Twilio, engine: Engine, value: str, outcome: AttemptOutcome
) -> None:
    placed = placed_call(engine)
    form = incoming_form(call_sid(), HOTLINE, RESIDENT) | {"Direction": "outbound-api"}
    status(twilio, PhoneCall(twilio, form), placed, value)
    assert attempt_of(engine, placed).outcome is outcome
    assert job_of(engine, placed).status is JobStatus.SCHEDULED


@pytest.mark.usefixtures("hooks")
def test_the_last_attempt_unanswered_becomes_a_manual_callback(
    twilio: Twilio, engine: Engine
) -> None:
    placed = placed_call(engine, seq=3, max_attempts=3)
    form = incoming_form(call_sid(), HOTLINE, RESIDENT) | {"Direction": "outbound-api"}
    status(twilio, PhoneCall(twilio, form), placed, "busy")
    assert job_of(engine, placed).status is JobStatus.MANUAL
    assert [t.kind for t in tasks(engine)] == [TaskKind.MANUAL_CALLBACK]


@pytest.mark.usefixtures("hooks")
def test_repeated_webhooks_get_the_same_answer_and_change_nothing(
    twilio: Twilio, engine: Engine
) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    again = twilio.post(f"/twilio/outbound/answer?{query(placed)}", phone.form)
    assert again.get_data(as_text=True).count("<Gather") == 1
    gather = phone.verb("Gather").attrib["action"]
    phone.press("4")
    repeat = twilio.post(gather, {**phone.form, "Digits": "4"})
    assert "服务是否及时" not in repeat.get_data(as_text=True)
    status(twilio, phone, placed, "completed")
    status(twilio, phone, placed, "completed")
    answers = response_of(engine, placed)
    assert answers is not None and answers.timeliness == 4 and answers.skill is None
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL


@pytest.mark.usefixtures("hooks")
def test_an_unknown_attempt_is_hung_up_on(twilio: Twilio) -> None:
    form = incoming_form(call_sid(), HOTLINE, RESIDENT)
    doc = twilio.twiml("/twilio/outbound/answer?correlation_id=attempt-999999", form)
    assert [verb.tag for verb in doc] == ["Hangup"]


@pytest.mark.usefixtures("hooks")
def test_unsigned_requests_are_refused(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine)
    form = incoming_form(call_sid(), HOTLINE, RESIDENT)
    response = twilio.post(f"/twilio/outbound/answer?{query(placed)}", form, signature="")
    assert response.status_code == 403
    forged = twilio.post(f"/twilio/outbound/status?{query(placed)}", form, signature="bad")
    assert forged.status_code == 403
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PLACED


@pytest.mark.usefixtures("hooks")
def test_a_notice_is_spoken_and_1_hears_it_again(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(
        engine, purpose=JobPurpose.NOTICE, payload={"message": "明天上午9点到12点停水。"}
    )
    phone = answered(twilio, placed)
    assert "明天上午9点到12点停水。" in phone.all_words()
    assert phone.verb("Gather").find("Say").text == "重听请按1。"  # type: ignore[union-attr]
    phone.press("1")
    assert "明天上午9点到12点停水。" in phone.words
    phone.stay_silent()
    assert phone.tags() == ["Say", "Hangup"]
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED
    assert job_of(engine, placed).status is JobStatus.COMPLETED


@pytest.mark.usefixtures("hooks")
def test_a_fee_reminder_says_the_amount_and_due_date(twilio: Twilio, engine: Engine) -> None:
    payload = {"amount": "1280.00", "due": "2026-12-31"}
    placed = placed_call(engine, purpose=JobPurpose.FEE_REMINDER, payload=payload)
    phone = answered(twilio, placed)
    assert "您的待缴金额为1280元，请于12月31日前缴纳。" in phone.words
    status(twilio, phone, placed, "completed")
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED


@pytest.mark.usefixtures("hooks")
def test_a_fee_reminder_from_the_console_says_the_amount_in_cents(
    twilio: Twilio, engine: Engine
) -> None:
    payload = {"campaign": "十二月催缴", "amount_cents": 86050}
    placed = placed_call(engine, purpose=JobPurpose.FEE_REMINDER, payload=payload, language="en")
    phone = answered(twilio, placed)
    assert "The amount due is 860.5 yuan. Please pay it soon." in phone.words


@pytest.mark.usefixtures("hooks")
def test_a_senior_care_family_asks_to_be_called(twilio: Twilio, engine: Engine) -> None:
    placed = placed_call(engine, purpose=JobPurpose.SENIOR_CARE, language="en")
    phone = answered(twilio, placed)
    phone.press("2")
    assert phone.words == ["Thank you. The service centre will call you soon. Goodbye."]
    found = tasks(engine)
    assert [(t.kind, t.job_id) for t in found] == [(TaskKind.MANUAL_CALLBACK, placed.job)]
    assert found[0].due_at == NOW + dt.timedelta(hours=24)


@pytest.mark.usefixtures("hooks")
def test_a_transcribed_comment_becomes_the_surveys_comment(
    twilio: Twilio, engine: Engine, comments: list[tuple[int, str]], tmp_path: Path
) -> None:
    placed = placed_call(engine)
    phone = answered(twilio, placed)
    phone.press("5").press("5").press("5").press("1").leave_message("8")
    phone.recording_ready()
    [(call_id, url)] = comments
    assert url == RECORDING_URL

    speech = SpeechService(FakeEngine(words="师傅 很 专业"), timeout_s=5)
    queue = CommentTranscription(speech, sessionmaker(engine))
    queue.start()
    wav = tmp_path / "comment.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(tone(300))
    assert queue.submit(call_id=call_id, recording=COMMENT, source=wav.read_bytes)
    queue.stop()
    speech.close()
    answers = response_of(engine, placed)
    assert answers is not None and answers.comment == "师傅 很 专业"
    assert answers.timeliness == 5 and answers.complete
