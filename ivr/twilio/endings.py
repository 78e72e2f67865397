"""After the flow: how the call left the queue or the on-call phone, and when it ended.

The flow closes a call when it routes it (``queued``, ``sent_to_on_call``) or
ends it (``message_left``, ``self_served``), and that disposition stays. What
happens next is Twilio's to report, and is written here as the Asterisk side
writes it from AMI (:mod:`ivr.ami.tracker`):

- the caller connected to whoever dequeued them (``QueueResult`` bridged):
  disposition ``answered``, step ``queue``;
- the caller hung up while enqueued (``QueueResult`` hangup, or a final status
  with no queue result): ``abandoned``, step ``queue`` — unless answered;
- a final status (completed, busy, failed, no-answer, canceled): the call's
  ``ended_at`` moves to when it really ended; a caller who hung up inside the
  flow is closed by the flow (abandoned at its step, or self-served); an
  outbound call the flow never ran takes the status as its disposition.

Twilio sends these callbacks on its own schedule: twice, late, or in another
order. Each is recorded as a CallEvent; each decision is made under a row lock
on the call, from what is stored, so that none undoes a later one.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ivr import flow
from ivr.flow.context import ZH
from ivr.flow.outcomes import ABANDONED
from ivr.flow.policy import BASE_PRIORITY, EMERGENCY, INQUIRY, QUEUES
from ivr.twilio import twiml
from ivr.twilio.store import BRIDGED, StoredCall
from ivr.twilio.turn import PROVIDER, Turn, first, stored_call
from ivr.twilio.webhook import FINAL_STATUSES, Form, count
from models import Call, utcnow
from models.db import writers_lock
from models.phones import caller_e164

log = logging.getLogger(__name__)

ANSWERED = "answered"  # as ivr.ami.tracker: an agent took the call
QUEUE_STEP = "queue"
MAX_REQUEUES = 2
REQUEUED = ("queue-full", "error", "system-error")  # Twilio lost the caller: queue them again
SANE_CLOCK_SKEW = dt.timedelta(days=1)

Change = Callable[[Call, StoredCall | None], None]


def dial_result(turn: Turn, form: Form, query: Form) -> str:
    """Connected: hang up after. Not connected: the emergency queue takes the call."""
    turn.load()
    status = form.get("DialCallStatus", "")
    turn.recorder.event(
        "call.transfer_result", {"status": status, "seconds": form.get("DialCallDuration", "")}
    )
    if status in ("completed", "answered"):
        turn.recorder.flush()
        return twiml.hang_up()
    turn.fallback = _route_to(query.get("reason", ""))
    turn.state = turn.stored.state if turn.stored else None
    route = flow.fallback_route(turn.state) if turn.state else turn.fallback
    turn.keep_route(route)
    turn.recorder.flush()

    def enqueued(call: Call, stored: StoredCall | None) -> None:
        if stored is not None:
            stored.queue = route.queue

    _locked(turn, enqueued)
    language = turn.state.call.language if turn.state else ZH
    return twiml.render([route], turn.links, language=language)


def queue_result(turn: Turn, form: Form, query: Form) -> str:
    """How the caller left the queue; back in it if Twilio lost them."""
    turn.load()
    result = form.get("QueueResult", "")
    queue = query.get("queue", "") if query.get("queue", "") in QUEUES else INQUIRY
    turn.recorder.event(
        "call.queue_result", {"result": result, "queue": queue, "seconds": form.get("QueueTime")}
    )
    turn.recorder.flush()

    def left(call: Call, stored: StoredCall | None) -> None:
        if stored is not None:  # put back in the queue after Twilio's error: still waiting
            stored.left_queue = None if result in REQUEUED else result
        if result in BRIDGED:
            call.disposition, call.disposition_step = ANSWERED, QUEUE_STEP
        elif result == "hangup" and call.disposition != ANSWERED:
            call.disposition, call.disposition_step = ABANDONED, QUEUE_STEP

    _locked(turn, left)
    if result in ("hangup", "redirected"):
        return twiml.nothing()  # the caller is gone, or other TwiML has taken over
    if result in REQUEUED:
        attempt = count(query.get("attempt")) + 1
        if attempt <= MAX_REQUEUES:
            language = turn.stored.state.call.language if turn.stored else ZH
            return twiml.requeue(queue, turn.links, language, attempt)
        log.error("call %s: Twilio could not queue the caller: %s", turn.sid, result)
    # Seam: after an agent (bridged), the satisfaction survey; after <Leave>, the callback.
    return twiml.hang_up()


def status(turn: Turn, form: Form) -> None:
    """A status callback: recorded; a final status ends the call."""
    turn.load()
    call_status = form.get("CallStatus", "")
    direction = form.get("Direction", "inbound")
    outbound = direction.startswith("outbound")
    if not turn.row_exists and not turn.db_out:
        caller, dialled = form.get("From", ""), form.get("To", "")
        turn.recorder.start(
            direction="outbound" if outbound else "inbound",
            caller_number=caller[:40],
            caller_e164=caller_e164(caller, turn.calls.settings.region),
            dialled_number=dialled[:40],
        )
    turn.recorder.event(
        "twilio.status",
        {
            "status": call_status,
            "direction": direction,
            "seconds": form.get("CallDuration", ""),
            "sequence": form.get("SequenceNumber", ""),
            "timestamp": form.get("Timestamp", ""),
        },
    )
    if call_status in FINAL_STATUSES:
        _ended(turn, call_status, outbound=outbound, at=_timestamp(form.get("Timestamp", "")))
    turn.recorder.flush()


def recording(turn: Turn, form: Form, query: Form) -> None:
    """A recording is ready: where Twilio keeps it (fetched with the account's credentials)."""
    turn.recorder.event(
        "call.recording",
        {
            "purpose": query.get("purpose", ""),
            "recording_sid": form.get("RecordingSid", ""),
            "url": form.get("RecordingUrl", ""),
            "status": form.get("RecordingStatus", ""),
            "seconds": form.get("RecordingDuration", ""),
            "error_code": form.get("ErrorCode", ""),
        },
    )
    turn.recorder.flush()


def _ended(turn: Turn, call_status: str, *, outbound: bool, at: dt.datetime) -> None:
    """The call is over: the flow closes it if still open; then when and how it ended."""
    known = turn.stored
    if known and known.final_status is None and not isinstance(known.state, flow.Closed):
        turn.perform(flow.handle(known.state, flow.events.Hangup()))  # closed at its step
    closed = turn.state

    def ended(call: Call, stored: StoredCall | None) -> None:
        if stored is None:
            if call.disposition is None and outbound:  # a call the flow never ran
                call.disposition, call.ended_at = call_status.replace("-", "_"), at
            elif call.disposition is None:  # our /voice was never reached
                call.disposition, call.disposition_step, call.ended_at = ABANDONED, "start", at
            return
        if stored.final_status is not None:
            return  # told before
        stored.final_status = call_status
        if closed is not None:
            stored.state = closed
        call.ended_at = at
        waiting = stored.queue and stored.left_queue in (None, "hangup")
        if waiting and call.disposition != ANSWERED:
            call.disposition, call.disposition_step = ABANDONED, QUEUE_STEP

    _locked(turn, ended)


def _locked(turn: Turn, change: Change) -> bool:
    """Apply ``change`` to the call's row and stored state under a row lock.

    False when there is no row or the database is out (the events are spooled;
    the decision is not).
    """
    try:
        with turn.calls.sessions() as session, writers_lock(session.get_bind().engine):
            call = session.scalars(
                select(Call)
                .where(Call.provider == PROVIDER, Call.provider_call_id == turn.sid)
                .with_for_update()
            ).one_or_none()
            if call is None:
                return False
            stored = stored_call(call.flow_state, turn.sid)
            change(call, stored)
            if stored is not None:
                call.flow_state = stored.to_dict()
            session.commit()
            return True
    except SQLAlchemyError as exc:
        log.error(
            "call %s: %s not recorded, database unavailable: %s", turn.sid, turn.webhook, first(exc)
        )
        turn.db_out = True
        return False


def _route_to(reason: str) -> flow.Route:
    queue = reason if reason in QUEUES else EMERGENCY
    return flow.Route(queue=queue, priority=BASE_PRIORITY[queue])


def _timestamp(text: str) -> dt.datetime:
    """Twilio's ``Timestamp`` (RFC 2822: ``Mon, 23 Nov 2026 02:01:47 +0000``); else, or if
    it is more than a day from our clock, now."""
    now = utcnow()
    try:
        when = email.utils.parsedate_to_datetime(text)
        when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return when if abs(when - now) <= SANE_CLOCK_SKEW else now
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
