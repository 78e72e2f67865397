"""Where the simulator's page comes in: a Flask blueprint under ``/simulator``.

- ``GET /simulator/``: the "Try a call" page (a phone in the browser).
- ``GET /simulator/residents?q=``: demo residents to call as (names, masked numbers).
- ``POST /simulator/calls``: place a call: ``{"phone_id"}`` or ``{"number"}``, and ``"to"``;
  answers the CallSid and the TwiML of ``/twilio/voice``.
- ``POST /simulator/send``: ``{"sid", "url", "params", "queue"}``: one signed webhook
  request of that call; answers ``{"status", "twiml", "queue"}``.
- ``GET /simulator/calls/<sid>``: where the call waits, and whether an agent answered.
- ``GET /simulator/rings``: the outbound calls (callbacks, surveys) ringing the simulator.
- ``POST /simulator/rings/<sid>/answer``: pick one up: its answer webhook's TwiML.
- ``POST /simulator/rings/<sid>/decline``: ``{"status": "busy" | "no-answer"}``.

Outbound calls ring the simulator when the app's outbound provider
(``app.extensions["hotline.outbound"]``) is :class:`ivr.outbound.recording.RecordingProvider`,
as :func:`ivr.outbound.make_provider` chooses when no Twilio account is configured.

When Twilio is configured, every JSON endpoint wants the auth token in the
``X-Hotline-Twilio-Token`` header (see :mod:`.exchange`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from agent_console.simulator.calls import NoSuchCall, SimulatedCalls, call_sid, incoming_form
from agent_console.simulator.exchange import Exchange, Refused, describe
from ivr.outbound.calls import STATUS_PATH
from ivr.outbound.recording import RecordingProvider, Ring
from ivr.twilio.settings import TwilioSettings
from models import (
    Building,
    Community,
    HotlineNumber,
    Occupancy,
    PhoneNumber,
    Resident,
    Unit,
    format_address,
)
from models.phones import InvalidPhoneNumber, mask, to_e164

EXCHANGE = "hotline.simulator.exchange"  # app.extensions keys
CALLS = "hotline.simulator.calls"
OUTBOUND = "hotline.outbound"  # the outbound Provider, set by whoever runs the dialer
DECLINED = frozenset({"busy", "no-answer", "failed", "canceled"})
TOKEN_HEADER = "X-Hotline-Twilio-Token"
RESIDENTS_SHOWN = 20


def create_blueprint(
    settings: TwilioSettings,
    *,
    sessions: Callable[[], Session],
    readers: Callable[[], Session] | None = None,
) -> Blueprint:
    """The simulator for an app whose ``/twilio`` webhooks answer with ``settings``."""
    exchange = Exchange.create(settings, sessions=sessions, readers=readers)
    bp = Blueprint(
        "simulator",
        __name__,
        url_prefix="/simulator",
        template_folder="templates",
        static_folder="static",
    )

    @bp.record_once
    def install(state: BlueprintSetupState) -> None:
        state.app.extensions[EXCHANGE] = exchange
        state.app.extensions[CALLS] = SimulatedCalls()

    bp.add_url_rule("/", view_func=page)
    bp.add_url_rule("/residents", view_func=residents)
    bp.add_url_rule("/calls", view_func=place_call, methods=["POST"])
    bp.add_url_rule("/send", view_func=send, methods=["POST"])
    bp.add_url_rule("/calls/<sid>", view_func=call_state)
    bp.add_url_rule("/rings", view_func=rings)
    bp.add_url_rule("/rings/<sid>/answer", view_func=answer_ring, methods=["POST"])
    bp.add_url_rule("/rings/<sid>/decline", view_func=decline_ring, methods=["POST"])
    bp.before_request(only_from_this_machine)
    bp.register_error_handler(Refused, refused)
    bp.register_error_handler(NoSuchCall, no_such_call)
    bp.register_error_handler(BadRequest, bad_request)
    return bp


def only_from_this_machine() -> Response | None:
    """Until the console has logins, the simulator (which lists residents) answers only
    browsers on this machine: the embedded defaults listen on 127.0.0.1 anyway."""
    address = ipaddress.ip_address(request.remote_addr or "0.0.0.0")
    if address.is_loopback:
        return None
    current_app.logger.warning("simulator refused for %s: not this machine", address)
    return Response("The call simulator answers only on this machine.\n", 403)


def _exchange() -> Exchange:
    exchange: Exchange = current_app.extensions[EXCHANGE]
    exchange.authorise(request.headers.get(TOKEN_HEADER, ""))
    return exchange


def _calls() -> SimulatedCalls:
    calls: SimulatedCalls = current_app.extensions[CALLS]
    return calls


def page() -> str:
    """The phone: pick a caller and a hotline number, call, and follow the TwiML."""
    exchange: Exchange = current_app.extensions[EXCHANGE]
    numbers: list[dict[str, str]] = []
    if exchange.simulated:  # with Twilio configured, the page asks for the token first
        with current_app.extensions["hotline.sessions"]() as session:
            numbers = _hotline_numbers(session)
    return render_template("simulator/phone.html", exchange=describe(exchange), numbers=numbers)


def residents() -> Response:
    """Up to 20 residents whose name or number contains ``q``, with their hotline number."""
    _exchange()
    query = request.args.get("q", "").strip()
    digits = "".join(ch for ch in query if ch.isdigit())
    statement = (
        select(
            PhoneNumber.id,
            PhoneNumber.e164,
            PhoneNumber.label,
            Resident.id.label("resident_id"),
            Resident.name,
        )
        .join(Resident, Resident.id == PhoneNumber.resident_id)
        .order_by(Resident.id, PhoneNumber.is_primary.desc(), PhoneNumber.id)
        .limit(RESIDENTS_SHOWN)
    )
    if query:
        matches = [Resident.name.contains(query, autoescape=True)]
        if len(digits) >= 3:
            matches.append(PhoneNumber.e164.contains(digits, autoescape=True))
        statement = statement.where(or_(*matches))
    with current_app.extensions["hotline.sessions"]() as session:
        rows = session.execute(statement).all()
        homes = _homes(session, [row.resident_id for row in rows])
        numbers = _hotline_numbers(session)
    found = [
        {
            "phone_id": row.id,
            "name": row.name,
            "number": mask(row.e164),
            "label": row.label,
            **homes.get(row.resident_id, {"home": "", "community": "", "code": ""}),
        }
        for row in rows
    ]
    return jsonify(residents=found, hotlines=numbers)


def _homes(session: Session, resident_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each resident's first unit on file: its address and community (to dial its hotline)."""
    rows = session.execute(
        select(
            Occupancy.resident_id,
            Building.name.label("building"),
            Unit.entrance,
            Unit.room,
            Community.name.label("community"),
            Community.code,
        )
        .join(Unit, Unit.id == Occupancy.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Community, Community.id == Building.community_id)
        .where(Occupancy.resident_id.in_(resident_ids))
        .order_by(Occupancy.id.desc())
    ).all()
    return {
        row.resident_id: {
            "home": format_address(row.building, row.entrance, row.room),
            "community": row.community,
            "code": row.code,
        }
        for row in rows  # the earliest occupancy, written last, wins
    }


