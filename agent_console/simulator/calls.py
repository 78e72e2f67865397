"""The simulated calls in progress, kept in this process (no I/O).

Twilio knows, for each call, who is calling which number and where the call
waits; the simulator keeps the same for the calls its page places, so that
every request carries the parameters Twilio's would, and so that the wait
URL hears its place in the queue. An agent answering in the console ends the
wait (:meth:`SimulatedCalls.answer`), as Twilio's ``<Dial><Queue>`` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import threading
from collections.abc import Callable

from models import utcnow


def call_sid() -> str:
    """A fresh CallSid: ``CA`` and 32 hex digits, like Twilio's."""
    return "CA" + secrets.token_hex(16)


def incoming_form(
    *, sid: str, account: str, caller: str, dialled: str, country: str = "CN"
) -> dict[str, str]:
    """The parameters of Twilio's incoming-call webhook (geography left blank, as for mobiles)."""
    form = {
        "AccountSid": account,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": caller,
        "To": dialled,
        "Caller": caller,
        "Called": dialled,
    }
    for side in ("From", "To", "Caller", "Called"):
        form |= {f"{side}City": "", f"{side}State": "", f"{side}Zip": ""}
        form[f"{side}Country"] = country
    return form


@dataclasses.dataclass
class SimulatedCall:
    """One call the page placed: its Twilio parameters and where it waits."""

    form: dict[str, str]
    started: dt.datetime
    queue: str = ""
    enqueued: dt.datetime | None = None
    answered_by: str = ""
    agent_hung_up: bool = False
    ended: bool = False

    @property
    def sid(self) -> str:
        return self.form["CallSid"]


@dataclasses.dataclass(frozen=True)
class QueuePlace:
    """Where a call waits: what Twilio's wait URL request reports, and whether it was answered."""

    queue: str
    position: int
    size: int
    waited_s: int
    answered_by: str
    agent_hung_up: bool = False  # the agent ended the conversation from the console

    def wait_params(self) -> dict[str, str]:
        """The parameters Twilio adds to a wait URL request."""
        return {
            "QueueSid": "QU" + self.queue.encode().hex()[:32].ljust(32, "0"),
            "QueuePosition": str(self.position),
            "QueueTime": str(self.waited_s),
            "AvgQueueTime": "0",
            "CurrentQueueSize": str(self.size),
            "MaxQueueSize": "100",
        }


class NoSuchCall(KeyError):
    """The simulator did not place a call with this CallSid (or it has ended)."""


class SimulatedCalls:
    """The simulated calls of this process, safe to use from the web server's threads."""

    def __init__(self, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._calls: dict[str, SimulatedCall] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def place(self, form: dict[str, str]) -> SimulatedCall:
        call = SimulatedCall(form=dict(form), started=self._clock())
        with self._lock:
            self._calls[call.sid] = call
        return call

    def get(self, sid: str) -> SimulatedCall:
        """:raises NoSuchCall: when ``sid`` is not a call of ours."""
        with self._lock:
            try:
                return self._calls[sid]
            except KeyError:
                raise NoSuchCall(sid) from None

    def wait(self, sid: str, queue: str) -> QueuePlace:
        """The call waits in ``queue`` (from the first wait URL request on): its place there."""
        with self._lock:
            call = self._calls.get(sid)
            if call is None:
                raise NoSuchCall(sid)
            if call.queue != queue or call.enqueued is None:
                call.queue, call.enqueued, call.answered_by = queue, self._clock(), ""
            return self._place(call)

    def place_of(self, sid: str) -> QueuePlace | None:
        """Where the call waits, or None when it is in no queue."""
        with self._lock:
            call = self._calls.get(sid)
            if call is None:
                raise NoSuchCall(sid)
            return self._place(call) if call.enqueued is not None else None

    def leave_queue(self, sid: str) -> None:
        with self._lock:
            call = self._calls.get(sid)
            if call is not None:
                call.queue, call.enqueued = "", None

    def answer(self, sid: str, agent: str) -> None:
        """An agent took the call from its queue (the console calls this)."""
        with self._lock:
            call = self._calls.get(sid)
            if call is None or call.enqueued is None:
                raise NoSuchCall(sid)
            call.answered_by = agent

    def hang_up_by_agent(self, sid: str) -> None:
        """The agent ended the conversation: the page hears it and hangs up the caller."""
        with self._lock:
            call = self._calls.get(sid)
            if call is None or not call.answered_by:
                raise NoSuchCall(sid)
            call.agent_hung_up = True

    def end(self, sid: str) -> None:
        """The call is over: it is forgotten."""
        with self._lock:
            self._calls.pop(sid, None)

    def waiting(self) -> list[SimulatedCall]:
        """The calls in a queue and not yet answered, longest waiting first."""
        with self._lock:
            return self._queued(None)

    def _queued(self, queue: str | None) -> list[SimulatedCall]:
        calls = [
            c
            for c in self._calls.values()
            if c.enqueued is not None and not c.answered_by and queue in (None, c.queue)
        ]
        return sorted(calls, key=lambda c: (c.enqueued or c.started, c.sid))

    def _place(self, call: SimulatedCall) -> QueuePlace:
        line = self._queued(call.queue)
        position = line.index(call) + 1 if call in line else 0
        assert call.enqueued is not None
        waited = int((self._clock() - call.enqueued).total_seconds())
        return QueuePlace(
            call.queue, position, len(line), max(waited, 0), call.answered_by, call.agent_hung_up
        )
