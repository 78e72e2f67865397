"""Agents whose offer, call or wrap-up is over, freed each dispatcher round (no I/O but SQL).

- Offered a caller who never reached the agent: the simulator's caller neither
  answered nor declined within ``offer_timeout``, or a Twilio caller whose
  redirect never reached ``/twilio/dispatch/connect``; or the caller hung up
  meanwhile. The agent is available again at once; the caller, still in line
  (its place unchanged), is offered again by the next round.
  A Twilio caller who did reach the connect URL is left to ``<Dial>``'s own
  timeout and the ``/twilio/dispatch/connected`` webhook.
- On a call (answered from the console) whose caller has hung up: wrap-up.
- In wrap-up, the call disposed and the queue's wrap-up time over: available.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.twilio.turn import PROVIDER, stored_call
from models import AgentPresence, Call, CallEvent, PresenceState
from models.presence import CHOSEN_WRAP_UP, undisposed_call

REACHED_CONNECT = "redirected"  # the stored call's left_queue once /dispatch/connect ran


@dataclasses.dataclass(frozen=True)
class Freed:
    """One agent moved on by the sweep: to ``state``, about ``call_id``."""

    agent_id: int
    state: PresenceState
    call_id: int | None
    why: str


def sweep(
    session: Session,
    now: dt.datetime,
    *,
    offer_timeout: dt.timedelta,
    wrap_up_for: Callable[[str | None], int],
) -> list[Freed]:
    """Move on every agent whose offer, call or wrap-up is over (flushed, not committed)."""
    busy = (PresenceState.OFFERED, PresenceState.ON_CALL, PresenceState.WRAP_UP)
    rows = session.execute(
        select(AgentPresence, Call)
        .outerjoin(Call, Call.id == AgentPresence.call_id)
        .where(AgentPresence.state.in_(busy), AgentPresence.callback_id.is_(None))
        .with_for_update(of=AgentPresence)
    ).all()
    freed: list[Freed] = []
    for presence, call in rows:
        if presence.state is PresenceState.OFFERED:
            why = _offer_over(presence, call, now, offer_timeout)
            after = PresenceState.AVAILABLE
        elif presence.state is PresenceState.ON_CALL:
            why = _call_over(call)
            after = PresenceState.WRAP_UP
        else:
            why = _wrap_up_over(session, presence, now, wrap_up_for)
            after = PresenceState.AVAILABLE
        if why is None:
            continue
        call_id = presence.call_id
        if call_id is not None and presence.state is PresenceState.OFFERED:
            data = {"agent_id": presence.agent_id, "why": why}
            session.add(CallEvent(call_id=call_id, at=now, kind="call.offer_ended", data=data))
        presence.state, presence.since, presence.reason = after, now, None
        if after is not PresenceState.ON_CALL:
            presence.call_id = None
        freed.append(Freed(presence.agent_id, after, call_id, why))
    session.flush()
    return freed


def _offer_over(
    presence: AgentPresence, call: Call | None, now: dt.datetime, timeout: dt.timedelta
) -> str | None:
    if call is None:
        return "no call"
    if call.answered_at is not None or call.provider != PROVIDER:
        return None  # answered; or an Asterisk offer, which app_queue times out itself
    stored = stored_call(call.flow_state, call.provider_call_id)
    if stored is not None and stored.left_queue == REACHED_CONNECT:
        return None  # ringing through <Dial>: its action URL will say how it went
    if stored is None or stored.final_status is not None:
        return "caller hung up"
    if now - presence.since >= timeout:
        return "not answered in time"
    return None


def _call_over(call: Call | None) -> str | None:
    if call is None:
        return "no call"
    if call.provider != PROVIDER:
        return None  # Asterisk: AgentComplete ends it (ivr.ami.tracker)
    stored = stored_call(call.flow_state, call.provider_call_id)
    if stored is None or stored.final_status is not None:
        return "call ended"
    return None


def _wrap_up_over(
    session: Session,
    presence: AgentPresence,
    now: dt.datetime,
    wrap_up_for: Callable[[str | None], int],
) -> str | None:
    if presence.reason == CHOSEN_WRAP_UP:
        return None  # the agent ends it
    if undisposed_call(session, presence.agent_id) is not None:
        return None  # no next call before the last one has its wrap-up
    if now < wrap_up_ends(session, presence, wrap_up_for):
        return None
    return "wrap-up done"


def wrap_up_ends(
    session: Session, presence: AgentPresence, wrap_up_for: Callable[[str | None], int]
) -> dt.datetime:
    """When ``presence``'s wrap-up time is over: its start plus the last call's queue's time."""
    queue = session.scalar(
        select(Call.queue)
        .where(Call.agent_id == presence.agent_id, Call.answered_at.is_not(None))
        .order_by(Call.answered_at.desc(), Call.id.desc())
        .limit(1)
    )
    return presence.since + dt.timedelta(seconds=wrap_up_for(queue))
