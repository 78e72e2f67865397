"""Where Twilio's webhooks come in: a Flask blueprint under ``/twilio``, all POST.

- ``/twilio/voice``: a call arrives (the number's voice URL). TwiML.
- ``/twilio/step``: the action URL of a ``<Gather>`` or a ``<Record>``. TwiML.
- ``/twilio/wait``: ``<Enqueue waitUrl>``: place, expected wait, music. TwiML.
- ``/twilio/queue-result``: ``<Enqueue action>``: how the caller left the queue. TwiML.
- ``/twilio/dial-result``: ``<Dial action>``: whether on-call answered. TwiML.
- ``/twilio/status``: the number's call status callback. 204.
- ``/twilio/recording``: ``<Record recordingStatusCallback>``. 204.
- ``/twilio/outbound/{answer,step,recording,status}``: the hotline's own calls (surveys,
  notices, fee reminders, senior care: :mod:`ivr.twilio.outbound`).
- ``/twilio/wait-choice``, ``/twilio/callback/{answer,choice,status}``,
  ``/twilio/dispatch/{connect,connected}``: callbacks and agents (:mod:`ivr.dispatch.webhooks`).

Every request must carry Twilio's ``X-Twilio-Signature`` for its public URL
and parameters, or it gets a 403 and a logged warning. Every TwiML answer is
a 200, whatever happens behind it: a Twilio webhook that fails makes the
caller hear "an application error has occurred" and hang up.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable

from flask import Blueprint, Request, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from audio.recordings import RECORDING_EVENTS
from ivr.dispatch import webhooks as dispatch_webhooks
from ivr.twilio import outbound as outbound_calls
from ivr.twilio import signature, twiml
from ivr.twilio.exceptions import NotFromTwilio
from ivr.twilio.services import TwilioCalls
from ivr.twilio.settings import TwilioSettings
from ivr.twilio.turn import inquiry
from models import utcnow

log = logging.getLogger(__name__)

EXTENSION = "hotline.twilio"  # app.extensions key of the TwilioCalls serving the webhooks
TWIML = "text/xml"
MESSAGE_PURPOSE = "after_hours_message"  # the inbound flow's Record of a message
VOICEMAIL = RECORDING_EVENTS["call.message"]  # the kind it is kept and transcribed as
# Control characters no database column may hold (PostgreSQL refuses NUL in text and JSON).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LAST_RESORT = twiml.render([inquiry()], twiml.Links(), language="zh-CN")


def create_blueprint(
    settings: TwilioSettings,
    *,
    sessions: Callable[[], Session],
    readers: Callable[[], Session] | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Blueprint:
    """The ``/twilio`` webhooks, answering for ``settings``' account.

    :param sessions: sessions that write the call record.
    :param readers: read-only sessions for lookups while a caller waits (default: ``sessions``).
    """
    calls = TwilioCalls(sessions=sessions, readers=readers, settings=settings, clock=clock)
    bp = Blueprint("twilio", __name__, url_prefix=twiml.PREFIX)

    @bp.record_once
    def install(state: BlueprintSetupState) -> None:
        state.app.extensions[EXTENSION] = calls

    bp.before_request(only_twilio)
    for rule, view in VIEWS.items():
        bp.add_url_rule(rule, view_func=view, methods=["POST"])
    bp.register_error_handler(Exception, last_resort)
    return bp


def _calls() -> TwilioCalls:
    calls: TwilioCalls = current_app._get_current_object().extensions[EXTENSION]  # type: ignore[attr-defined]
    return calls


def only_twilio() -> Response | None:
    """Before every view: a request Twilio did not sign gets a 403 and a warning."""
    try:
        signature.check(request, _calls().settings)  # it reads the request behind the proxy
    except NotFromTwilio as exc:
        log.warning("rejected a request to %s: %s", request.path, exc)
        return Response("Forbidden: not signed by Twilio\n", 403, mimetype="text/plain")
    return None


def voice() -> Response:
    calls, asked = _calls(), signature.unproxied(request)
    return _twiml(calls.incoming(_form(asked), _links(calls, asked)))


def step() -> Response:
    calls, asked = _calls(), signature.unproxied(request)
    return _twiml(calls.step(_form(asked), _query(asked), _links(calls, asked)))


def wait() -> Response:
    # The callback offer only where a dispatcher will call back.
    if current_app.extensions.get(dispatch_webhooks.EXTENSION) is not None:
        return _twiml(dispatch_webhooks.waiting(_calls(), _form(), _query(), _links().base))
    return _twiml(_calls().waiting(_form(), _query()))


def queue_result() -> Response:
    return _twiml(_calls().queue_result(_form(), _query(), _links()))


def dial_result() -> Response:
    return _twiml(_calls().dial_result(_form(), _query(), _links()))


def status() -> Response:
    _calls().status(_form())
    return Response(status=204)


def recording() -> Response:
    """A recording is ready: kept with the call; a message is transcribed when a model is set."""
    calls, form, query = _calls(), _form(), _query()
    call_id = calls.recording(form, query)
    url = form.get("RecordingUrl", "")
    completed = form.get("RecordingStatus", "completed") == "completed"
    if call_id and url and completed and query.get("purpose") == MESSAGE_PURPOSE:
        submit = outbound_calls.transcriber(current_app.extensions, calls.settings, calls.sessions)
        if submit is not None:
            submit(call_id, url, recording=VOICEMAIL)
    return Response(status=204)


# Callbacks and agents (ivr.dispatch).
def _dispatch() -> dispatch_webhooks.DispatchWebhooks:
    found = current_app.extensions.get(dispatch_webhooks.EXTENSION)
    if found is None:  # no dispatcher here: the webhooks of calls it made still work
        calls = _calls()
        found = dispatch_webhooks.DispatchWebhooks(calls.sessions, calls.settings.region)
    return found


def wait_choice() -> Response:
    return _twiml(_dispatch().wait_choice(_form(), _query(), _links().base))


def callback_answer() -> Response:
    return _twiml(_dispatch().callback_answer(_form(), _query(), _links().base))


def callback_choice() -> Response:
    return _twiml(_dispatch().callback_choice(_form(), _query(), _links().base))


def callback_status() -> Response:
    _dispatch().callback_status(_form(), _query())
    return Response(status=204)


def dispatch_connect() -> Response:
    return _twiml(_dispatch().connect(_form(), _query(), _links().base))


def dispatch_connected() -> Response:
    return _twiml(_dispatch().connected(_form(), _query(), _links().base))


# The hotline's own calls (ivr.twilio.outbound).
def _outbound() -> outbound_calls.OutboundWebhooks:
    found = current_app.extensions.get(outbound_calls.EXTENSION)
    if found is None:
        calls = _calls()
        found = outbound_calls.OutboundWebhooks(
            calls.sessions,
            region=calls.settings.region,
            clock=calls.clock,
            on_comment=outbound_calls.transcriber(
                current_app.extensions, calls.settings, calls.sessions
            ),
            publish=current_app.extensions["hotline.bus"].publish,
            prompts=calls.prompts,
        )
        current_app.extensions[outbound_calls.EXTENSION] = found
    return found


def outbound_answer() -> Response:
    return _twiml(_hanging_up(lambda: _outbound().answer(_form(), _query(), _links().base)))


def outbound_step() -> Response:
    return _twiml(_hanging_up(lambda: _outbound().step(_form(), _query(), _links().base)))


def outbound_recording() -> Response:
    _outbound().recording(_form(), _query())
    return Response(status=204)


def outbound_status() -> Response:
    _outbound().status(_form(), _query())
    return Response(status=204)


def _hanging_up(run: Callable[[], str]) -> str:
    """Our call, our fault: the resident hears a goodbye rather than Twilio's error."""
    try:
        return run()
    except Exception:
        log.exception("outbound webhook %s failed; hanging up", request.path)
        return outbound_calls.failed()


