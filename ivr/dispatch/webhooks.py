"""The dispatcher's Twilio webhooks: what each one does (the views are in ivr.twilio.http).

- ``/twilio/wait-choice``: the wait URL's ``<Gather>``: 1 asks for a callback.
- ``/twilio/callback/answer``: our callback call was answered: press 1 to be connected.
- ``/twilio/callback/choice``: that ``<Gather>``'s action.
- ``/twilio/callback/status``: the callback call's status callback (busy, no-answer …).
- ``/twilio/dispatch/connect``: the chosen caller, redirected: ``<Dial>`` the agent.
- ``/twilio/dispatch/connected``: that ``<Dial>``'s action: answered, or back in line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.bus import EventBus
from ivr.dispatch import twiml as dtwiml
from ivr.dispatch.connect import agent_address
from ivr.dispatch.notify import announce
from ivr.dispatch.services import CALLBACK_REQUESTED, place_in_line, retry_later
from ivr.flow.context import LANGUAGES, ZH
from ivr.flow.outcomes import ABANDONED
from ivr.twilio import twiml
from ivr.twilio.endings import ANSWERED, QUEUE_STEP
from ivr.twilio.turn import PROVIDER, stored_call
from ivr.twilio.webhook import FINAL_STATUSES, Form, count
from models import (
    Agent,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    PresenceState,
    utcnow,
)
from models.presence import release

if TYPE_CHECKING:
    from ivr.twilio.services import TwilioCalls

EXTENSION = "hotline.dispatch"  # app.extensions key: set where a dispatcher runs

log = logging.getLogger(__name__)

CONNECTED_STATUSES = ("completed", "answered")
_CORRELATION = re.compile(r"callback-(\d+)-\d+")


def _language(value: str) -> str:
    return value if value in LANGUAGES else ZH


def request_id(query: Form) -> int | None:
    """The CallbackRequest a callback webhook is about: ``request`` or the correlation id."""
    if query.get("request", "").isdigit():
        return int(query["request"])
    found = _CORRELATION.fullmatch(query.get("correlation_id", ""))
    return int(found.group(1)) if found else None


@dataclasses.dataclass
class DispatchWebhooks:
    """The webhooks above, over the database and the Twilio settings' region."""

    sessions: Callable[[], Session]
    region: str = "CN"
    clock: Callable[[], dt.datetime] = utcnow
    bus: EventBus | None = None  # each agent's desk hears its wrap-up (``agent.<id>.*``)

    # Waiting in the queue.

    def wait_choice(self, form: Form, query: Form, base: str) -> str:
        """Pressing 1 while waiting records a callback at the caller's place, then ``<Leave>``."""
        language = _language(query.get("lang", ""))
        if form.get("Digits", "").strip() != dtwiml.CALLBACK_KEY:
            return twiml.nothing()  # the wait document ends; Twilio asks the wait URL again
        now = self.clock()
        with self.sessions() as session:
            call = session.scalars(
                select(Call)
                .where(Call.provider == PROVIDER, Call.provider_call_id == form.get("CallSid", ""))
                .with_for_update()
            ).one_or_none()
            if call is None or not call.caller_e164 or not call.queue:
                return twiml.nothing()  # no number to call back: keep waiting
            # The place in line, measured as the dispatcher measures waiting callers; the
            # wait URL's QueueTime only if the record has no time of queueing.
            since = count(query.get("since"))
            enqueued = (
                place_in_line(call)
                if call.ended_at or not since
                else (dt.datetime.fromtimestamp(since, dt.UTC))
            )
            known = session.scalar(
                select(CallbackRequest).where(
                    CallbackRequest.call_id == call.id,
                    CallbackRequest.status.in_([CallbackStatus.PENDING, CallbackStatus.CALLING]),
                )
            )
            if known is None:
                known = CallbackRequest(
                    call_id=call.id,
                    resident_id=call.resident_id,
                    community_id=call.community_id,
                    number=call.caller_e164,
                    language=language,
                    queue=call.queue,
                    priority=call.priority,
                    enqueued_at=min(enqueued, now),
                    created_at=now,
                    updated_at=now,
                )
                session.add(known)
                session.flush()
                asked = {"request": known.id, "queue": call.queue}
                session.add(
                    CallEvent(call_id=call.id, at=now, kind="callback.requested", data=asked)
                )
            call.disposition, call.disposition_step = CALLBACK_REQUESTED, QUEUE_STEP
            session.commit()
        return dtwiml.callback_accepted(language)

    # The callback call.

    def callback_answer(self, form: Form, query: Form, base: str) -> str:
        """Answered: a machine goes back in line; a person is asked to press 1."""
        with self.sessions() as session:
            request = self._calling(session, query)
            if request is None:
                return twiml.hang_up()
            answered_by = form.get("AnsweredBy", "")
            if answered_by.startswith("machine") or answered_by == "fax":
                retry_later(session, request, f"answered by {answered_by}", now=self.clock())
                session.commit()
                return twiml.hang_up()
            request.provider_call_id = form.get("CallSid", "") or request.provider_call_id
            session.commit()
            action = dtwiml.url(base, dtwiml.CALLBACK_CHOICE, request=request.id)
            return dtwiml.callback_question(request.language, action)

    def callback_choice(self, form: Form, query: Form, base: str) -> str:
        """1: through to the reserved agent. Anything else or nothing: try again later."""
        now = self.clock()
        with self.sessions() as session:
            request = self._calling(session, query)
            if request is None:
                return twiml.hang_up()
            language = request.language
            agent = session.get(Agent, request.agent_id) if request.agent_id else None
            address = agent_address(agent, self.region) if agent else None
            if form.get("Digits", "").strip() != dtwiml.CALLBACK_KEY or address is None:
                retry_later(session, request, "no key pressed", now=now)
                session.commit()
                return dtwiml.goodbye(language)
            request.status, request.updated_at = CallbackStatus.CONNECTED, now
            data = {"request": request.id, "agent_id": request.agent_id}
            session.add(
                CallEvent(call_id=request.call_id, at=now, kind="callback.connected", data=data)
            )
            session.commit()
            action = dtwiml.url(base, dtwiml.CONNECTED, request=request.id, agent=request.agent_id)
        return dtwiml.dial_agent(address, action=action, language=language)

    def callback_status(self, form: Form, query: Form) -> None:
        """The callback call ended unanswered (busy, no-answer, failed), or before a key."""
        status = form.get("CallStatus", "")
        if status not in FINAL_STATUSES:
            return
        with self.sessions() as session:
            request = self._calling(session, query)
            if request is not None:  # still calling: nobody pressed 1
                retry_later(session, request, status, now=self.clock())
                session.commit()

    def _calling(self, session: Session, query: Form) -> CallbackRequest | None:
        found = request_id(query)
        if found is None:
            return None
        return session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.id == found, CallbackRequest.status == CallbackStatus.CALLING)
            .with_for_update()
        ).one_or_none()

    # A waiting caller put through to an agent.

    def connect(self, form: Form, query: Form, base: str) -> str:
        """The redirected caller: ``<Dial>`` the agent, or back in line if unreachable."""
        agent_id, call_id = count(query.get("agent")), count(query.get("call"))
        with self.sessions() as session:
            call = self._call(session, form)
            agent = session.get(Agent, agent_id)
            if call is None or call.id != call_id:
                return twiml.hang_up()
            stored = stored_call(call.flow_state, call.provider_call_id)
            language = stored.state.call.language if stored else ZH
            address = agent_address(agent, self.region) if agent else None
            if stored is not None:
                stored.left_queue = "redirected"
                call.flow_state = stored.to_dict()
            session.commit()
        action = dtwiml.url(base, dtwiml.CONNECTED, call=call_id, agent=agent_id)
        if address is None:
            return self.connected({**form, "DialCallStatus": "failed"}, query, base)
        return dtwiml.dial_agent(address, action=action, language=language)

    def connected(self, form: Form, query: Form, base: str) -> str:
        """The agent's leg ended: wrap-up after a call; otherwise the caller goes back in line."""
        agent_id, now = count(query.get("agent")), self.clock()
        through = form.get("DialCallStatus", "") in CONNECTED_STATUSES
        answered = now - dt.timedelta(seconds=count(form.get("DialCallDuration")))
        with self.sessions() as session:
            after = PresenceState.WRAP_UP if through else PresenceState.AVAILABLE
            release(session, agent_id, after, now=now)
            if query.get("request"):
                reply = self._callback_connected(session, query, through, answered, agent_id)
                announce(self.bus, agent_id, "presence", state=after.value)
                return reply
            call = self._call(session, form)
            if call is None:
                session.commit()
                announce(self.bus, agent_id, "presence", state=after.value)
                return twiml.hang_up()
            stored = stored_call(call.flow_state, call.provider_call_id)
            result = {"agent_id": agent_id, "status": form.get("DialCallStatus", "")}
            session.add(CallEvent(call_id=call.id, at=now, kind="call.agent_result", data=result))
            hung_up = form.get("CallStatus", "") in FINAL_STATUSES
            if through:
                call.disposition, call.disposition_step = ANSWERED, QUEUE_STEP
                _answered_by(session, call, agent_id, answered)
            elif hung_up:
                call.disposition, call.disposition_step = ABANDONED, QUEUE_STEP
            if stored is not None:  # back in line (None) unless answered or gone
                stored.left_queue = "bridged" if through else "hangup" if hung_up else None
                call.flow_state = stored.to_dict()
            session.commit()
        announce(self.bus, agent_id, "presence", state=after.value, call_id=call.id)
        if through or stored is None or not call.queue:
            return twiml.hang_up()
        if hung_up:
            return twiml.nothing()  # the caller hung up while the agent's phone rang
        links = twiml.Links(base=base)
        return twiml.requeue(call.queue, links, stored.state.call.language, 0)

    def _callback_connected(
        self, session: Session, query: Form, through: bool, answered: dt.datetime, agent_id: int
    ) -> str:
        now = self.clock()
        request = session.get(CallbackRequest, request_id(query) or 0)
        if request is None:
            session.commit()
            return twiml.hang_up()
        if not through:  # the agent did not answer: the resident is called again later
            request.status, request.agent_id = CallbackStatus.PENDING, None
        else:  # the conversation is the original call's: it needs a wrap-up
            call = session.get(Call, request.call_id)
            if call is not None:
                _answered_by(session, call, agent_id, answered)
        request.updated_at = now
        session.commit()
        return twiml.hang_up() if through else dtwiml.goodbye(request.language)

    def _call(self, session: Session, form: Form) -> Call | None:
        return session.scalars(
            select(Call)
            .where(Call.provider == PROVIDER, Call.provider_call_id == form.get("CallSid", ""))
            .with_for_update()
        ).one_or_none()


