"""Putting one chosen caller through to one agent: Twilio's REST API, or the simulator.

Twilio queues are first in, first out, and ``<Dial><Queue>`` on an agent's leg
always takes the caller at the front. We choose by priority across queues and
by our own record of each caller's place, so the agent must reach a *specific*
caller. Two REST calls can do that:

- ``POST /Accounts/{AccountSid}/Queues/{QueueSid}/Members/{CallSid}.json``
  (UpdateMember) dequeues that member to a URL; it needs the queue's SID;
- ``POST /Accounts/{AccountSid}/Calls/{CallSid}.json`` with ``Url``
  (UpdateCall) redirects the caller's call, wherever it is, to new TwiML.
  Twilio takes the caller out of the queue (the ``<Enqueue>`` action hears
  ``QueueResult=redirected``).

We use UpdateCall: it needs only the CallSid we already keep. The URL it
redirects to (``/twilio/dispatch/connect``) answers with ``<Dial>`` to the
agent's Twilio Client identity (``<Client>``) or telephone (``<Number>``),
and that ``<Dial>``'s action puts the caller back in line if the agent does
not answer (our place in line is the Call row's, not Twilio's queue's).
On the simulator, the agent's Answer on the console's desk does the same
(:meth:`SimulatedCalls.answer`).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr.outbound.exceptions import CallRejected, ProviderUnavailable
from ivr.outbound.twilio_rest import TWILIO_API, RebasedHttpClient
from models import Agent
from models.phones import caller_e164

log = logging.getLogger(__name__)

CALL_NOT_IN_PROGRESS = 21220  # Twilio: "Call is not in-progress. Cannot redirect."


class CallGone(CallRejected):
    """The caller hung up before they could be put through."""


def agent_address(agent: Agent, region: str = "CN") -> str | None:
    """Where Twilio reaches ``agent``: ``client:<identity>``, else the E.164 number in
    ``extension``; None for an agent Twilio cannot reach (a PJSIP extension)."""
    if agent.identity:
        return f"client:{agent.identity}"
    if agent.extension and agent.extension.startswith("+"):
        return caller_e164(agent.extension, region)
    return None


class Connector(Protocol):
    """Takes a waiting caller out of their queue and puts them through to an agent."""

    def reaches(self, agent: Agent) -> bool:
        """Whether this connector can put a caller through to ``agent``."""
        ...

    def connect(self, call_sid: str, agent: Agent, url: str) -> None:
        """Start putting ``call_sid`` through to ``agent``; ``url`` is the TwiML that does it.

        :raises CallGone: the caller is no longer there.
        :raises CallRejected: the provider refused.
        :raises ProviderUnavailable: the provider could not be asked; try again later.
        """
        ...


class TwilioConnector:
    """Redirects the chosen caller's call with UpdateCall (``calls(sid).update(url=…)``)."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base_url: str = "",
        region: str = "CN",
        timeout_seconds: float = 10.0,
    ) -> None:
        self.region = region
        self._http_client = RebasedHttpClient(api_base_url or TWILIO_API, timeout=timeout_seconds)
        self._client = Client(
            account_sid, auth_token, http_client=self._http_client, environment={"TWILIO_EDGE": ""}
        )

    def close(self) -> None:
        session = self._http_client.session
        if session is not None:
            session.close()

    def reaches(self, agent: Agent) -> bool:
        return agent_address(agent, self.region) is not None

    def parameters(self, url: str) -> dict[str, Any]:
        """The keyword arguments of ``calls(sid).update``."""
        return {"url": url, "method": "POST"}

    def connect(self, call_sid: str, agent: Agent, url: str) -> None:
        try:
            self._client.calls(call_sid).update(**self.parameters(url))
        except TwilioRestException as exc:
            if exc.code == CALL_NOT_IN_PROGRESS or exc.status == 404:
                raise CallGone(str(exc.msg), code=exc.code, status=exc.status) from exc
            if exc.status >= 500 or exc.status == 429:
                raise ProviderUnavailable(f"Twilio answered {exc.status}: {exc.msg}") from exc
            raise CallRejected(str(exc.msg), code=exc.code, status=exc.status) from exc
        except (requests.RequestException, TwilioException, json.JSONDecodeError) as exc:
            raise ProviderUnavailable(f"Twilio's REST API could not be reached: {exc}") from exc
        log.info("call %s redirected to agent %s", call_sid, agent.login)


class SimulatorConnector:
    """The browser simulator: the caller keeps waiting until the agent answers on the
    console's desk (which calls :meth:`SimulatedCalls.answer`), or declines."""

    def __init__(self, calls: Any) -> None:  # agent_console.simulator.calls.SimulatedCalls
        self.calls = calls

    def reaches(self, agent: Agent) -> bool:
        return True

    def connect(self, call_sid: str, agent: Agent, url: str) -> None:
        try:
            place = self.calls.place_of(call_sid)
        except KeyError as exc:  # NoSuchCall
            raise CallGone(f"simulated call {call_sid} is not in progress") from exc
        if place is None or place.answered_by:
            raise CallGone(f"simulated call {call_sid} is not waiting")
        log.info("simulated call %s offered to agent %s", call_sid, agent.login)
