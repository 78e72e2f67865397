import pytest

from ivr.flow import (
    Close,
    Digits,
    Gather,
    LogEvent,
    NoInput,
    Route,
    Say,
    Speech,
    actions,
    handle,
    start,
)
from ivr.flow.context import EN, ZH
from ivr.flow.script import drive, sample_context, sample_resident

from .scenarios import ENGLISH, IDENTIFYING, KNOWN, MENUS, UNKNOWN, reach, then


def gathers(step):
    return [action for action in step.actions if isinstance(action, Gather)]


def test_given_a_call_when_started_then_logs_call_started_first():
    step = start(KNOWN)
    assert step.actions[0] == LogEvent(
        "call.started",
        {
            "call_id": "call-1",
            "community": "SH01",
            "known": True,
            "resident_id": 1,
            "language": ZH,
            "open": True,
        },
    )


def test_given_a_mandarin_caller_when_started_then_greeted_by_community_name_then_main_menu():
    step = start(KNOWN)
    assert step.actions[1] == Say("greeting.morning", {"community": "阳光花园"}, ZH)
    [gather] = gathers(step)
    assert [say.prompt for say in gather.prompts] == ["menu.main"]
    assert gather.max_digits == 1 and gather.speech and gather.language == ZH
    assert step.state.name == "main_menu"


def test_given_an_english_speaking_resident_when_started_then_greeted_in_english():
    step = start(
        sample_context(
            now="2026-03-02T19:00:00+08:00",
            residents=[sample_resident(language=EN), sample_resident(resident_id=2, language=ZH)],
        )
    )
    assert step.actions[1] == Say("greeting.evening", {"community": "Sunshine Garden"}, EN)
    assert gathers(step)[0].language == EN


def test_given_unknown_caller_when_started_then_mandarin_and_no_resident():
    step = start(UNKNOWN)
    assert step.actions[1].language == ZH
    assert step.state.call.resident_id is None and step.state.call.unit_id is None


@pytest.mark.parametrize(
    ("key", "queue", "priority"),
    [("1", "emergency", 100), ("2", "repair", 20), ("3", "inquiry", 10), ("4", "complaint", 30)],
)
def test_given_known_caller_with_one_unit_when_menu_key_then_routes_that_queue(
    key, queue, priority
):
    script = [Digits(key), NoInput()] if queue == "emergency" else [Digits(key)]
    transcript = drive(KNOWN, script)
    assert transcript.of(Route) == [Route(queue, priority, resident_id=1, unit_id=101)]
    ended_in = "emergency_kind" if queue == "emergency" else "main_menu"
    assert transcript.close == Close("queued", ended_in)
    assert transcript.steps[-1].actions[-1] == transcript.close


@pytest.mark.parametrize(
    ("text", "language", "queue"),
    [
        ("我要报修", ZH, "repair"),
        ("咨询 一下 物业费", ZH, "inquiry"),
        ("我要投诉", ZH, "complaint"),
        ("紧急", ZH, "emergency"),
        ("转人工", ZH, "inquiry"),
        ("I need something fixed", EN, "repair"),
        ("I have a question", EN, "inquiry"),
        ("I want to COMPLAIN", EN, "complaint"),
        ("emergency", EN, "emergency"),
    ],
)
def test_given_main_menu_when_choice_spoken_then_routes_that_queue(text, language, queue):
    ctx = ENGLISH if language == EN else KNOWN
    assert [r.queue for r in drive(ctx, [Speech(text)]).of(Route)] == [queue]


def test_given_main_menu_when_star_then_menu_repeated_without_counting_a_miss():
    transcript = drive(KNOWN, [Digits("*"), Digits("*"), Digits("*")])
    assert [s.state.name for s in transcript.steps] == ["main_menu"] * 4
    assert transcript.prompts.count("menu.main") == 4
    assert transcript.state.misses == 0
    assert transcript.close is None


@pytest.mark.parametrize("name", MENUS)
def test_given_any_menu_when_9_then_same_menu_again_in_english(name):
    state = reach(name)
    step = handle(state, Digits("9"))
    assert step.state.name == name
    assert step.state.call.language == EN
    [gather] = gathers(step)
    assert gather.language == EN
    assert all(say.language == EN for say in gather.prompts)
    assert [say.prompt for say in gather.prompts] == [
        say.prompt for say in gathers(state.enter())[0].prompts
    ]


def test_given_english_chosen_when_call_goes_on_then_stays_english():
    transcript = drive(UNKNOWN, [Digits("9"), Digits("2")])
    assert transcript.state.name == "enter_building"
    assert gathers(transcript.steps[-1])[0].prompts[0] == Say("id.building", {}, EN)


@pytest.mark.parametrize("key", ["0", "5", "6", "7", "8", "#5", "12"])
def test_given_main_menu_when_invalid_key_then_told_and_asked_again(key):
    step = drive(KNOWN, [Digits(key)]).steps[-1]
    assert step.state.name == "main_menu"
    assert [a.prompt for a in step.actions if isinstance(a, Say)] == ["menu.invalid"]
    assert gathers(step)[0].prompts[0].prompt == "menu.main"


@pytest.mark.parametrize(
    "script",
    [
        [Digits("7"), Digits("8")],
        [NoInput(), NoInput()],
        [Digits(""), NoInput()],
        [Speech("今天天气不错"), Speech("嗯")],
        [Digits("0"), NoInput()],
        [Digits("*"), NoInput(), Digits("9"), Digits("5"), Digits("6")],
    ],
    ids=["two-invalid", "two-no-input", "empty-digits", "two-unrecognised", "mixed", "reset-by-9"],
)
def test_given_main_menu_when_two_failed_tries_then_routes_to_inquiry_never_hangs_up(script):
    transcript = drive(KNOWN, script)
    assert transcript.of(Route) == [Route("inquiry", 10, resident_id=1, unit_id=101)]
    assert transcript.close == Close("queued", "main_menu")
    assert "menu.to_agent" in transcript.prompts
    assert not transcript.of(actions.Hangup)


def test_given_no_input_once_when_then_valid_key_then_routes_the_choice():
    transcript = drive(KNOWN, [NoInput(), Digits("4")])
    assert "menu.no_input" in transcript.prompts
    assert transcript.of(Route)[0].queue == "complaint"


@pytest.mark.parametrize("name", [m for m in MENUS if m not in IDENTIFYING])
def test_given_any_menu_when_two_invalid_keys_then_an_agent_takes_the_call(name):
    transcript = then(reach(name), Digits("7"), Digits("7"))
    assert transcript.of(Route)[0].queue == "inquiry"
    assert transcript.close == Close("queued", name)
    assert not transcript.of(actions.Hangup)


@pytest.mark.parametrize("name", [m for m in MENUS if m not in [*IDENTIFYING, "incident_notice"]])
def test_given_any_menu_when_two_silences_then_an_agent_takes_the_call(name):
    script = [NoInput(), NoInput()] if name != "self_service_offer" else [NoInput()] * 3
    transcript = then(reach(name), *script)
    assert transcript.of(Route)[0].queue == "inquiry"
    assert not transcript.of(actions.Hangup)
