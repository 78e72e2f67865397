"""The hotline's outbound calls as one flow: ``start(ctx)`` and ``handle(state, event)``.

    step = start(ctx)                   # OutboundContext -> OutboundStep
    step = handle(step.state, event)    # OutboundState, Event -> OutboundStep

Surveys (:mod:`.survey`), message calls (:mod:`.notice`) and the on-call calls of
an emergency's ladder (:mod:`.oncall`) share the events,
actions and endings of :mod:`.outbound`. :data:`OUTBOUND_PROMPTS` lists every
prompt they can play, for the prompt texts and the audio catalogue to cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import events, notice, oncall, survey
from .actions import Action, Close, Gather, LogEvent, Record, Say
from .events import Event, Hangup
from .outbound import ON_CALL, SURVEY, OutboundContext, OutboundState, OutboundStep

OUTBOUND_PROMPTS: frozenset[str] = frozenset(
    {
        # The survey.
        "survey.intro",  # community
        *(f"survey.about.{kind}" for kind in survey.SUBJECTS),  # day
        "survey.about.recent",  # no day known
        "survey.how",  # 1–5, 5 the best; 9 never to be surveyed again
        *(f"survey.q.{key}" for key in survey.QUESTIONS),
        "survey.invalid",
        "survey.no_input",
        "survey.later",  # nothing answered: we will call another time
        "survey.opt_out.confirm",
        "survey.opted_out",
        "survey.comment",
        "survey.thanks",
        # Notices, fee reminders, senior care (the message itself is campaign.message).
        "notice.intro",  # community
        "notice.repeat",
        "notice.goodbye",
        "fee.intro",  # community
        "fee.amount_due",  # amount, day
        "fee.amount",  # amount
        "fee.due",  # day
        "fee.general",
        "senior.intro",  # community
        "senior.default",
        "senior.menu",
        "senior.callback_ok",
        # The on-call call (值班呼叫), and the resident's notice once someone accepted.
        "oncall.intro",  # community
        *(f"oncall.kind.{kind}" for kind in oncall.KINDS),
        "oncall.address",  # address
        "oncall.common_area",
        "oncall.callback",  # number
        "oncall.menu",  # 1 accept, 2 decline, 9 again
        "oncall.invalid",
        "oncall.no_input",
        "oncall.accepted",
        "oncall.declined",
        "oncall.undecided",
        "oncall.on_the_way",  # community, minutes
        # An answering machine picked up (adapters).
        "outbound.machine",
    }
)


def start(ctx: OutboundContext) -> OutboundStep:
    """The first step of an answered outbound call."""
    started = LogEvent(
        "outbound.started",
        {
            "attempt_id": ctx.attempt_id,
            "job_id": ctx.job_id,
            "purpose": ctx.purpose,
            "language": ctx.language,
        },
    )
    if ctx.purpose == SURVEY:
        step = survey.begin(ctx)
    elif ctx.purpose == ON_CALL:
        step = oncall.begin(ctx)
    else:
        step = notice.begin(ctx)
    return OutboundStep(step.state, [started, *step.actions])


def handle(state: OutboundState, event: Event) -> OutboundStep:
    """The next step, given the state the call was in and what happened."""
    step = state.hung_up() if isinstance(event, Hangup) else state.on_event(event)
    if not step.actions:
        return step
    logged = LogEvent(
        "ivr.step", {"step": state.name, "event": events.to_dict(event), "next": step.state.name}
    )
    return OutboundStep(step.state, [logged, *step.actions])


@dataclass
class Heard:
    """What a scripted outbound call played and how it ended (tests, the simulator)."""

    prompts: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    close: Close | None = None
    state: OutboundState | None = None

    def logged(self, kind: str) -> list[LogEvent]:
        return [a for a in self.actions if isinstance(a, LogEvent) and a.kind == kind]


def drive(ctx: OutboundContext, script: Iterable[Event], *, through_json: bool = True) -> Heard:
    """Run a call with ``script``'s events in turn, storing the state as JSON between steps."""
    heard = Heard()
    step = start(ctx)
    pending = list(script)
    while True:
        _listen(heard, step.actions)
        heard.state = step.state
        if heard.close is not None or not pending:
            return heard
        state = OutboundState.from_json(step.state.to_json()) if through_json else step.state
        step = handle(state, pending.pop(0))


def _listen(heard: Heard, actions: list[Action]) -> None:
    for action in actions:
        heard.actions.append(action)
        match action:
            case Say(prompt=prompt):
                heard.prompts.append(prompt)
            case Gather(prompts=prompts):
                heard.prompts.extend(say.prompt for say in prompts)
            case Record(prompt=prompt):
                heard.prompts.append(prompt)
            case Close():
                heard.close = action
