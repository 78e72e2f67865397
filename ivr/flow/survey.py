"""The survey call (回访) after a work order: who is calling and about what, four
questions, an optional comment, thanks (no I/O).

    您好，这里是阳光花园物业服务中心，回访您11月20日的漏水维修。
    → timeliness, skill, attitude (1–5) → solved? (1 yes, 2 no) → comment → thanks

Each question gets two tries: a wrong key or silence says so and asks again once,
then the question is skipped. Silence at the very first question ends the call
(someone else will try later). ``9`` at any question asks to confirm the opt-out
("never to be surveyed again"), and ``1`` confirms it. Each answer is logged as it
arrives (``survey.answers``), so a hang-up part-way keeps the answers so far.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .actions import Action, Gather, LogEvent, Record
from .outbound import (
    COMPLETED,
    OPTED_OUT,
    PARTIAL,
    OutboundContext,
    OutboundState,
    OutboundStep,
    close,
    goodbye,
)

SCORES = ("timeliness", "skill", "attitude")  # 及时性, 技能, 态度: 1–5
SOLVED = "solved"  # 1 yes, 2 no
QUESTIONS = (*SCORES, SOLVED)
OPT_OUT_KEY = "9"
CONFIRM_KEY = "1"
CONTINUE_KEY = "2"
MAX_MISSES = 2
QUESTION_TIMEOUT_S = 6.0
COMMENT_MAX_SECONDS = 60
COMMENT_MIN_SECONDS = 1.0  # shorter: the resident pressed # to skip
# What a survey can be about: survey.about.<kind>, by work-order subcategory or category.
SUBJECTS = (
    "leak",
    "plumbing",
    "drain",
    "electrical",
    "lift",
    "repair",
    "emergency",
    "complaint",
    "home_service",
    "service",
)


@dataclass(frozen=True)
class Answers:
    """What the resident answered so far; None for a question not (yet) answered."""

    timeliness: int | None = None
    skill: int | None = None
    attitude: int | None = None
    solved: bool | None = None
    comment: str = ""  # the recording of the comment, if one was left

    def given(self) -> int:
        """How many of the four questions were answered."""
        return sum(getattr(self, key) is not None for key in QUESTIONS)

    @property
    def complete(self) -> bool:
        """Every question answered."""
        return self.given() == len(QUESTIONS)

    def given_as(self, key: str, value: int | bool) -> Answers:
        """These answers with ``key`` answered ``value``."""
        changes: dict[str, Any] = {key: value}
        return replace(self, **changes)

    def logged(self) -> LogEvent:
        """The answers so far, for the adapter to keep at once."""
        return LogEvent("survey.answers", {**asdict(self), "complete": self.complete})


def subject_kind(category: str, subcategory: str = "") -> str:
    """The survey.about.<kind> prompt for a work order's category and subcategory."""
    if subcategory in SUBJECTS and category == "repair":
        return subcategory
    if category in ("repair", "emergency", "complaint", "home_service"):
        return category
    return "service"


def begin(ctx: OutboundContext) -> OutboundStep:
    """Say who is calling and about what, how to answer, then the first question."""
    subject = ctx.subject
    kind = subject.kind if subject and subject.kind in SUBJECTS else "service"
    day = subject.day if subject else ""
    about = ctx.say(f"survey.about.{kind}", day=day) if day else ctx.say("survey.about.recent")
    before: list[Action] = [
        ctx.say("survey.intro", community=ctx.community_name()),
        about,
        ctx.say("survey.how"),
    ]
    return Question(ctx=ctx, key=QUESTIONS[0]).enter(*before)


@dataclass(frozen=True, kw_only=True)
class Surveying(OutboundState):
    """A step of the survey, carrying the answers so far."""

    answers: Answers = Answers()

    @classmethod
    def own_from_dict(cls, own: dict[str, Any]) -> dict[str, Any]:
        return {**own, "answers": Answers(**own.get("answers", {}))}

    def hung_up(self) -> OutboundStep:
        return close(self, PARTIAL, [])

    def opt_out(self, back: str) -> OutboundStep:
        return OptOut(ctx=self.ctx, answers=self.answers, back=back).enter()


