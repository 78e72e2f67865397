"""The agent's desk: presence, answering an offered call, the wrap-up, and the agent's state.

Rules kept here, server-side (the page only mirrors them):

- An agent sets themselves available, paused (with a reason) or offline; wrap-up
  is entered when a call ends and left by giving the call its wrap-up.
- Not while offered a call or on one; never available with an answered call
  that has no wrap-up (the dispatcher's :func:`models.presence.reserve` refuses
  such an agent too), nor before the queue's wrap-up time is over.
- Answering works for a simulated call (the caller waits on the simulator's
  page until then); Twilio and Asterisk calls are answered on the agent's phone.
- Declining frees the agent at once; the caller stays in line at their place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.dispatch.sweep import wrap_up_ends
from models import AgentPresence, Call, CallbackRequest, CallEvent, PresenceState
from models.presence import BUSY, CHOSEN_WRAP_UP, release, set_presence, undisposed_call
from models.staff import Agent

from .exceptions import CallerGone, NotOffered, PresenceRefused, WrapUpRefused

WrapUpFor = Callable[[str | None], int]

# Dispositions (来电处理结果) an answered call is wrapped up with.
WRAP_UP_CODES: dict[str, Any] = {
    "resolved": lazy_gettext("Resolved on the call"),
    "work_order": lazy_gettext("Work order opened"),
    "info_given": lazy_gettext("Information given"),
    "complaint": lazy_gettext("Complaint recorded"),
    "follow_up": lazy_gettext("Follow-up needed"),
    "transferred": lazy_gettext("Transferred"),
    "wrong_number": lazy_gettext("Wrong number or no request"),
    "dropped": lazy_gettext("Call dropped"),
}
PAUSE_REASONS: dict[str, Any] = {
    "break": lazy_gettext("Break"),
    "meal": lazy_gettext("Meal"),
    "meeting": lazy_gettext("Meeting"),
    "training": lazy_gettext("Training"),
    "other": lazy_gettext("Other"),
}
SETTABLE = (
    PresenceState.AVAILABLE,
    PresenceState.PAUSED,
    PresenceState.WRAP_UP,  # chosen: until the agent ends it
    PresenceState.OFFLINE,
)
NOTES_MAX = 4000


def presence_of(session: Session, agent_id: int, *, lock: bool = False) -> AgentPresence | None:
    query = select(AgentPresence).where(AgentPresence.agent_id == agent_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def pause_reason(key: str, text: str = "") -> str:
    """The stored reason: a key of :data:`PAUSE_REASONS`, and the agent's words after it."""
    key, text = key.strip(), " ".join(text.split())
    if key not in PAUSE_REASONS:
        key = "other" if text else ""
    return f"{key}: {text}"[:100] if key and text else key


def change_presence(
    session: Session,
    agent: Agent,
    state: str,
    reason: str = "",
    *,
    now: dt.datetime,
    wrap_up_for: WrapUpFor,
) -> AgentPresence:
    """Set the presence ``agent`` asked for, or refuse (flushed, not committed).

    :raises PresenceRefused: an unknown state, a pause without a reason, or not now.
    """
    try:
        wanted = PresenceState(state)
    except ValueError:
        raise PresenceRefused(_("Unknown presence.")) from None
    if wanted not in SETTABLE:
        raise PresenceRefused(_("Unknown presence."))
    current = presence_of(session, agent.id, lock=True)
    if current is not None and current.state in BUSY:
        raise PresenceRefused(_("Finish the call you are offered or on first."))
    if wanted is PresenceState.AVAILABLE:
        if undisposed_call(session, agent.id) is not None:
            raise PresenceRefused(_("Wrap up your last call first."))
        if (
            current is not None
            and current.state is PresenceState.WRAP_UP
            and current.reason != CHOSEN_WRAP_UP
        ):
            if now < wrap_up_ends(session, current, wrap_up_for):
                raise PresenceRefused(_("Your wrap-up time is not over yet."))
    if wanted is PresenceState.WRAP_UP:
        reason = CHOSEN_WRAP_UP
    try:
        return set_presence(session, agent, wanted, reason, now=now)
    except ValueError:
        raise PresenceRefused(_("Choose a reason for the pause.")) from None


