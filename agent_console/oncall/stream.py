"""The escalations' live stream: Server-Sent Events of ``oncall.*`` for the viewer's
communities (a work order's page shows its ladder move and its acceptance at once).

Only escalations of communities the viewer serves are forwarded; their payload holds
no resident's data (the order's number, the status, who accepted and when). Like the
desk's stream, each open page holds a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator

from agent_console.desk.stream import sse
from hotline.bus import BusError, EventBus

log = logging.getLogger(__name__)

PATTERN = "oncall.*"
RETRY_MS = 3000
HEARTBEAT_S = 15.0


def escalations(
    bus: EventBus, scope: Collection[int], *, heartbeat: float = HEARTBEAT_S
) -> Iterator[str]:
    """The stream's messages until the client goes (the generator is closed)."""
    try:
        subscription = bus.subscribe(PATTERN, max_queue=100)
    except BusError as exc:  # the page still shows the ladder as it was when loaded
        log.warning("on-call stream without the event bus: %s", exc)
        yield f"retry: {RETRY_MS * 10}\n\n"
        return
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while not subscription.closed:
            event = subscription.get(timeout=heartbeat)
            if event is None:
                yield ": keep-alive\n\n"
            elif event.payload.get("community_id") in scope:
                data = {"topic": event.topic, **event.payload}
                yield sse(data, event="escalation", event_id=event.id)
    finally:
        subscription.close()