def _hotline_numbers(session: Session) -> list[dict[str, str]]:
    rows = session.execute(
        select(HotlineNumber.e164, Community.name, Community.code)
        .join(Community, Community.id == HotlineNumber.community_id)
        .order_by(Community.code, HotlineNumber.e164)
    ).all()
    return [{"e164": r.e164, "community": r.name, "code": r.code} for r in rows]


def place_call() -> tuple[Response, int]:
    """Dial a hotline number as a resident (``phone_id``) or as any ``number``."""
    exchange = _exchange()
    body = _json()
    caller = _caller(body, exchange.settings.region)
    dialled = str(body.get("to") or "")
    with current_app.extensions["hotline.sessions"]() as session:
        known = [n["e164"] for n in _hotline_numbers(session)]
    if not dialled and known:
        dialled = known[0]
    if not dialled:
        raise BadRequest("no hotline number to call: add a community and its number first")
    form = incoming_form(
        sid=call_sid(),
        account=exchange.account_sid,
        caller=caller,
        dialled=dialled,
        country=exchange.settings.region,
    )
    call = _calls().place(form)
    reply = exchange.post(current_app, "/twilio/voice", form, root=request.url_root)
    body = {"sid": call.sid, "status": reply.status, "twiml": reply.body, "caller": mask(caller)}
    return jsonify(body | {"status_url": STATUS_PATH}), 200


def _caller(body: dict[str, Any], region: str) -> str:
    """The caller ID: a resident's number by its id, or the number typed (anything goes)."""
    if body.get("phone_id") not in (None, ""):
        try:
            phone_id = int(body["phone_id"])
        except (TypeError, ValueError):
            raise BadRequest("phone_id must be a number") from None
        with current_app.extensions["hotline.sessions"]() as session:
            e164 = session.scalar(select(PhoneNumber.e164).where(PhoneNumber.id == phone_id))
        if e164 is None:
            raise BadRequest("no such resident number")
        return e164
    typed = str(body.get("number") or "").strip()
    if not typed:
        raise BadRequest("choose a resident or type a number")
    try:
        return to_e164(typed, region) or typed
    except InvalidPhoneNumber:
        return typed[:32]  # Twilio passes on whatever caller ID the network gave


