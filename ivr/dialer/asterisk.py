"""Outbound calls through Asterisk: AMI ``Originate`` into the survey context.

``Originate`` with ``Async: true`` is answered at once (``Response: Success`` /
``Originate successfully queued``); the call's fate arrives later as the event
``OriginateResponse`` (class ``call``), carrying the action's ``ActionID``:
``Response: Success`` when the callee answered (the dialplan's survey context
then runs ``AGI(agi://…/survey)``, which reports how the call ended), or
``Response: Failure`` with ``Reason``, one of Asterisk's ``AST_CONTROL_*`` values:

| Reason | Asterisk                  | outcome     |
| ------ | ------------------------- | ----------- |
| 0      | not reached at all        | failed      |
| 1      | AST_CONTROL_HANGUP        | no answer   |
| 3      | AST_CONTROL_RINGING       | no answer   |
| 5      | AST_CONTROL_BUSY          | busy        |
| 8      | AST_CONTROL_CONGESTION    | failed      |

The channel is named in advance (``ChannelId``, Asterisk 13+), so the attempt's
``provider_call_id`` is the channel's Uniqueid from the start. The attempt's id
rides on the channel as ``HOTLINE_ATTEMPT_ID`` for the survey's AGI script.

Asterisk sends ``OriginateResponse`` to every manager session allowed class
``call``: each provider acts only on the ActionIDs it sent itself.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from ivr.ami.connection import AMIConnection
from ivr.ami.events import ManagerEvent
from ivr.ami.exceptions import AMIError
from ivr.ami.settings import AMISettings
from ivr.outbound.calls import OutboundCall, PlacedCall
from ivr.outbound.exceptions import CallRejected, ProviderUnavailable
from models.outbound import AttemptOutcome

log = logging.getLogger(__name__)

ORIGINATE_RESPONSE = "OriginateResponse"
ATTEMPT_VARIABLE = "HOTLINE_ATTEMPT_ID"
REASONS = {
    0: AttemptOutcome.FAILED,
    1: AttemptOutcome.NO_ANSWER,
    3: AttemptOutcome.NO_ANSWER,
    5: AttemptOutcome.BUSY,
    8: AttemptOutcome.FAILED,
}


def outcome_of(reason: str) -> AttemptOutcome:
    """An ``OriginateResponse`` failure's ``Reason`` as the attempt's outcome."""
    try:
        return REASONS.get(int(reason), AttemptOutcome.FAILED)
    except ValueError:
        return AttemptOutcome.FAILED


class _OriginatingConnection(AMIConnection):
    """An AMI session that can send ``Originate``."""

    def originate(self, action: dict[str, str]) -> tuple[str, str]:
        """Send one ``Originate``; Asterisk's ``Response`` and ``Message``."""
        response = self._send({"Action": "Originate", **action})
        return response.get_header("Response", ""), response.get_header("Message", "")


class AsteriskProvider:
    """Places calls with AMI ``Originate``; reports failures through ``on_outcome``.

    :param channel: the dial string, ``{number}`` the E.164 number and ``{digits}`` the
        same without its ``+``: ``PJSIP/{digits}@carrier``.
    :param context: the dialplan context an answered call enters at ``s``, priority 1.
    :param on_outcome: called with the correlation id and the outcome of a call that
        was not answered (on the AMI session's thread).
    """

    def __init__(
        self,
        settings: AMISettings,
        *,
        channel: str,
        context: str,
        on_outcome: Callable[[str, AttemptOutcome], object],
        caller_id: str = "",
        connect_timeout: float = 3.0,
    ) -> None:
        self.settings = settings
        self.channel = channel
        self.context = context
        self.caller_id = caller_id
        self.on_outcome = on_outcome
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()  # one action at a time: pyst2 matches responses by order
        self._connection: _OriginatingConnection | None = None
        self._sent: set[str] = set()  # ActionIDs whose OriginateResponse is still to come

    def action(self, call: OutboundCall, channel_id: str) -> dict[str, str]:
        """The ``Originate`` headers for ``call`` (without ``Action``)."""
        attempt = call.correlation_id.removeprefix("attempt-")
        action = {
            "ActionID": call.correlation_id,
            "Channel": self.channel.format(number=call.to, digits=call.to.lstrip("+")),
            "Context": self.context,
            "Exten": "s",
            "Priority": "1",
            "Timeout": str(call.ring_seconds * 1000),  # milliseconds
            "Variable": f"{ATTEMPT_VARIABLE}={attempt}",
            "ChannelId": channel_id,
            "Async": "true",
        }
        if call.from_ or self.caller_id:
            action["CallerID"] = f"<{call.from_ or self.caller_id}>"
        return action

    def place(self, call: OutboundCall) -> PlacedCall:
        """Originate the call.

        :raises CallRejected: Asterisk refused the action (``Response: Error``).
        :raises ProviderUnavailable: the manager port could not be reached.
        """
        channel_id = f"hotline-{uuid.uuid4().hex}"
        with self._lock:
            try:
                connection = self._open()
                self._sent.add(call.correlation_id)
                response, message = connection.originate(self.action(call, channel_id))
            except AMIError as exc:
                self._sent.discard(call.correlation_id)
                self._drop()
                raise ProviderUnavailable(f"Asterisk {self.settings}: {exc}") from exc
        if response != "Success":
            self._sent.discard(call.correlation_id)
            raise CallRejected(f"Asterisk refused Originate: {message or response}")
        log.info("outbound %s %s originated as %s", call.purpose, call.correlation_id, channel_id)
        return PlacedCall(provider_call_id=channel_id, status="queued")

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _open(self) -> _OriginatingConnection:
        if self._connection is not None and self._connection.alive:
            return self._connection
        self._drop()
        connection = _OriginatingConnection(
            self.settings,
            event_names=(ORIGINATE_RESPONSE,),
            on_event=self._event,
            connect_timeout=self.connect_timeout,
            events="call",
        )
        connection.open()
        self._connection = connection
        return connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _event(self, event: ManagerEvent) -> None:
        action_id = event.get("ActionID")
        if event.name != ORIGINATE_RESPONSE or action_id not in self._sent:
            return  # another dialer's call
        self._sent.discard(action_id)
        if event.get("Response") == "Success":
            return  # answered: the survey's AGI script reports how it ends
        outcome = outcome_of(event.get("Reason"))
        log.info("%s not answered: Reason %s (%s)", action_id, event.get("Reason"), outcome)
        self.on_outcome(action_id, outcome)