@dataclass(frozen=True, kw_only=True)
class Question(Surveying):
    """One question: a score of 1–5, or solved 1/2; two tries, then skipped."""

    name = "survey_question"
    key: str
    misses: int = 0

    def prompt(self) -> list[Action]:
        ask = self.ctx.say(f"survey.q.{self.key}")
        return [
            Gather(
                prompts=[ask],
                max_digits=1,
                timeout_s=QUESTION_TIMEOUT_S,
                speech=False,
                language=self.ctx.language,
            )
        ]

    def on_digits(self, digits: str) -> OutboundStep:
        if digits == OPT_OUT_KEY:
            return self.opt_out(self.key)
        value = self.value(digits)
        if value is None:
            return self.miss("survey.invalid")
        return self.next(self.answers.given_as(self.key, value))

    def value(self, digits: str) -> int | bool | None:
        """The answer a key gives this question, or None for a key that is not one."""
        if self.key == SOLVED:
            return {"1": True, "2": False}.get(digits)
        return int(digits) if digits in ("1", "2", "3", "4", "5") else None

    def on_no_input(self) -> OutboundStep:
        return self.miss("survey.no_input")

    def miss(self, prompt: str) -> OutboundStep:
        """A wrong key or silence: ask once more, then skip the question."""
        if self.misses + 1 < MAX_MISSES:
            return replace(self, misses=self.misses + 1).enter(self.ctx.say(prompt))
        skipped = LogEvent("survey.skipped", {"question": self.key})
        if self.answers.given() == 0 and self.key == QUESTIONS[0] and prompt == "survey.no_input":
            return goodbye(self, PARTIAL, skipped, prompt="survey.later")
        return self.next(self.answers, skipped)

    def next(self, answers: Answers, *before: Action) -> OutboundStep:
        """The next question, or the comment after the last one."""
        logged = [*before, answers.logged()] if answers != self.answers else list(before)
        following = QUESTIONS.index(self.key) + 1
        if following < len(QUESTIONS):
            return Question(ctx=self.ctx, answers=answers, key=QUESTIONS[following]).enter(*logged)
        return Comment(ctx=self.ctx, answers=answers).enter(*logged)


@dataclass(frozen=True, kw_only=True)
class OptOut(Surveying):
    """``9`` was pressed: confirm never to be surveyed again (1), or go on (2)."""

    name = "survey_opt_out"
    back: str
    misses: int = 0

    def prompt(self) -> list[Action]:
        ask = self.ctx.say("survey.opt_out.confirm")
        return [
            Gather(
                prompts=[ask],
                max_digits=1,
                timeout_s=QUESTION_TIMEOUT_S,
                speech=False,
                language=self.ctx.language,
            )
        ]

    def on_digits(self, digits: str) -> OutboundStep:
        if digits in (CONFIRM_KEY, OPT_OUT_KEY):
            opted = LogEvent("survey.opted_out", {"question": self.back})
            return goodbye(self, OPTED_OUT, opted, prompt="survey.opted_out")
        if digits == CONTINUE_KEY:
            return self.resume()
        return self.on_no_input()

    def on_no_input(self) -> OutboundStep:
        """Not confirmed: once more, then back to the question (an opt-out is never guessed)."""
        if self.misses + 1 < MAX_MISSES:
            return replace(self, misses=self.misses + 1).enter(self.ctx.say("survey.invalid"))
        return self.resume()

    def resume(self) -> OutboundStep:
        return Question(ctx=self.ctx, answers=self.answers, key=self.back).enter()


@dataclass(frozen=True, kw_only=True)
class Comment(Surveying):
    """Any other comment, recorded after the tone; ``#`` or silence skips it."""

    name = "survey_comment"

    def prompt(self) -> list[Action]:
        return [
            Record(
                prompt="survey.comment",
                max_seconds=COMMENT_MAX_SECONDS,
                purpose="survey_comment",
                language=self.ctx.language,
            )
        ]

    def on_recording(self, event: Any) -> OutboundStep:
        if not event.ref or event.seconds < COMMENT_MIN_SECONDS:
            return self.finish(self.answers)
        kept = LogEvent("survey.comment", {"ref": event.ref, "seconds": event.seconds})
        return self.finish(replace(self.answers, comment=event.ref), kept)

    def on_digits(self, digits: str) -> OutboundStep:
        return self.finish(self.answers)

    def on_no_input(self) -> OutboundStep:
        return self.finish(self.answers)

    def finish(self, answers: Answers, *before: Action) -> OutboundStep:
        """Thanks and goodbye: completed if anything was answered."""
        final = LogEvent("survey.answers", {**asdict(answers), "complete": answers.complete})
        outcome = COMPLETED if answers.given() else PARTIAL
        return goodbye(self, outcome, *before, final, prompt="survey.thanks")

    def hung_up(self) -> OutboundStep:
        """Gone at the comment: every question has had its turn."""
        final = LogEvent(
            "survey.answers", {**asdict(self.answers), "complete": self.answers.complete}
        )
        return close(self, COMPLETED if self.answers.given() else PARTIAL, [final])
