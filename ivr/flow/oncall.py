"""The on-call call (值班呼叫): an emergency read to the person on duty, who accepts or not
(no I/O).

    您好，这里是阳光花园物业服务中心值班呼叫。紧急情况：水管爆裂。地点：3栋2单元1502。
    住户回电号码：…  接受任务请按1，无法前往请按2，重听请按9。

``1`` accepts: the call closes ``completed`` and the ladder stops. ``2`` declines
(``declined``). Silence or a wrong key asks again once; a second time, or a hang-up
before deciding, is ``no_answer``: the ladder tries again later or moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .actions import Action, Gather, LogEvent
from .outbound import (
    COMPLETED,
    DECLINED,
    NO_ANSWER,
    OutboundContext,
    OutboundState,
    OutboundStep,
    close,
    goodbye,
)

ACCEPT_KEY = "1"
DECLINE_KEY = "2"
REPEAT_KEY = "9"
MAX_MISSES = 2
MAX_REPEATS = 3
MENU_TIMEOUT_S = 8.0
# The emergencies an on-call call can name: oncall.kind.<kind> (work-order subcategories).
KINDS = (
    "burst_pipe",
    "power_outage",
    "gas",
    "fire",
    "flooding",
    "lift_trapped",
    "medical",
    "crime",
    "other",
)


def details(ctx: OutboundContext) -> list[Action]:
    """Who is calling, the emergency, where, and the resident's number."""
    emergency = ctx.emergency
    kind = emergency.kind if emergency and emergency.kind in KINDS else "other"
    said: list[Action] = [
        ctx.say("oncall.intro", community=ctx.community_name()),
        ctx.say(f"oncall.kind.{kind}"),
    ]
    if emergency and emergency.address:
        said.append(ctx.say("oncall.address", address=emergency.address))
    else:
        said.append(ctx.say("oncall.common_area"))
    if emergency and emergency.callback:
        said.append(ctx.say("oncall.callback", number=emergency.callback))
    return said


def begin(ctx: OutboundContext) -> OutboundStep:
    """Read the emergency, then ask: accept or decline."""
    return Deciding(ctx=ctx).enter(*details(ctx))


@dataclass(frozen=True, kw_only=True)
class Deciding(OutboundState):
    """The emergency was read: 1 accepts, 2 declines, 9 hears it again."""

    name = "oncall_deciding"
    misses: int = 0
    repeats: int = 0

    def prompt(self) -> list[Action]:
        return [
            Gather(
                prompts=[self.ctx.say("oncall.menu")],
                max_digits=1,
                timeout_s=MENU_TIMEOUT_S,
                speech=False,
                language=self.ctx.language,
            )
        ]

    def on_digits(self, digits: str) -> OutboundStep:
        if digits == ACCEPT_KEY:
            accepted = LogEvent("oncall.accepted", {"job_id": self.ctx.job_id})
            return goodbye(self, COMPLETED, accepted, prompt="oncall.accepted")
        if digits == DECLINE_KEY:
            declined = LogEvent("oncall.declined", {"job_id": self.ctx.job_id})
            return goodbye(self, DECLINED, declined, prompt="oncall.declined")
        if digits == REPEAT_KEY and self.repeats < MAX_REPEATS:
            return replace(self, repeats=self.repeats + 1).enter(*details(self.ctx))
        return self.miss("oncall.invalid")

    def on_no_input(self) -> OutboundStep:
        return self.miss("oncall.no_input")

    def miss(self, prompt: str) -> OutboundStep:
        """Once more; then nothing was decided: the ladder goes on."""
        if self.misses + 1 < MAX_MISSES:
            return replace(self, misses=self.misses + 1).enter(self.ctx.say(prompt))
        return goodbye(self, NO_ANSWER, prompt="oncall.undecided")

    def hung_up(self) -> OutboundStep:
        return close(self, NO_ANSWER, [])
