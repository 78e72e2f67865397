import pytest

from ivr.flow import (
    BusinessHours,
    Close,
    Digits,
    LogEvent,
    NoInput,
    Record,
    RecordingDone,
    Route,
    Say,
    Speech,
    Transfer,
    actions,
    handle,
    start,
)
from ivr.flow.script import drive, sample_context

from .scenarios import AFTER_HOURS, AFTER_HOURS_NO_ON_CALL, KNOWN, reach, then


def test_given_after_hours_when_called_then_told_the_opening_hours_and_main_menu():
    step = start(AFTER_HOURS)
    assert Say("hours.closed", {"open": "08:30", "close": "18:00"}) in step.actions
    assert step.state.name == "main_menu"


def test_given_open_hours_then_no_closed_notice():
    assert "hours.closed" not in drive(KNOWN, []).prompts


def test_given_a_weekday_the_centre_is_closed_then_after_hours():
    sunday = sample_context(
        now="2026-03-01T10:00:00+08:00", hours=BusinessHours("08:30", "18:00", [1, 2, 3, 4, 5])
    )
    assert "hours.closed" in drive(sunday, []).prompts


@pytest.mark.parametrize("key", ["2", "3", "4"])
def test_given_after_hours_when_not_an_emergency_then_offered_a_message(key):
    step = drive(AFTER_HOURS, [Digits(key)]).steps[-1]
    assert step.state.name == "after_hours_offer"
    assert step.actions[-1].prompts == [
        Say("after_hours.offer", {"open": "08:30", "close": "18:00"})
    ]


def test_given_message_offer_when_1_then_recorded_thanked_and_hung_up_as_message_left():
    record_step = handle(reach("after_hours_offer"), Digits("1"))
    assert record_step.actions[-1] == Record(
        prompt="after_hours.record", max_seconds=120, purpose="after_hours_message"
    )
    done = handle(record_step.state, RecordingDone(ref="rec-42", seconds=30.0))
    assert (
        LogEvent(
            "call.message",
            {
                "ref": "rec-42",
                "seconds": 30.0,
                "service": "repair",
                "resident_id": 1,
                "unit_id": 101,
            },
        )
        in done.actions
    )
    assert done.actions[-3:] == [
        Say("after_hours.thanks"),
        actions.Hangup(),
        Close("message_left", "record_message"),
    ]


@pytest.mark.parametrize("text", ["我要留言", "leave a message", "报修"])
def test_given_message_offer_when_message_spoken_then_recorded(text):
    assert handle(reach("after_hours_offer"), Speech(text)).state.name == "record_message"


def test_given_message_offer_when_0_then_on_call_engineer():
    asked = handle(reach("after_hours_offer"), Digits("0"))
    assert asked.state.name == "emergency_kind"  # what it is, briefly; silence goes on
    step = handle(asked.state, NoInput())
    assert step.actions[-3:] == [
        Say("emergency.on_call"),
        Transfer("+8613800000000", "emergency"),
        Close("sent_to_on_call", "emergency_kind"),
    ]


@pytest.mark.parametrize(
    "script",
    [[Digits("1"), NoInput()], [Speech("着火了")], [Digits("2"), Speech("fire")]],
)
def test_given_after_hours_when_emergency_then_transferred_to_on_call(script):
    transcript = drive(AFTER_HOURS, script)
    assert transcript.of(Transfer) == [Transfer("+8613800000000", "emergency")]
    assert transcript.close.disposition == "sent_to_on_call"
    assert not transcript.of(Route)


@pytest.mark.parametrize(
    "script", [[Digits("1"), NoInput()], [Digits("2"), Digits("0"), Digits("0")]]
)
def test_given_after_hours_without_on_call_when_emergency_then_emergency_queue(script):
    transcript = drive(AFTER_HOURS_NO_ON_CALL, script)
    assert [r.queue for r in transcript.of(Route)] == ["emergency"]
    assert transcript.close.disposition == "queued"
    assert not transcript.of(Transfer)


@pytest.mark.parametrize(
    "event",
    [RecordingDone("", 0.0), RecordingDone("rec-1", 0.0), NoInput(), Digits("5")],
    ids=["nothing", "silent", "no-input", "digits"],
)
def test_given_recording_when_nothing_recorded_then_asked_again(event):
    step = handle(reach("record_message"), event)
    assert step.state.name == "record_message"
    assert [a.prompt for a in step.actions if isinstance(a, Say | Record)] == [
        "after_hours.no_message",
        "after_hours.record",
    ]


def test_given_recording_when_nothing_recorded_twice_then_an_agent_takes_the_call():
    transcript = then(reach("record_message"), NoInput(), RecordingDone("", 0.0))
    assert [r.queue for r in transcript.of(Route)] == ["inquiry"]
    assert transcript.close == Close("queued", "record_message")
