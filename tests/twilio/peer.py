"""Twilio's side of the webhooks: signed requests with the parameters Twilio documents.

:class:`Twilio` signs each request the way Twilio does (HMAC-SHA1 of the exact
URL it requests followed by the sorted POST parameters, keyed by the auth
token, in ``X-Twilio-Signature``) and checks every TwiML answer against
:mod:`tests.twilio.twiml_rules`. :class:`PhoneCall` follows a call's TwiML:
it presses keys on the last ``<Gather>``, posts to a ``<Record>``'s action,
follows a ``<Redirect>``, reports how an ``<Enqueue>`` or a ``<Dial>`` ended
and sends the status callbacks of the number.

The parameters are those of Twilio's voice webhook reference: every request
carries ``AccountSid``, ``ApiVersion``, ``CallSid``, ``CallStatus``,
``Direction``, ``From``, ``To`` and the geographic ``From*``/``To*`` fields;
a gather's action adds ``Digits`` or ``SpeechResult`` and ``Confidence``; a
recording's ``RecordingUrl``, ``RecordingDuration``, ``RecordingSid`` and
``Digits``; a wait URL ``QueuePosition``, ``QueueTime``, ``AvgQueueTime``,
``CurrentQueueSize``; an ``<Enqueue>`` action ``QueueResult``; a ``<Dial>``
action ``DialCallStatus``; a status callback ``CallDuration``,
``CallbackSource``, ``SequenceNumber`` and ``Timestamp``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import itertools
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from tests.twilio import twiml_rules

TOKEN = "0f7c8d6e5a4b3c2d1e0f9a8b7c6d5e4f"  # the test account's auth token
ACCOUNT = "AC3b6f0a2c7d9e4f1a8b5c2d9e6f3a0b7c"
HOTLINE = "+862160000001"  # 阳光花园's hotline number
KNOWN = "+8613800138000"  # 王建国's mobile
UNKNOWN = "+8613911112222"
RECORDING_URL = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/"
    "RE5e0b2f8a1c4d7e9f3a6b0c2d5e8f1a4b"
)

_sids = itertools.count(0x5F3D_0000)


def call_sid() -> str:
    """A fresh CallSid: CA and 32 hex digits."""
    return f"CA{next(_sids):032x}"


def incoming_form(sid: str, caller: str, dialled: str = HOTLINE) -> dict[str, str]:
    """The parameters of Twilio's incoming-call webhook for a call from China."""
    return {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "ringing",
        "Called": dialled,
        "CalledCity": "",
        "CalledCountry": "CN",
        "CalledState": "",
        "CalledZip": "",
        "Caller": caller,
        "CallerCity": "",
        "CallerCountry": "CN",
        "CallerState": "",
        "CallerZip": "",
        "Direction": "inbound",
        "From": caller,
        "FromCity": "",
        "FromCountry": "CN",
        "FromState": "",
        "FromZip": "",
        "To": dialled,
        "ToCity": "",
        "ToCountry": "CN",
        "ToState": "",
        "ToZip": "",
    }


class Twilio:
    """Sends Twilio's webhooks to the app, signed for the URL Twilio would request.

    ``public`` is the origin Twilio calls (``https://hotline.example.com``);
    ``local`` the origin the app sees (different behind a reverse proxy, whose
    headers are ``proxy_headers``).
    """

    def __init__(
        self,
        app: Flask,
        client: FlaskClient,
        *,
        public: str = "http://localhost",
        local: str | None = None,
        proxy_headers: dict[str, str] | None = None,
        token: str = TOKEN,
        base: str = "",
    ) -> None:
        self.app, self.client = app, client
        self.public, self.local = public, local or public
        self.proxy_headers = proxy_headers or {}
        self.validator = RequestValidator(token)
        self.base = base  # the public base URL our TwiML's absolute URLs start with

    def post(
        self,
        url: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        sign_url: str | None = None,
    ) -> TestResponse:
        """POST ``params`` to ``url`` (absolute, or relative to the public origin), signed."""
        full = urljoin(self.public + "/", url)
        parts = urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if signature is None:
            signature = self.validator.compute_signature(sign_url or full, params)
        headers = {**self.proxy_headers}
        if signature:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, base_url=self.local, data=params, headers=headers)

    def twiml(self, url: str, params: dict[str, str], *, wait: bool = False) -> ET.Element:
        """POST and check the answer is TwiML that obeys the rules; its ``<Response>``."""
        response = self.post(url, params)
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
        assert response.mimetype == "text/xml"
        return twiml_rules.check(
            response.get_data(as_text=True),
            route_exists=self.route_exists,
            base=self.base,
            wait=wait,
        )

    def route_exists(self, path: str) -> bool:
        adapter = self.app.url_map.bind("localhost")
        try:
            adapter.match(path, method="POST")
        except HTTPException:
            return False
        return True

    def call(self, caller: str = KNOWN, dialled: str = HOTLINE, **extra: str) -> PhoneCall:
        """A call arrives: Twilio posts the incoming-call webhook."""
        phone = PhoneCall(self, incoming_form(call_sid(), caller, dialled) | extra)
        phone.answer(self.twiml("/twilio/voice", phone.form))
        return phone