def send() -> tuple[Response, int]:
    """One webhook request of a simulated call, with the call's parameters and ``params``."""
    exchange = _exchange()
    body = _json()
    calls = _calls()
    call = calls.get(str(body.get("sid", "")))
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise BadRequest("params must be an object")
    form = {**call.form, "CallStatus": "in-progress"}
    form |= {str(k): str(v) for k, v in params.items()}
    place = None
    if body.get("queue"):
        place = calls.wait(call.sid, str(body["queue"]))
        form |= place.wait_params()
    elif "QueueResult" in form:
        calls.leave_queue(call.sid)
    reply = exchange.post(current_app, str(body.get("url", "")), form, root=request.url_root)
    if form.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        calls.end(call.sid)
    return jsonify(status=reply.status, twiml=reply.body, queue=_queue(place)), 200


def call_state(sid: str) -> Response:
    """Where the call waits and who answered it: the page asks while the caller holds."""
    _exchange()
    return jsonify(sid=sid, queue=_queue(_calls().place_of(sid)))


def _queue(place: Any) -> dict[str, Any] | None:
    if place is None:
        return None
    return {
        "name": place.queue,
        "position": place.position,
        "size": place.size,
        "waited": place.waited_s,
        "answered_by": place.answered_by,
        "agent_hung_up": place.agent_hung_up,
    }


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("a JSON object is expected")
    return body


def refused(exc: Refused) -> tuple[Response, int]:
    return jsonify(error=str(exc)), 403


def no_such_call(exc: NoSuchCall) -> tuple[Response, int]:
    return jsonify(error=f"no simulated call {exc.args[0]!r} in progress"), 404


def bad_request(exc: BadRequest) -> tuple[Response, int]:
    return jsonify(error=exc.description), 400


# Outbound calls ringing the simulator.


def _ringing() -> RecordingProvider | None:
    """The provider keeping rings for the simulator, if outbound calls go to it."""
    provider = current_app.extensions.get(OUTBOUND)
    provider = getattr(provider, "inner", provider)  # PacedProvider wraps it
    return provider if isinstance(provider, RecordingProvider) else None


def rings() -> Response:
    """The outbound calls ringing now, oldest first (an empty list when none can)."""
    _exchange()
    recorder = _ringing()
    pending = recorder.pending() if recorder is not None else []
    return jsonify(
        rings=[
            {
                "sid": ring.provider_call_id,
                "to": mask(ring.call.to),
                "purpose": ring.call.purpose.value,
                "placed_at": ring.placed_at.isoformat(),
            }
            for ring in pending
        ],
        enabled=recorder is not None,
    )


def _take(sid: str) -> Ring:
    recorder = _ringing()
    ring = recorder.take(sid) if recorder is not None else None
    if ring is None:
        raise NoSuchCall(sid)
    return ring


def _outbound_form(ring: Ring, account: str, caller_id: str, status: str) -> dict[str, str]:
    """What Twilio posts about a call it placed: Direction ``outbound-api``."""
    call = ring.call
    caller = call.from_ or caller_id
    return {
        "AccountSid": account,
        "ApiVersion": "2010-04-01",
        "CallSid": ring.provider_call_id,
        "CallStatus": status,
        "Direction": "outbound-api",
        "From": caller,
        "To": call.to,
        "Caller": caller,
        "Called": call.to,
    }


def _ring_query(ring: Ring) -> str:
    """The query Twilio's REST provider puts on both webhooks of an outbound call."""
    return urlencode({"correlation_id": ring.call.correlation_id, "purpose": ring.call.purpose})


def answer_ring(sid: str) -> tuple[Response, int]:
    """The callee picks up: the call's answer webhook, then the TwiML as for any call."""
    exchange = _exchange()
    ring = _take(sid)
    caller_id = current_app.config["HOTLINE"].outbound_caller_id
    form = _outbound_form(ring, exchange.account_sid, caller_id, "in-progress")
    if ring.call.machine_detection:
        form["AnsweredBy"] = "human"
    call = _calls().place(form)
    query = _ring_query(ring)
    url = f"{ring.call.answer_path}?{query}"
    reply = exchange.post(current_app, url, form, root=request.url_root)
    return jsonify(
        sid=call.sid,
        status=reply.status,
        twiml=reply.body,
        caller=mask(ring.call.to),
        status_url=f"{ring.call.status_path}?{query}",
    ), 200


def decline_ring(sid: str) -> tuple[Response, int]:
    """The callee does not pick up (or is busy): only the status callback hears of it."""
    exchange = _exchange()
    status = str(_json().get("status") or "no-answer")
    if status not in DECLINED:
        raise BadRequest(f"status must be one of {', '.join(sorted(DECLINED))}")
    ring = _take(sid)
    caller_id = current_app.config["HOTLINE"].outbound_caller_id
    form = _outbound_form(ring, exchange.account_sid, caller_id, status)
    form |= {"CallDuration": "0", "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
    url = f"{ring.call.status_path}?{_ring_query(ring)}"
    reply = exchange.post(current_app, url, form, root=request.url_root)
    return jsonify(sid=sid, status=reply.status), 200
