import pytest

from ivr.flow import Close, Digits, Gather, LogEvent, NoInput, Route, Say, Speech, Transfer, handle
from ivr.flow.intents import emergency_kind
from ivr.flow.policy import is_open
from ivr.flow.script import drive

from .scenarios import AFTER_HOURS, HONG_KONG, KNOWN, OVERDUE, REACH, SENIOR, reach

WORDS = [
    "我家厨房漏水了",
    "爆管",
    "停电了",
    "有燃气味",
    "煤气",
    "着火了",
    "电梯困人",
    "叫救护车",
    "水管爆裂",
    "水浸",
    "火灾",
    "急救",
    "water leak",
    "Flooding",
    "burst pipe",
    "power out",
    "gas",
    "fire",
    "someone is trapped",
    "AMBULANCE",
]


@pytest.mark.parametrize("name", sorted(REACH))
@pytest.mark.parametrize("text", WORDS)
def test_given_any_state_when_emergency_words_spoken_then_emergency_at_once(name, text):
    state = reach(name)
    step = handle(state, Speech(text))
    if emergency_kind(text) == "medical" and name != "guard_offer":
        assert step.state.name == "guard_offer"  # then queued, whatever the answer
        step = handle(step.state, NoInput())
        name = "guard_offer"
    if is_open(state.call.ctx):
        [route] = [a for a in step.actions if isinstance(a, Route)]
        assert route.queue == "emergency" and route.priority >= 100
        assert step.actions[-1] == Close("queued", name)
    else:
        assert [a for a in step.actions if isinstance(a, Transfer)]
        assert step.actions[-1] == Close("sent_to_on_call", name)
    assert step.state.call.service == "emergency"


@pytest.mark.parametrize(("text", "kind"), [("漏水", "leak"), ("fire", "fire"), ("1", None)])
def test_given_emergency_then_its_kind_is_logged_for_the_agent(text, kind):
    script = [Digits("1"), NoInput()] if text == "1" else [Speech(text)]
    logged = [a for a in drive(KNOWN, script).actions if isinstance(a, LogEvent)]
    assert LogEvent("call.emergency", {"kind": kind, "unit_id": 101}) in logged


@pytest.mark.parametrize("text", ["快叫救护车", "需要急救", "call an ambulance"])
def test_given_medical_emergency_then_told_to_call_120_and_offered_a_guard(text):
    transcript = drive(KNOWN, [Speech(text)])
    [gather] = transcript.of(Gather)[-1:]
    assert gather.prompts == [Say("emergency.medical", {"ambulance": "120"})]
    assert gather.max_digits == 1 and gather.timeout_s <= 3 and not gather.speech


@pytest.mark.parametrize("answer", [NoInput(), Digits("2"), Digits("*"), Speech("不用")])
def test_given_medical_emergency_when_no_guard_asked_then_queued_without_one(answer):
    transcript = drive(KNOWN, [Speech("叫救护车"), answer])
    assert transcript.of(Route) == [Route("emergency", 100, 1, 101)]
    assert transcript.close == Close("queued", "guard_offer")
    assert LogEvent("call.emergency", {"kind": "medical", "unit_id": 101}) in transcript.actions
    assert not [e for e in transcript.of(LogEvent) if e.kind == "call.guard_requested"]


def test_given_medical_emergency_when_1_pressed_then_guard_asked_for_then_queued():
    step = drive(KNOWN, [Speech("ambulance"), Digits("1")]).steps[-1]
    assert step.actions[1:] == [
        LogEvent("call.emergency", {"kind": "medical", "unit_id": 101}),
        LogEvent("call.guard_requested", {"unit_id": 101}),
        Say("emergency.guard_ok"),
        Say("route.emergency"),
        Route("emergency", 100, 1, 101),
        Close("queued", "guard_offer"),
    ]


def test_given_medical_emergency_after_hours_when_guard_asked_then_on_call_still_reached():
    transcript = drive(AFTER_HOURS, [Speech("急救"), Digits("1")])
    assert transcript.prompts[-2:] == ["emergency.guard_ok", "emergency.on_call"]
    assert transcript.of(Transfer) and transcript.close.disposition == "sent_to_on_call"