def offered_call(session: Session, agent: Agent, call_id: int) -> tuple[AgentPresence, Call]:
    """The agent's presence and the call offered to them, locked.

    :raises NotOffered: when ``call_id`` is not offered to ``agent`` now.
    """
    presence = presence_of(session, agent.id, lock=True)
    call = session.get(Call, call_id)
    if (
        presence is None
        or presence.state is not PresenceState.OFFERED
        or presence.call_id != call_id
        or call is None
    ):
        raise NotOffered(_("This call is no longer offered to you."))
    return presence, call


def answer(
    session: Session, agent: Agent, call_id: int, *, now: dt.datetime, simulated: Any
) -> Call:
    """The agent takes the call offered to them: on a call; the simulated caller is put through.

    :param simulated: the simulator's :class:`SimulatedCalls`, or None.
    :raises NotOffered: not offered to this agent, or not a call answered on the desk.
    :raises CallerGone: the caller hung up meanwhile (the agent is available again).
    """
    presence, call = offered_call(session, agent, call_id)
    if simulated is None or not _simulated(simulated, call):
        raise NotOffered(_("Answer this call on your phone."))
    try:
        simulated.answer(call.provider_call_id, agent.login)
    except KeyError:  # NoSuchCall: hung up, or no longer waiting
        release(session, agent.id, PresenceState.AVAILABLE, now=now)
        data = {"agent_id": agent.id, "why": "caller hung up"}
        session.add(CallEvent(call_id=call.id, at=now, kind="call.offer_ended", data=data))
        session.flush()
        raise CallerGone(_("The caller hung up.")) from None
    call.agent_id, call.answered_at = agent.id, now
    data = {"agent_id": agent.id, "via": "desk"}
    session.add(CallEvent(call_id=call.id, at=now, kind="agent.connected", data=data))
    presence.state, presence.since = PresenceState.ON_CALL, now
    session.flush()
    return call


def decline(session: Session, agent: Agent, call_id: int, *, now: dt.datetime) -> None:
    """The agent turns the offer down: available at once; the caller stays in line.

    :raises NotOffered: not offered to this agent now.
    """
    offered_call(session, agent, call_id)
    release(session, agent.id, PresenceState.AVAILABLE, now=now)
    data = {"agent_id": agent.id}
    session.add(CallEvent(call_id=call_id, at=now, kind="call.declined", data=data))
    session.flush()


def hang_up(
    session: Session, agent: Agent, call_id: int, *, now: dt.datetime, simulated: Any
) -> None:
    """The agent ends the conversation: wrap-up; a simulated caller is hung up too.

    Always possible for the call the agent is on, so that a caller's page closed
    without hanging up (or a restarted simulator) never keeps the agent on it.

    :raises NotOffered: the agent is not on this call.
    """
    presence = presence_of(session, agent.id, lock=True)
    if presence is None or presence.state is not PresenceState.ON_CALL:
        raise NotOffered(_("You are not on this call."))
    if presence.call_id != call_id:
        raise NotOffered(_("You are not on this call."))
    call = session.get_one(Call, call_id)
    if simulated is not None:
        try:
            simulated.hang_up_by_agent(call.provider_call_id)
        except KeyError:
            pass  # the simulator no longer knows it: the caller is gone already
    session.add(
        CallEvent(call_id=call_id, at=now, kind="agent.hung_up", data={"agent_id": agent.id})
    )
    presence.state, presence.since, presence.call_id = PresenceState.WRAP_UP, now, None
    session.flush()


def _simulated(simulated: Any, call: Call) -> bool:
    """Whether ``call`` is one the simulator's page placed and still waits in a queue."""
    try:
        place = simulated.place_of(call.provider_call_id)
    except KeyError:
        return False
    return place is not None