@dataclasses.dataclass
class PhoneCall:
    """One call as Twilio runs it: the TwiML it was given, and what the caller does next."""

    twilio: Twilio
    form: dict[str, str]
    documents: list[ET.Element] = dataclasses.field(default_factory=list)

    @property
    def sid(self) -> str:
        return self.form["CallSid"]

    @property
    def doc(self) -> ET.Element:
        return self.documents[-1]

    def answer(self, doc: ET.Element) -> PhoneCall:
        self.documents.append(doc)
        return self

    def _in_progress(self, **params: str) -> dict[str, str]:
        return {**self.form, "CallStatus": "in-progress", **params}

    def verb(self, tag: str) -> ET.Element:
        found = self.doc.find(tag)
        assert found is not None, f"no <{tag}> in {ET.tostring(self.doc, encoding='unicode')}"
        return found

    # What the caller does.

    def press(self, keys: str) -> PhoneCall:
        gather = self.verb("Gather")
        finished = "#" if gather.get("finishOnKey", "#") == "#" else ""
        params = self._in_progress(Digits=keys, FinishedOnKey=finished)
        return self.answer(self.twilio.twiml(gather.attrib["action"], params))

    def speak(self, text: str, confidence: str = "0.9133") -> PhoneCall:
        gather = self.verb("Gather")
        assert "speech" in gather.attrib["input"]
        params = self._in_progress(SpeechResult=text, Confidence=confidence)
        return self.answer(self.twilio.twiml(gather.attrib["action"], params))

    def stay_silent(self) -> PhoneCall:
        """The gather times out; actionOnEmptyResult makes Twilio post nothing to its action."""
        return self.answer(
            self.twilio.twiml(self.verb("Gather").attrib["action"], self._in_progress())
        )

    def leave_message(self, seconds: str = "14") -> PhoneCall:
        record = self.verb("Record")
        params = self._in_progress(
            RecordingUrl=RECORDING_URL,
            RecordingDuration=seconds,
            RecordingSid=RECORDING_URL.rsplit("/", 1)[1],
            Digits="#",
        )
        return self.answer(self.twilio.twiml(record.attrib["action"], params))

    def say_nothing_at_the_beep(self) -> PhoneCall:
        """An empty recording: Twilio skips the action and follows the next verb."""
        self.verb("Record")
        return self.answer(self.twilio.twiml(self.verb("Redirect").text or "", self._in_progress()))

    def recording_ready(self) -> TestResponse:
        """Twilio's recording status callback, after the call has moved on."""
        record = next(r for doc in reversed(self.documents) for r in doc.iter("Record"))
        params = {
            "AccountSid": self.form["AccountSid"],
            "CallSid": self.sid,
            "RecordingSid": RECORDING_URL.rsplit("/", 1)[1],
            "RecordingUrl": RECORDING_URL,
            "RecordingStatus": "completed",
            "RecordingDuration": "14",
            "RecordingChannels": "1",
            "RecordingStartTime": "Mon, 23 Nov 2026 15:01:02 +0000",
            "RecordingSource": "RecordVerb",
        }
        return self.twilio.post(record.attrib["recordingStatusCallback"], params)

    def on_call_answers(self, status: str) -> PhoneCall:
        dial = self.verb("Dial")
        params = self._in_progress(
            DialCallStatus=status, DialCallSid=f"CA{'d' * 32}", DialCallDuration="0"
        )
        return self.answer(self.twilio.twiml(dial.attrib["action"], params))

    def wait_in_queue(self, position: str = "3", average: str = "240", waited: str = "30"):
        enqueue = self.verb("Enqueue")
        params = self._in_progress(
            QueueSid=f"QU{'e' * 32}",
            QueuePosition=position,
            QueueTime=waited,
            AvgQueueTime=average,
            CurrentQueueSize="5",
            MaxQueueSize="100",
        )
        return self.twilio.twiml(enqueue.attrib["waitUrl"], params, wait=True)

    def leave_queue(self, result: str, waited: str = "45") -> PhoneCall:
        enqueue = self.verb("Enqueue")
        params = self._in_progress(QueueResult=result, QueueSid=f"QU{'e' * 32}", QueueTime=waited)
        return self.answer(self.twilio.twiml(enqueue.attrib["action"], params))

    def status(self, status: str, sequence: str = "0", **extra: str) -> TestResponse:
        params = {
            **self.form,
            "CallStatus": status,
            "CallDuration": "47",
            "CallbackSource": "call-progress-events",
            "SequenceNumber": sequence,
            "Timestamp": email.utils.format_datetime(dt.datetime.now(dt.UTC)),
            **extra,
        }
        response = self.twilio.post("/twilio/status", params)
        assert response.status_code == 204, response.get_data(as_text=True)
        return response

    def hang_up(self) -> TestResponse:
        return self.status("completed")

    # What Twilio was told.

    @property
    def enqueued(self) -> str | None:
        found = self.doc.find("Enqueue")
        return None if found is None else (found.text or "").strip()

    @property
    def words(self) -> list[str]:
        """Everything said in the last document, in order."""
        return [(say.text or "") for say in self.doc.iter("Say")]

    def all_words(self) -> str:
        return " ".join(
            text or "" for doc in self.documents for say in doc.iter("Say") for text in [say.text]
        )

    def tags(self) -> list[str]:
        return [verb.tag for verb in self.doc]


def xml(doc: ET.Element) -> str:
    return ET.tostring(doc, encoding="unicode")


def attrs(element: ET.Element) -> dict[str, Any]:
    return dict(element.attrib)