@pytest.mark.parametrize(
    "text", ["有燃气味", "煤气泄漏", "着火了", "I smell gas", "there is a fire"]
)
def test_given_gas_or_fire_then_told_to_leave_and_call_119_before_queueing(text):
    step = drive(KNOWN, [Speech(text)]).steps[-1]
    kind = emergency_kind(text)
    assert step.actions[1:] == [
        LogEvent("call.emergency", {"kind": kind, "unit_id": 101}),
        Say("emergency.leave", {"fire": "119", "ambulance": "120"}),
        Say("route.emergency"),
        Route("emergency", 100, 1, 101),
        Close("queued", "main_menu"),
    ]


def test_given_a_community_with_other_emergency_numbers_then_the_advice_names_them():
    gas = drive(HONG_KONG, [Speech("gas")]).of(Say)
    assert Say("emergency.leave", {"fire": "999", "ambulance": "999"}) in gas
    [gather] = drive(HONG_KONG, [Speech("ambulance")]).of(Gather)[-1:]
    assert gather.prompts[0].params == {"ambulance": "999"}


@pytest.mark.parametrize("text", ["停电", "漏水", "电梯困人", "抢劫"])
def test_given_other_emergencies_then_no_life_safety_advice_and_no_delay(text):
    step = drive(KNOWN, [Speech(text)]).steps[-1]
    assert [a.prompt for a in step.actions if isinstance(a, Say)] == ["route.emergency"]
    assert step.actions[-1] == Close("queued", "main_menu")


def test_given_other_emergency_then_no_medical_advice():
    assert "emergency.medical" not in drive(KNOWN, [Speech("停电")]).prompts


@pytest.mark.parametrize(("ctx", "priority"), [(KNOWN, 100), (SENIOR, 110), (OVERDUE, 110)])
def test_given_emergency_then_highest_priority_raised_for_seniors_and_overdue(ctx, priority):
    script = [Digits("0"), Digits("1")] if ctx is OVERDUE else [Digits("1")]
    script.append(NoInput())
    [route] = drive(ctx, script).of(Route)
    assert route == Route("emergency", priority, resident_id=1, unit_id=101)


def test_given_emergency_by_key_then_asked_what_briefly_then_queued():
    asked = drive(KNOWN, [Digits("1")])
    [gather] = asked.of(Gather)[-1:]
    assert gather.prompts == [Say("emergency.kind")]
    assert gather.timeout_s <= 3 and gather.max_digits == 1 and not gather.speech
    step = handle(asked.state, NoInput())
    assert step.actions[-3:] == [
        Say("route.emergency"),
        Route("emergency", 100, 1, 101),
        Close("queued", "emergency_kind"),
    ]


@pytest.mark.parametrize("key", ["0", "3", "9", "#"])
def test_given_emergency_by_key_when_any_other_key_then_queued_at_once(key):
    transcript = drive(KNOWN, [Digits("1"), Digits(key)])
    assert transcript.of(Route) == [Route("emergency", 100, 1, 101)]
    assert transcript.prompts[-1] == "route.emergency"


def test_given_emergency_by_key_when_1_then_gas_or_fire_advice_then_queued():
    step = drive(KNOWN, [Digits("1"), Digits("1")]).steps[-1]
    assert step.actions[1:] == [
        LogEvent("call.emergency", {"kind": "gas_or_fire", "unit_id": 101}),
        Say("emergency.leave", {"fire": "119", "ambulance": "120"}),
        Say("route.emergency"),
        Route("emergency", 100, 1, 101),
        Close("queued", "emergency_kind"),
    ]


def test_given_emergency_by_key_when_2_then_medical_guard_offer():
    transcript = drive(KNOWN, [Digits("1"), Digits("2"), Digits("1")])
    assert "call.guard_requested" in [e.kind for e in transcript.of(LogEvent)]
    assert transcript.prompts[-3:] == ["emergency.medical", "emergency.guard_ok", "route.emergency"]
