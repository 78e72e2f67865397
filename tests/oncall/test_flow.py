"""The on-call call and the resident's notice as pure flows: whole calls, scripted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audio.speak import sequence
from ivr import prompt_texts
from ivr.flow import Digits, NoInput, Speech
from ivr.flow.context import EN, ZH, Community
from ivr.flow.dialout import OUTBOUND_PROMPTS, drive
from ivr.flow.events import Hangup
from ivr.flow.outbound import COMPLETED, DECLINED, NO_ANSWER, Emergency, OutboundContext

COMMUNITY = Community(code="SH01", name="阳光花园", name_en="Sunshine Garden")
READ_OUT = ["oncall.intro", "oncall.kind.burst_pipe", "oncall.address", "oncall.callback"]


def on_call(**changes: object) -> OutboundContext:
    ctx = OutboundContext(
        attempt_id=7,
        job_id=3,
        purpose="on_call",
        community=COMMUNITY,
        emergency=Emergency(
            kind="burst_pipe",
            address="3栋2单元1502",
            callback="+8613800138000",
            work_order="SH01-2026-000123",
        ),
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def test_the_call_reads_the_emergency_then_asks_accept_or_decline() -> None:
    heard = drive(on_call(), [])

    assert heard.prompts == [*READ_OUT, "oncall.menu"]
    said = {a.prompt: a.params for a in heard.actions if hasattr(a, "params")}
    assert said["oncall.address"] == {"address": "3栋2单元1502"}
    assert said["oncall.callback"] == {"number": "+8613800138000"}


@pytest.mark.parametrize(
    ("script", "disposition", "last"),
    [
        ([Digits("1")], COMPLETED, "oncall.accepted"),
        ([Speech("一")], COMPLETED, "oncall.accepted"),
        ([Digits("2")], DECLINED, "oncall.declined"),
        ([NoInput(), Digits("1")], COMPLETED, "oncall.accepted"),
        ([Digits("9"), Digits("2")], DECLINED, "oncall.declined"),
        ([NoInput(), NoInput()], NO_ANSWER, "oncall.undecided"),
        ([Digits("7"), Digits("5")], NO_ANSWER, "oncall.undecided"),
    ],
)
def test_each_answer_ends_the_call_as_the_ladder_needs(
    script: list[object], disposition: str, last: str
) -> None:
    heard = drive(on_call(), script)  # type: ignore[arg-type]

    assert heard.close is not None and heard.close.disposition == disposition
    assert heard.prompts[-1] == last


def test_pressing_9_reads_it_again() -> None:
    heard = drive(on_call(), [Digits("9")])
    assert heard.prompts == [*READ_OUT, "oncall.menu", *READ_OUT, "oncall.menu"]


def test_a_hang_up_before_deciding_is_no_answer() -> None:
    heard = drive(on_call(), [Hangup()])
    assert heard.close is not None and heard.close.disposition == NO_ANSWER
    assert heard.logged("oncall.accepted") == []


def test_accepting_is_logged_for_the_record() -> None:
    heard = drive(on_call(), [Digits("1")])
    assert [e.data for e in heard.logged("oncall.accepted")] == [{"job_id": 3}]


def test_a_common_area_emergency_with_no_callback_says_so() -> None:
    ctx = on_call(emergency=Emergency(kind="lift_trapped"))
    heard = drive(ctx, [])
    assert heard.prompts == [
        "oncall.intro",
        "oncall.kind.lift_trapped",
        "oncall.common_area",
        "oncall.menu",
    ]


def test_the_residents_notice_says_help_is_on_the_way() -> None:
    ctx = OutboundContext(attempt_id=8, job_id=4, purpose="notice", community=COMMUNITY, eta="10")
    heard = drive(ctx, [Hangup()])

    assert heard.prompts == ["oncall.on_the_way", "notice.repeat"]
    assert heard.close is not None and heard.close.disposition == COMPLETED


@pytest.mark.parametrize("language", [ZH, EN])
def test_every_on_call_prompt_has_words_and_recorded_pieces(language: str) -> None:
    from ivr.flow import Say

    for prompt in sorted(p for p in OUTBOUND_PROMPTS if p.startswith("oncall.")):
        params = {"community": "x", "address": "3栋2单元1502", "number": "+8613800138000",
                  "minutes": "10"}  # fmt: skip
        assert prompt_texts.text(prompt, language, params)
        assert sequence(Say(prompt, params, language), "SH01")
    words = prompt_texts.text("oncall.on_the_way", EN, {"community": "", "minutes": "10"})
    assert "10 minutes" in words