VIEWS: dict[str, Callable[[], Response]] = {
    "/voice": voice,
    "/step": step,
    "/wait": wait,
    "/queue-result": queue_result,
    "/dial-result": dial_result,
    "/status": status,
    "/recording": recording,
    # the hotline's own calls (ivr.twilio.outbound)
    "/outbound/answer": outbound_answer,
    "/outbound/step": outbound_step,
    "/outbound/recording": outbound_recording,
    "/outbound/status": outbound_status,
    # callbacks and agents (ivr.dispatch)
    "/wait-choice": wait_choice,
    "/callback/answer": callback_answer,
    "/callback/choice": callback_choice,
    "/callback/status": callback_status,
    "/dispatch/connect": dispatch_connect,
    "/dispatch/connected": dispatch_connected,
}


def last_resort(exc: Exception) -> Response | HTTPException:
    """Anything the services did not catch: the caller still reaches an agent."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("Twilio webhook %s failed outside the fail-safe", request.path)
    if request.path.endswith(("/status", "/recording")):  # also /callback/status (dispatch)
        return Response(status=204)
    return _twiml(_LAST_RESORT)


def _twiml(xml: str) -> Response:
    return Response(xml, 200, mimetype=TWIML)


def _links(calls: TwilioCalls | None = None, asked: Request | None = None) -> twiml.Links:
    """Absolute URLs from the public base URL if configured, else paths from the app's root."""
    base = (calls or _calls()).settings.public_base_url
    return twiml.Links(base=base or (asked or signature.unproxied(request)).script_root)


def _form(asked: Request | None = None) -> dict[str, str]:
    """The POST parameters, first value of each, without control characters."""
    return _clean((asked or signature.unproxied(request)).form.items())


def _query(asked: Request | None = None) -> dict[str, str]:
    return _clean((asked or signature.unproxied(request)).args.items())


def _clean(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The values without control characters: looked for in all of them at once (there
    are rarely any), taken out of each only when found."""
    found = dict(pairs)
    if _CONTROL.search("".join(found.values())):
        return {name: _CONTROL.sub("", value) for name, value in found.items()}
    return found
