"""The dispatcher's own TwiML (no I/O): the callback offer's answer, the callback call, the
agent's leg.

Twilio facts relied on here:

- TwiML fetched by a ``<Gather>`` of a wait URL document runs in the queue's
  wait context, where ``<Leave>`` takes the caller out of the queue; the
  ``<Enqueue>`` action is then requested with ``QueueResult=leave``.
- ``<Dial><Client>identity</Client></Dial>`` rings a Twilio Client (the
  agent's browser phone); ``<Dial><Number>`` a telephone. The ``<Dial>``
  action is requested when that leg ends, with ``DialCallStatus``
  (completed, answered, busy, no-answer, failed, canceled).
- With machine detection on, the answer webhook of an outbound call carries
  ``AnsweredBy`` (human, machine_start, machine_end_beep, fax, unknown …).
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import flow
from ivr.twilio import twiml
from ivr.twilio.twiml import PREFIX

WAIT_CHOICE = f"{PREFIX}/wait-choice"
CALLBACK_ANSWER = f"{PREFIX}/callback/answer"
CALLBACK_CHOICE = f"{PREFIX}/callback/choice"
CALLBACK_STATUS = f"{PREFIX}/callback/status"
CONNECT = f"{PREFIX}/dispatch/connect"
CONNECTED = f"{PREFIX}/dispatch/connected"

CALLBACK_KEY = "1"
CALLBACK_GATHER_S = 8  # time to press 1 after the callback's question
AGENT_RING_S = 20  # ring the agent this long before the caller goes back in line


def url(base: str, path: str, **query: object) -> str:
    """``path`` under ``base`` with ``query`` (empty values left out)."""
    given = {name: str(value) for name, value in query.items() if value not in (None, "")}
    return f"{base}{path}" + (f"?{urlencode(given)}" if given else "")


def callback_accepted(language: str) -> str:
    """The caller pressed 1 while waiting: we will call back; out of the queue."""
    response = VoiceResponse()
    twiml._say(response, flow.Say("queue.callback_ok", {}, language))
    response.leave()
    return response.to_xml()


def callback_question(language: str, action: str) -> str:
    """The resident answered our callback: who is calling, and press 1 to be connected."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        action=action,
        method="POST",
        num_digits=1,
        timeout=CALLBACK_GATHER_S,
        finish_on_key="",
        action_on_empty_result=True,
    )
    twiml._say(gather, flow.Say("callback.intro", {}, language))
    twiml._say(gather, flow.Say("callback.press_1", {}, language))
    return response.to_xml()


def goodbye(language: str, prompt: str = "callback.goodbye") -> str:
    response = VoiceResponse()
    twiml._say(response, flow.Say(prompt, {}, language))
    response.hangup()
    return response.to_xml()


def dial_agent(address: str, *, action: str, language: str) -> str:
    """Put the caller through to the agent at ``address`` (``client:<identity>`` or E.164)."""
    response = VoiceResponse()
    twiml._say(response, flow.Say("menu.to_agent", {}, language))
    dial = Dial(action=action, method="POST", timeout=AGENT_RING_S, answer_on_bridge=True)
    if address.startswith("client:"):
        dial.client(address.removeprefix("client:"))
    else:
        dial.number(address)
    response.append(dial)
    return response.to_xml()
