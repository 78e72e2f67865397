import pytest

from ivr.flow import Close, Digits, LogEvent, Route, Say, Speech, Transfer, handle
from ivr.flow.policy import is_open
from ivr.flow.script import drive

from .scenarios import KNOWN, OVERDUE, REACH, SENIOR, reach

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
    event = Digits(text) if text == "1" else Speech(text)
    logged = [a for a in drive(KNOWN, [event]).actions if isinstance(a, LogEvent)]
    assert LogEvent("call.emergency", {"kind": kind, "unit_id": 101}) in logged


@pytest.mark.parametrize("text", ["快叫救护车", "需要急救", "call an ambulance"])
def test_given_medical_emergency_then_told_to_call_120_as_well(text):
    transcript = drive(KNOWN, [Speech(text)])
    assert transcript.prompts[-2:] == ["emergency.medical", "route.emergency"]


def test_given_other_emergency_then_no_medical_advice():
    assert "emergency.medical" not in drive(KNOWN, [Speech("停电")]).prompts


@pytest.mark.parametrize(("ctx", "priority"), [(KNOWN, 100), (SENIOR, 110), (OVERDUE, 110)])
def test_given_emergency_then_highest_priority_raised_for_seniors_and_overdue(ctx, priority):
    script = [Digits("0"), Digits("1")] if ctx is OVERDUE else [Digits("1")]
    [route] = drive(ctx, script).of(Route)
    assert route == Route("emergency", priority, resident_id=1, unit_id=101)


def test_given_emergency_by_key_then_announced_then_queued():
    step = drive(KNOWN, [Digits("1")]).steps[-1]
    assert step.actions[-3:] == [
        Say("route.emergency"),
        Route("emergency", 100, 1, 101),
        Close("queued", "main_menu"),
    ]
