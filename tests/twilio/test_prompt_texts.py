"""Every prompt has words in both languages, and every step of the flow renders to valid TwiML."""

from __future__ import annotations

import re

import pytest

from ivr import flow, prompt_texts
from ivr.flow.context import EN, ZH
from ivr.flow.dialout import OUTBOUND_PROMPTS
from ivr.flow.script import drive
from ivr.twilio import twiml
from tests.flow.scenarios import DIRECTORY, SCENARIOS
from tests.twilio import twiml_rules

ROUTES = {
    twiml.VOICE,
    twiml.STEP,
    twiml.WAIT,
    twiml.QUEUE_RESULT,
    twiml.DIAL_RESULT,
    twiml.STATUS,
    twiml.RECORDING,
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", [ZH, EN])
@pytest.mark.parametrize(
    "prompt", sorted(flow.PROMPTS | prompt_texts.QUEUE_PROMPTS | OUTBOUND_PROMPTS)
)
def test_every_prompt_has_words_in_both_languages(prompt: str, language: str) -> None:
    words = prompt_texts.TEXTS[language][prompt]
    assert words.strip()
    assert bool(CJK.search(words)) == (language == ZH)


def test_no_text_without_a_prompt() -> None:
    for language in (ZH, EN):
        assert (
            set(prompt_texts.TEXTS[language])
            == flow.PROMPTS | prompt_texts.QUEUE_PROMPTS | OUTBOUND_PROMPTS
        )


@pytest.mark.parametrize(
    ("prompt", "language", "params", "words"),
    [
        (
            "greeting.morning",
            ZH,
            {"community": "阳光花园"},
            "早上好，欢迎致电阳光花园物业服务中心。",
        ),
        (
            "greeting.evening",
            EN,
            {"community": ""},
            "Good evening, and welcome to the service centre.",
        ),
        (
            "hours.closed",
            ZH,
            {"open": "08:30", "close": "18:00"},
            "现在是非工作时间，服务中心的工作时间是8点30分至18点。",
        ),
        (
            "hours.closed",
            EN,
            {"open": "08:30", "close": "18:00"},
            "The service centre is now closed. Our opening hours are 8:30 a.m. to 6 p.m.",
        ),
        (
            "self_service.offer",
            EN,
            {"work_order": "SH01-2026-000123"},
            "Your work order S H 0 1 "
            "2 0 2 6 0 0 0 1 2 3 is in progress. To hear its status, press 1. For other services, "
            "press 0.",
        ),
        (
            "wo.status",
            ZH,
            {
                "number": "SH01-2026-7",
                "status": "on_site",
                "assignee": "李师傅",
                "when": "2026-03-02T14:30:00+08:00",
                "overdue": True,
            },
            "工单S H 0 1 2 0 2 6 7，当前状态：师傅已上门。维修师傅：李师傅。"
            "预约时间：3月2日14点30分。该工单已超过承诺时限，我们深表歉意。",
        ),
        (
            "wo.status",
            EN,
            {
                "number": "SH01-2026-7",
                "status": "open",
                "assignee": None,
                "when": None,
                "overdue": False,
            },
            "Work order S H 0 1 2 0 2 6 7 is waiting for an engineer.",
        ),
        ("id.pick_unit.option", ZH, {"digit": "2", "address": "3栋1502"}, "3栋1 5 0 2室，请按2。"),
        (
            "id.confirm",
            EN,
            {"address": "12栋2单元0801", "building": "12", "room": "20801"},
            "We found building 12, entrance 2, room 0 8 0 1. To confirm, press 1. To enter it "
            "again, press 2.",
        ),
        (
            "id.not_found",
            ZH,
            {"building": "9", "room": "999"},
            "对不起，没有找到9栋9 9 9室，请重新输入。",
        ),
        ("queue.wait", EN, {"minutes": 1}, "The expected wait is about 1 minute."),
    ],
)
def test_values_are_read_out_as_a_service_centre_does(
    prompt: str, language: str, params: dict[str, object], words: str
) -> None:
    assert prompt_texts.text(prompt, language, params) == words


def test_an_unknown_language_is_spoken_in_mandarin_and_an_unknown_prompt_is_an_error() -> None:
    assert prompt_texts.text("menu.invalid", "fr-FR") == prompt_texts.text("menu.invalid", ZH)
    with pytest.raises(KeyError):
        prompt_texts.text("no.such.prompt", ZH)


def test_remembered_words_are_the_words_of_those_very_values() -> None:
    late = {"number": "SH01-2026-7", "status": "open", "overdue": True}
    one = {**late, "overdue": 1}  # equal to True as a key, but not overdue
    assert prompt_texts.text("wo.status", EN, late).endswith("overdue.")
    assert not prompt_texts.text("wo.status", EN, one).endswith("overdue.")
    assert prompt_texts.text("wo.status", EN, late).endswith("overdue.")  # remembered
    listed = {"number": ["not", "hashable"]}  # not remembered, still spoken
    assert prompt_texts.text("wo.status", EN, listed) == prompt_texts.text("wo.status", EN, listed)


def test_the_words_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompt_texts._WORDS, "kept", 10)
    words = [prompt_texts.text("queue.position", ZH, {"position": n}) for n in range(1, 40)]
    assert len(prompt_texts._WORDS) <= 10
    assert words[0] == prompt_texts.text("queue.position", ZH, {"position": 1})
    assert words[0] != words[1]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_step_of_every_scenario_renders_to_valid_twiml(scenario: str) -> None:
    ctx, script = SCENARIOS[scenario]
    transcript = drive(ctx, script, lookup=DIRECTORY)
    for seq, step in enumerate(transcript.steps, start=1):
        shown = [a for a in step.actions if not isinstance(a, flow.LogEvent | flow.Lookup)]
        language = step.state.call.language
        xml = twiml.render(shown, twiml.Links(seq=seq), language=language)
        twiml_rules.check(xml, route_exists=ROUTES.__contains__)