def _answered_by(session: Session, call: Call, agent_id: int, at: dt.datetime) -> None:
    """``call`` was answered by ``agent_id`` at ``at``: it now needs their wrap-up."""
    if agent_id and session.get(Agent, agent_id) is not None and call.answered_at is None:
        call.agent_id, call.answered_at = agent_id, at


def waiting(calls: TwilioCalls, form: Form, query: Form, base: str) -> str:
    """The wait URL with the callback offer: the gather's action carries the enqueue time.

    Twilio posts ``QueueTime`` (seconds in this queue) with every wait request, so
    now minus it is when the caller joined: the place a callback keeps.
    """
    try:
        language = _language(query.get("lang", ""))
        joined = calls.clock() - dt.timedelta(seconds=count(form.get("QueueTime")))
        action = dtwiml.url(
            base,
            dtwiml.WAIT_CHOICE,
            queue=query.get("queue", ""),
            lang=language,
            since=int(joined.timestamp()),
        )
        return twiml.waiting(
            language,
            position=count(form.get("QueuePosition")),
            expected_minutes=twiml.expected_minutes(
                count(form.get("AvgQueueTime")), count(form.get("QueueTime"))
            ),
            hold_music_url=calls.settings.hold_music_url,
            callback_action=action,
        )
    except Exception:
        log.exception("callback offer for queue %r failed; plain wait", query.get("queue"))
        return calls.waiting(form, query)
