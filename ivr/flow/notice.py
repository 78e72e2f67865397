"""Calls that deliver a message: notices, fee reminders, senior-care calls (no I/O).

- A notice (通知、温馨提示): who is calling, the campaign's message (synthesised
  from its words, or its recording), then "1 to hear it again".
- A fee reminder (催缴): the amount and the due date where the record has them.
- A senior-care call (亲情电话) to an enrolled senior's family: the message, then
  "1 to hear it again, 2 to be called back by the service centre".
- After an emergency (``eta`` set): help is on the way and expected within so many
  minutes (someone on call accepted, :mod:`.oncall`).

The message counts as delivered once it has started: a hang-up after that completes
the call (no adapter can tell reliably how much of a message was heard).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .actions import Action, Gather, LogEvent, Say
from .outbound import (
    COMPLETED,
    FEE_REMINDER,
    MESSAGE,
    SENIOR_CARE,
    OutboundContext,
    OutboundState,
    OutboundStep,
    close,
    goodbye,
)

REPEAT_KEY = "1"
CALLBACK_KEY = "2"
MAX_REPEATS = 3
MENU_TIMEOUT_S = 5.0


def content(ctx: OutboundContext) -> list[Action]:
    """What the call says: who is calling, then the message."""
    community = ctx.community_name()
    if ctx.purpose == FEE_REMINDER:
        return [ctx.say("fee.intro", community=community), fee_details(ctx)]
    if ctx.purpose == SENIOR_CARE:
        said: list[Action] = [ctx.say("senior.intro", community=community)]
        return [*said, message(ctx) if has_message(ctx) else ctx.say("senior.default")]
    if ctx.eta:  # after an emergency: someone accepted and is on the way
        return [ctx.say("oncall.on_the_way", community=community, minutes=ctx.eta)]
    return [ctx.say("notice.intro", community=community), message(ctx)]


def has_message(ctx: OutboundContext) -> bool:
    return bool(ctx.message.strip() or ctx.recording)


def message(ctx: OutboundContext) -> Say:
    """The campaign's own message (not a catalogue prompt: see :data:`MESSAGE`)."""
    return Say(MESSAGE, {"text": ctx.message, "recording": ctx.recording}, ctx.language)


def fee_details(ctx: OutboundContext) -> Say:
    """The amount owed and the due date, as far as the record has them."""
    if ctx.amount and ctx.due:
        return ctx.say("fee.amount_due", amount=ctx.amount, day=ctx.due)
    if ctx.amount:
        return ctx.say("fee.amount", amount=ctx.amount)
    if ctx.due:
        return ctx.say("fee.due", day=ctx.due)
    return ctx.say("fee.general")


def begin(ctx: OutboundContext) -> OutboundStep:
    """The message, then the menu to hear it again."""
    return Heard(ctx=ctx).enter(*content(ctx))


@dataclass(frozen=True, kw_only=True)
class Heard(OutboundState):
    """The message was played: 1 plays it again (a few times); anything else says goodbye."""

    name = "message_heard"
    repeats: int = 0

    def prompt(self) -> list[Action]:
        menu = "senior.menu" if self.ctx.purpose == SENIOR_CARE else "notice.repeat"
        return [
            Gather(
                prompts=[self.ctx.say(menu)],
                max_digits=1,
                timeout_s=MENU_TIMEOUT_S,
                speech=False,
                language=self.ctx.language,
            )
        ]

    def on_digits(self, digits: str) -> OutboundStep:
        if digits == REPEAT_KEY and self.repeats < MAX_REPEATS:
            again = LogEvent("outbound.repeated", {"times": self.repeats + 1})
            return replace(self, repeats=self.repeats + 1).enter(again, *content(self.ctx))
        if digits == CALLBACK_KEY and self.ctx.purpose == SENIOR_CARE:
            asked = LogEvent("outbound.callback_requested", {"job_id": self.ctx.job_id})
            return goodbye(self, COMPLETED, asked, prompt="senior.callback_ok")
        return self.on_no_input()

    def on_no_input(self) -> OutboundStep:
        return goodbye(self, COMPLETED, prompt="notice.goodbye")

    def hung_up(self) -> OutboundStep:
        return close(self, COMPLETED, [])
