"""Outbound calls through Twilio's REST API: ``Client.calls.create`` and nothing else.

Twilio answers ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` with 201
and the Call resource (status ``queued``) as soon as it has accepted the call;
the call's progress then arrives at the status callback. A refusal is a 4xx
with Twilio's error JSON (``code``, ``message``, ``more_info``, ``status``).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ivr.outbound.calls import MachineDetection, OutboundCall, PlacedCall
from ivr.outbound.exceptions import CallRejected, ProviderUnavailable

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"  # the base the twilio library writes into every URL
# Every progress event Twilio can report for a call; "completed" alone is its default.
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
RETRY_LATER = 429  # Twilio's "Too Many Requests" (error 20429): the rate, not the call


class RebasedHttpClient(TwilioHttpClient):
    """The twilio library's HTTP client, sending what it addresses to api.twilio.com elsewhere.

    Twilio's ``edge`` and ``region`` only choose among Twilio's own hosts; a proxy,
    a recorded-traffic server or a local stand-in needs another origin.
    """

    def __init__(self, api_base_url: str, *, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self.api_base_url = api_base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API + "/"):
            url = self.api_base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioProvider:
    """Places calls with the account's credentials; Twilio fetches TwiML from the public URL.

    :param public_base_url: where Twilio reaches the web app's root, e.g.
        ``https://hotline.example.com``; answer and status paths are made absolute on it.
    :param caller_id: the ``From`` of calls that do not name one: a Twilio number of
        the account or one of its verified caller ids.
    :param api_base_url: another origin for Twilio's REST API (a proxy, a test stand-in).
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        public_base_url: str,
        caller_id: str = "",
        api_base_url: str = "",
        timeout_seconds: float = 10.0,
    ) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        self.caller_id = caller_id
        self._http_client = RebasedHttpClient(api_base_url or TWILIO_API, timeout=timeout_seconds)
        # A non-empty environment: the library would otherwise read TWILIO_EDGE and
        # TWILIO_REGION from os.environ and move the host away from api.twilio.com.
        self._client = Client(
            account_sid,
            auth_token,
            http_client=self._http_client,
            environment={"TWILIO_EDGE": ""},
        )

    def close(self) -> None:
        """Close the pooled connections to Twilio (a daemon shutting down)."""
        session = self._http_client.session
        if session is not None:
            session.close()

    def parameters(self, call: OutboundCall) -> dict[str, Any]:
        """The keyword arguments of ``calls.create`` for ``call``."""
        query = urlencode({"correlation_id": call.correlation_id, "purpose": call.purpose.value})
        params: dict[str, Any] = {
            "to": call.to,
            "from_": call.from_ or self.caller_id,
            "url": f"{self._absolute(call.answer_path)}?{query}",
            "method": "POST",
            "status_callback": f"{self._absolute(call.status_path)}?{query}",
            "status_callback_event": STATUS_EVENTS,
            "status_callback_method": "POST",
            "timeout": call.ring_seconds,
        }
        if call.machine_detection is not MachineDetection.OFF:
            params["machine_detection"] = call.machine_detection.value
        return params

    def place(self, call: OutboundCall) -> PlacedCall:
        """Create the call at Twilio.

        :raises CallRejected: Twilio refused it (4xx), with Twilio's error code.
        :raises ProviderUnavailable: Twilio failed (5xx, 429) or could not be reached.
        """
        try:
            created = self._client.calls.create(**self.parameters(call))
        except TwilioRestException as exc:
            message = str(exc.msg).removeprefix("Unable to create record: ")
            raise _refusal(exc.status, exc.code, message, call) from exc
        except TwilioServiceException as exc:
            raise _refusal(exc.status, exc.code, exc.detail or exc.title, call) from exc
        except (requests.RequestException, TwilioException, json.JSONDecodeError) as exc:
            # JSONDecodeError: a 2xx whose body is not JSON (a proxy's page, not Twilio's).
            log.warning("outbound %s to %s: Twilio unreachable: %s", call.purpose, call.to, exc)
            raise ProviderUnavailable(f"Twilio's REST API could not be reached: {exc}") from exc
        log.info("outbound %s %s placed as %s", call.purpose, call.correlation_id, created.sid)
        return PlacedCall(provider_call_id=str(created.sid), status=str(created.status))

    def _absolute(self, path: str) -> str:
        if urlsplit(path).scheme:
            return path
        return f"{self.public_base_url}/{path.lstrip('/')}"


def _refusal(status: int, code: int | None, message: str, call: OutboundCall) -> Exception:
    """Twilio's error answer as a domain error: its side (5xx, 429) or this call's (4xx)."""
    if status >= 500 or status == RETRY_LATER:
        log.warning("outbound %s to %s: Twilio %s: %s", call.purpose, call.to, status, message)
        return ProviderUnavailable(f"Twilio answered {status} (code {code}): {message}")
    return CallRejected(message, code=code, status=status)
