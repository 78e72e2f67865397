"""Driving the dispatcher's webhooks as Twilio would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from ivr.outbound.recording import Ring
from tests.twilio.peer import ACCOUNT, HOTLINE, PhoneCall, Twilio


def press_while_waiting(phone: PhoneCall, doc: ET.Element, keys: str) -> ET.Element:
    gather = doc.find("Gather")
    assert gather is not None
    params = {**phone.form, "CallStatus": "in-progress", "Digits": keys, "FinishedOnKey": ""}
    return phone.twilio.twiml(gather.attrib["action"], params, wait=True)


def request_callback(twilio: Twilio, caller: str, key: str = "2") -> PhoneCall:
    """A caller chooses a queue, waits, presses 1 and leaves the queue."""
    phone = twilio.call(caller).press(key)
    press_while_waiting(phone, phone.wait_in_queue(waited="120"), "1")
    phone.leave_queue("leave")
    phone.hang_up()
    return phone


def outbound_form(ring: Ring, status: str = "in-progress", **extra: str) -> dict[str, str]:
    """What Twilio posts about a call it placed (Direction ``outbound-api``)."""
    return {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "CallSid": ring.provider_call_id,
        "CallStatus": status,
        "Direction": "outbound-api",
        "From": HOTLINE,
        "To": ring.call.to,
        "Caller": HOTLINE,
        "Called": ring.call.to,
        **extra,
    }


def ring_url(path: str, ring: Ring) -> str:
    """A webhook of a call the REST provider placed: its query names the attempt."""
    query = {"correlation_id": ring.call.correlation_id, "purpose": ring.call.purpose.value}
    return f"{path}?{urlencode(query)}"


def raw(twilio: Twilio, url: str, params: dict[str, str]) -> ET.Element:
    """POST and parse, for documents with ``<Dial><Client>`` (outside tests.twilio's rules)."""
    response = twilio.post(url, params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return ET.fromstring(response.get_data(as_text=True))
