"""Telling one agent's console what changed for them: ``agent.<id>.<what>`` on the bus.

The console's desk subscribes to ``agent.<its id>.*`` and, on any of these,
reads the agent's state from the database again, so a payload only says what
happened (``offered``, ``connected``, ``released``, ``presence`` …) and which call.
Events are notices: a failure to publish is logged, never raised, because the
database already holds the change and the desk re-reads it on reconnect.
"""

from __future__ import annotations

import logging
from typing import Any

from hotline.bus import BusError, EventBus

log = logging.getLogger(__name__)


def agent_topic(agent_id: int, what: str) -> str:
    """``agent.12.offered``: the topic of ``what`` happening to agent 12."""
    return f"agent.{agent_id}.{what}"


def announce(bus: EventBus | None, agent_id: int, what: str, **payload: Any) -> None:
    """Publish ``what`` for ``agent_id`` (after the change is committed)."""
    if bus is None:
        return
    try:
        bus.publish(agent_topic(agent_id, what), {"agent_id": agent_id, **payload})
    except BusError as exc:
        log.warning("agent %s %s not announced: %s", agent_id, what, exc)