def wrap_up(
    session: Session,
    agent: Agent,
    call_id: int,
    *,
    code: str,
    notes: str,
    then: str = "available",
    reason: str = "",
    now: dt.datetime,
    wrap_up_for: WrapUpFor,
) -> Call:
    """Give the agent's answered call its disposition and notes; then the next presence.

    ``then``: ``available`` (once the queue's wrap-up time is over: the dispatcher
    frees the agent then), ``paused`` (with ``reason``) or ``offline``.

    :raises WrapUpRefused: not this agent's answered call, already done, the call
        still on, an unknown code, or no notes.
    """
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or call.agent_id != agent.id or call.answered_at is None:
        raise WrapUpRefused(_("This is not a call you answered."))
    if call.wrapped_up_at is not None:
        raise WrapUpRefused(_("This call is already wrapped up."))
    presence = presence_of(session, agent.id, lock=True)
    if presence is not None and presence.state in BUSY and presence.call_id == call.id:
        raise WrapUpRefused(_("The call is still on."))
    if code not in WRAP_UP_CODES:
        raise WrapUpRefused(_("Choose how the call ended."))
    if not notes.strip():
        raise WrapUpRefused(_("Write a note about the call."))
    if then == "paused" and not reason:
        raise WrapUpRefused(_("Choose a reason for the pause."))
    call.wrap_up_code, call.wrap_up_notes = code, notes.strip()[:NOTES_MAX]
    call.wrapped_up_at = now
    data = {"agent_id": agent.id, "code": code}
    session.add(CallEvent(call_id=call.id, at=now, kind="call.wrapped_up", data=data))
    session.flush()
    if presence is not None and presence.state not in BUSY:
        _after_wrap_up(session, agent, presence, then, reason, now=now, wrap_up_for=wrap_up_for)
    return call


def _after_wrap_up(
    session: Session,
    agent: Agent,
    presence: AgentPresence,
    then: str,
    reason: str,
    *,
    now: dt.datetime,
    wrap_up_for: WrapUpFor,
) -> None:
    """Paused or offline as asked; else available once no wrap-up is due and its time is over."""
    if then in ("paused", "offline"):
        set_presence(session, agent, then, reason, now=now)
    elif presence.state is PresenceState.WRAP_UP and undisposed_call(session, agent.id) is None:
        if now >= wrap_up_ends(session, presence, wrap_up_for):
            set_presence(session, agent, PresenceState.AVAILABLE, now=now)


def _current_call(
    session: Session, presence: AgentPresence, simulated: Any
) -> dict[str, Any] | None:
    """The call offered to the agent, or that they are on, or whose resident they call back."""
    if presence.callback_id is not None:
        request = session.get(CallbackRequest, presence.callback_id)
        if request is not None:  # ringing the resident back; the card is the original call's
            since = presence.since.isoformat()
            return {
                "id": request.call_id,
                "status": "callback",
                "since": since,
                "answerable": False,
            }
    if presence.state not in BUSY or presence.call_id is None:
        return None
    call = session.get(Call, presence.call_id)
    if call is None:
        return None
    offered = presence.state is PresenceState.OFFERED
    return {
        "id": call.id,
        "status": "offered" if offered else "connected",
        "since": presence.since.isoformat(),
        "answerable": bool(offered and simulated and _simulated(simulated, call)),
    }


def snapshot(
    session: Session,
    agent_id: int,
    *,
    now: dt.datetime,
    wrap_up_for: WrapUpFor,
    simulated: Any = None,
) -> dict[str, Any]:
    """Everything the agent's desk shows, from the database: what the stream sends first."""
    presence = presence_of(session, agent_id)
    state = presence.state if presence else PresenceState.OFFLINE
    current = _current_call(session, presence, simulated) if presence else None
    pending = undisposed_call(session, agent_id)
    wrap: dict[str, Any] | None = None
    if pending is not None and (current is None or current["id"] != pending):
        wrap = {"call_id": pending}
    if presence is not None and state is PresenceState.WRAP_UP:
        wrap = (wrap or {}) | {"until": wrap_up_ends(session, presence, wrap_up_for).isoformat()}
    return {
        "presence": {
            "state": state.value,
            "reason": presence.reason if presence else None,
            "since": presence.since.isoformat() if presence else None,
        },
        "call": current,
        "callback_id": presence.callback_id if presence else None,
        "wrap_up": wrap,
    }
