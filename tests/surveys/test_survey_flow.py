"""The survey and message calls as pure flows: whole calls driven by scripted events."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr import prompt_texts
from ivr.flow import Digits, NoInput, RecordingDone, Speech, actions
from ivr.flow.context import EN, ZH, Community
from ivr.flow.dialout import OUTBOUND_PROMPTS, drive, handle, start
from ivr.flow.events import Hangup
from ivr.flow.outbound import (
    COMPLETED,
    FEE_REMINDER,
    MESSAGE,
    NOTICE,
    OPTED_OUT,
    PARTIAL,
    SENIOR_CARE,
    Emergency,
    Ended,
    OutboundContext,
    OutboundState,
    Subject,
    outbound_state_names,
    spoken_digit,
)
from ivr.flow.survey import subject_kind

COMMUNITY = Community(code="SH01", name="阳光花园", name_en="Sunshine Garden")


def survey_ctx(**changes: object) -> OutboundContext:
    ctx = OutboundContext(
        attempt_id=7,
        job_id=3,
        purpose="survey",
        community=COMMUNITY,
        subject=Subject(kind="leak", day="2026-11-20", work_order="SH01-2026-000123"),
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def answers_logged(heard) -> list[dict]:  # type: ignore[no-untyped-def]
    return [event.data for event in heard.logged("survey.answers")]


def test_a_whole_survey_answers_every_question_and_thanks() -> None:
    heard = drive(
        survey_ctx(),
        [Digits("4"), Digits("5"), Digits("3"), Digits("1"), RecordingDone("rec-1", 6.0)],
    )
    assert heard.prompts[:3] == ["survey.intro", "survey.about.leak", "survey.how"]
    assert heard.prompts[3:7] == [
        "survey.q.timeliness",
        "survey.q.skill",
        "survey.q.attitude",
        "survey.q.solved",
    ]
    assert heard.prompts[-2:] == ["survey.comment", "survey.thanks"]
    assert heard.close == actions.Close(COMPLETED, "survey_comment")
    final = answers_logged(heard)[-1]
    assert final == {
        "timeliness": 4,
        "skill": 5,
        "attitude": 3,
        "solved": True,
        "comment": "rec-1",
        "complete": True,
    }
    assert heard.logged("survey.comment")[0].data == {"ref": "rec-1", "seconds": 6.0}
    assert isinstance(heard.actions[-2], actions.Hangup)


def test_the_intro_names_the_work_and_its_day_in_the_residents_language() -> None:
    step = start(survey_ctx(language=EN))
    says = [a for a in step.actions if isinstance(a, actions.Say)]
    words = [prompt_texts.text(s.prompt, s.language, s.params) for s in says]
    assert words[:2] == [
        "Hello, this is the Sunshine Garden property service centre.",
        "We are calling about your water-leak repair on 20 November.",
    ]
    zh = [a for a in start(survey_ctx()).actions if isinstance(a, actions.Say)]
    said = "".join(prompt_texts.text(s.prompt, s.language, s.params) for s in zh[:2])
    assert said == "您好，这里是阳光花园物业服务中心。回访您11月20日的漏水维修。"


def test_answers_are_logged_as_they_come_so_a_hang_up_keeps_them() -> None:
    heard = drive(survey_ctx(), [Digits("2"), Digits("4"), Hangup()])
    assert answers_logged(heard) == [
        {
            "timeliness": 2,
            "skill": None,
            "attitude": None,
            "solved": None,
            "comment": "",
            "complete": False,
        },
        {
            "timeliness": 2,
            "skill": 4,
            "attitude": None,
            "solved": None,
            "comment": "",
            "complete": False,
        },
    ]
    assert heard.close == actions.Close(PARTIAL, "survey_question")


def test_hanging_up_at_the_comment_completes_the_survey() -> None:
    heard = drive(survey_ctx(), [Digits("5"), Digits("5"), Digits("5"), Digits("2"), Hangup()])
    assert heard.close == actions.Close(COMPLETED, "survey_comment")
    assert answers_logged(heard)[-1]["solved"] is False
    assert answers_logged(heard)[-1]["complete"] is True


def test_an_invalid_key_is_asked_again_once_then_the_question_is_skipped() -> None:
    heard = drive(survey_ctx(), [Digits("7"), Digits("0"), Digits("3")])
    assert heard.prompts[3:7] == [
        "survey.q.timeliness",
        "survey.invalid",
        "survey.q.timeliness",
        "survey.q.skill",
    ]
    assert heard.logged("survey.skipped")[0].data == {"question": "timeliness"}
    assert answers_logged(heard)[-1]["timeliness"] is None
    assert answers_logged(heard)[-1]["skill"] == 3


def test_silence_at_the_first_question_ends_the_call_for_another_try() -> None:
    heard = drive(survey_ctx(), [NoInput(), NoInput()])
    assert heard.prompts[-3:] == ["survey.no_input", "survey.q.timeliness", "survey.later"]
    assert heard.close == actions.Close(PARTIAL, "survey_question")
    assert answers_logged(heard) == []


def test_silence_later_skips_the_question_and_goes_on() -> None:
    heard = drive(survey_ctx(), [Digits("4"), NoInput(), NoInput(), Digits("4")])
    assert heard.close is None
    assert heard.prompts[-1] == "survey.q.solved"
    assert answers_logged(heard)[-1]["skill"] is None
    assert answers_logged(heard)[-1]["attitude"] == 4


def test_solved_takes_only_1_or_2() -> None:
    heard = drive(survey_ctx(), [Digits("5"), Digits("5"), Digits("5"), Digits("3"), Digits("2")])
    assert heard.prompts[-3:] == ["survey.invalid", "survey.q.solved", "survey.comment"]
    assert answers_logged(heard)[-1]["solved"] is False


def test_9_then_1_opts_out_keeping_the_answers_so_far() -> None:
    heard = drive(survey_ctx(), [Digits("3"), Digits("9"), Digits("1")])
    assert heard.prompts[-2:] == ["survey.opt_out.confirm", "survey.opted_out"]
    assert heard.close == actions.Close(OPTED_OUT, "survey_opt_out")
    assert heard.logged("survey.opted_out")[0].data == {"question": "skill"}
    assert answers_logged(heard)[-1]["timeliness"] == 3


def test_9_then_2_goes_back_to_the_same_question() -> None:
    heard = drive(survey_ctx(), [Digits("3"), Digits("9"), Digits("2"), Digits("4")])
    assert heard.close is None
    assert heard.prompts[-3:] == ["survey.opt_out.confirm", "survey.q.skill", "survey.q.attitude"]
    assert answers_logged(heard)[-1]["skill"] == 4


def test_an_opt_out_is_never_guessed_from_silence() -> None:
    heard = drive(survey_ctx(), [Digits("9"), NoInput(), NoInput()])
    assert heard.close is None
    assert heard.prompts[-1] == "survey.q.timeliness"


def test_no_comment_when_hash_or_silence_ends_the_recording() -> None:
    heard = drive(
        survey_ctx(),
        [Digits("4"), Digits("4"), Digits("4"), Digits("1"), RecordingDone("", 0.0)],
    )
    assert heard.close == actions.Close(COMPLETED, "survey_comment")
    assert heard.logged("survey.comment") == []
    assert answers_logged(heard)[-1]["comment"] == ""


def test_spoken_answers_count_as_keys() -> None:
    assert [spoken_digit(t) for t in ("五分", "4", "four.", "yes", "嗯")] == [
        "5",
        "4",
        "4",
        "1",
        "",
    ]
    heard = drive(survey_ctx(), [Speech("五分")])
    assert answers_logged(heard)[-1]["timeliness"] == 5


def test_a_survey_with_nothing_answered_is_partial() -> None:
    script = [Digits("4"), *[NoInput()] * 6]
    heard = drive(survey_ctx(), [NoInput(), Digits("8"), Digits("8"), *script[1:]])
    # timeliness skipped by bad keys, then silence on the rest: nothing answered at all
    assert heard.prompts[-2:] == ["survey.comment", "survey.thanks"]
    assert heard.close == actions.Close(PARTIAL, "survey_comment")


def test_anything_after_the_end_changes_nothing() -> None:
    heard = drive(survey_ctx(), [Digits("3"), Digits("9"), Digits("1")])
    assert isinstance(heard.state, Ended)
    after = handle(heard.state, Digits("5"))
    assert after.actions == [] and after.state == heard.state
    assert handle(heard.state, Hangup()).actions == []


@pytest.mark.parametrize(
    ("category", "sub", "kind"),
    [
        ("repair", "leak", "leak"),
        ("repair", "walls_ceiling", "repair"),
        ("emergency", "burst_pipe", "emergency"),
        ("complaint", "service", "complaint"),
        ("home_service", "housekeeping", "home_service"),
        ("inquiry", "fees", "service"),
    ],
)
def test_what_a_survey_is_about(category: str, sub: str, kind: str) -> None:
    assert subject_kind(category, sub) == kind


def test_without_a_day_the_intro_says_recent_service() -> None:
    heard = drive(survey_ctx(subject=None), [])
    assert heard.prompts[1] == "survey.about.recent"


def message_ctx(purpose: str, **changes: object) -> OutboundContext:
    return replace(survey_ctx(purpose=purpose, subject=None, message="明天停水。"), **changes)  # type: ignore[arg-type]


def test_a_notice_plays_its_message_and_1_plays_it_again() -> None:
    heard = drive(message_ctx(NOTICE), [Digits("1"), NoInput()])
    assert heard.prompts == [
        "notice.intro",
        MESSAGE,
        "notice.repeat",
        "notice.intro",
        MESSAGE,
        "notice.repeat",
        "notice.goodbye",
    ]
    message = [a for a in heard.actions if isinstance(a, actions.Say) and a.prompt == MESSAGE]
    assert message[0].params["text"] == "明天停水。"
    assert heard.close == actions.Close(COMPLETED, "message_heard")


def test_a_notice_is_repeated_a_few_times_only() -> None:
    heard = drive(message_ctx(NOTICE), [Digits("1")] * 5)
    assert heard.prompts.count(MESSAGE) == 4
    assert heard.close == actions.Close(COMPLETED, "message_heard")


def test_hanging_up_after_the_message_counts_as_heard() -> None:
    heard = drive(message_ctx(NOTICE), [Hangup()])
    assert heard.close == actions.Close(COMPLETED, "message_heard")


@pytest.mark.parametrize(
    ("amount", "due", "prompt", "words"),
    [
        ("1200.00", "2026-12-31", "fee.amount_due", "您的待缴金额为1200元，请于12月31日前缴纳。"),
        ("86.50", "", "fee.amount", "您的待缴金额为86.5元，请尽快缴纳。"),
        ("", "2026-12-31", "fee.due", "请于12月31日前缴纳。"),
        ("", "", "fee.general", None),
    ],
)
def test_a_fee_reminder_says_what_the_record_has(
    amount: str, due: str, prompt: str, words: str | None
) -> None:
    step = start(message_ctx(FEE_REMINDER, amount=amount, due=due, message=""))
    says = [a for a in step.actions if isinstance(a, actions.Say)]
    assert [s.prompt for s in says] == ["fee.intro", prompt]
    if words:
        assert prompt_texts.text(prompt, ZH, says[1].params) == words


def test_a_senior_care_family_can_ask_to_be_called() -> None:
    heard = drive(message_ctx(SENIOR_CARE, message=""), [Digits("2")])
    assert heard.prompts == ["senior.intro", "senior.default", "senior.menu", "senior.callback_ok"]
    assert heard.logged("outbound.callback_requested")[0].data == {"job_id": 3}
    assert heard.close == actions.Close(COMPLETED, "message_heard")


def test_every_state_round_trips_through_json() -> None:
    seen: set[str] = set()
    scripts = [
        (survey_ctx(), [Digits("3"), Digits("9"), Digits("2"), Digits("4"), Digits("4")]),
        (survey_ctx(), [Digits("1"), Digits("1"), Digits("1"), Digits("1")]),
        (message_ctx(NOTICE), []),
        (
            survey_ctx(purpose="on_call", subject=None, emergency=Emergency("gas", "1栋101")),
            [Digits("9"), NoInput()],
        ),
    ]
    for ctx, script in scripts:
        step = start(ctx)
        for event in [*script, Hangup()]:
            state = step.state
            assert OutboundState.from_json(state.to_json()) == state
            seen.add(state.name)
            step = handle(state, event)
    assert seen | {"ended"} == set(outbound_state_names())


def test_every_prompt_played_is_listed_and_has_words() -> None:
    played: set[str] = set()
    for script in (
        [Digits("4"), Digits("9"), Digits("1")],
        [NoInput(), NoInput()],
        [Digits("0"), Digits("4"), NoInput(), Digits("4"), Digits("1"), RecordingDone("", 0)],
    ):
        played |= set(drive(survey_ctx(), script).prompts)
    for purpose in (NOTICE, FEE_REMINDER, SENIOR_CARE):
        played |= set(drive(message_ctx(purpose), [Digits("2")]).prompts)
    played.discard(MESSAGE)
    assert played <= OUTBOUND_PROMPTS
    for language in (ZH, EN):
        assert OUTBOUND_PROMPTS <= set(prompt_texts.TEXTS[language])
