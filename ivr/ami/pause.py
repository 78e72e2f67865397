"""Agents' pauses carried to app_queue: ``QueuePause`` for each presence change.

On Asterisk, app_queue decides whom to ring; a pause on the console must reach
it, or paused agents would still be rung. :class:`PauseSync` listens on the bus
for ``agent.<id>.*`` (the desk, the dispatcher's sweep and the AMI tracker all
announce presence changes there), reads the agent's presence and extension, and
sends ``QueuePause`` with ``Interface: PJSIP/<extension>`` whenever whether the
agent may be rung changes: paused, in wrap-up (until the call has its wrap-up)
or offline → ``Paused: true``; available → ``Paused: false``. Offered and on a
call are app_queue's own business.

Each change goes out on a short AMI session of its own (logged in with
``Events: off``), so the listener's session, whose responses pyst2 matches by
order, is never shared between threads. An Asterisk that cannot be reached is
logged; the next change tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.bus import BusError, EventBus, Subscription
from ivr.ami.connection import AMIConnection
from ivr.ami.exceptions import AMIError
from ivr.ami.settings import AMISettings
from models import Agent, AgentPresence, PresenceState

log = logging.getLogger(__name__)

PAUSED = {
    PresenceState.PAUSED: True,
    PresenceState.WRAP_UP: True,
    PresenceState.OFFLINE: True,
    PresenceState.AVAILABLE: False,
}
TECHNOLOGY = "PJSIP"


class PauseSync:
    """Sends ``QueuePause`` when an agent's presence changes whether they may be rung."""

    def __init__(
        self,
        *,
        settings: AMISettings,
        sessions: Callable[[], Session],
        bus: EventBus,
        connect_timeout: float = 3.0,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.bus = bus
        self.connect_timeout = connect_timeout
        self.sent: dict[int, bool] = {}  # agent id -> the last Paused sent
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            subscription = self.bus.subscribe("agent.*")
        except BusError as exc:
            log.error("agents' pauses will not reach Asterisk: %s", exc)
            return
        self._thread = threading.Thread(
            target=self._run, args=(subscription,), name="ami-queue-pause", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _run(self, subscription: Subscription) -> None:
        with subscription:
            while not self._stop.is_set():
                event = subscription.get(timeout=0.5)
                agent_id = event.payload.get("agent_id") if event else None
                if isinstance(agent_id, int):
                    try:
                        self.sync(agent_id)
                    except Exception:  # one agent's trouble must not stop the others'
                        log.exception("QueuePause for agent %s failed", agent_id)

    def sync(self, agent_id: int) -> bool | None:
        """Send the agent's pause if it changed; what was sent (None: nothing)."""
        with self.sessions() as session:
            row = session.execute(
                select(Agent.extension, AgentPresence.state, AgentPresence.reason)
                .join(AgentPresence, AgentPresence.agent_id == Agent.id)
                .where(Agent.id == agent_id)
            ).one_or_none()
        if row is None or not row.extension or row.extension.startswith("+"):
            return None  # not a softphone on Asterisk
        paused = PAUSED.get(row.state)
        if paused is None or self.sent.get(agent_id) == paused:
            return None
        reason = (row.reason or row.state.value) if paused else ""
        try:
            self.send(f"{TECHNOLOGY}/{row.extension}", paused, reason)
        except AMIError as exc:
            log.warning("QueuePause for agent %s not sent: %s", agent_id, exc)
            return None
        self.sent[agent_id] = paused
        return paused

    def send(self, interface: str, paused: bool, reason: str) -> None:
        """One ``QueuePause`` on a short session of its own."""
        connection = AMIConnection(
            self.settings,
            event_names=(),
            on_event=lambda event: None,
            connect_timeout=self.connect_timeout,
            events="off",
        )
        try:
            connection.open()
            connection.queue_pause(interface, paused, reason)
        finally:
            connection.close()
