"""The desk's server push: one Server-Sent Events stream per logged-in agent.

Each (re)connection first sends the agent's state read from the database
(presence, the call offered to them or that they are on, a call waiting for its
wrap-up), so a screen-pop is never lost across a network blip even when bus
events were missed. After that the stream waits on the bus for ``agent.<id>.*``
(only this agent's), and on each event — or every ``recheck`` seconds, to
catch changes whose event never came — reads the state again and sends it when
it changed. A comment line goes out every ``heartbeat`` seconds so proxies keep
the connection and a closed one is noticed. No database session is held while
waiting.

The stream holds a worker thread for as long as the page is open: serve it from
a threaded server (``hotline serve``, Flask's and werkzeug's ``run_simple``
threaded), or gunicorn with ``gthread``/``gevent`` workers — not gunicorn's
default sync workers, where each open desk would hold a whole worker.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from hotline.bus import BusError, EventBus, Subscription
from ivr.dispatch.notify import agent_topic

log = logging.getLogger(__name__)

RETRY_MS = 2000  # EventSource waits this long before reconnecting
RECHECK_S = 5.0
HEARTBEAT_S = 15.0


def sse(data: dict[str, Any], *, event: str, event_id: int) -> str:
    """One SSE message: ``id``, ``event`` and the JSON ``data`` on a single line."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event_id}\nevent: {event}\ndata: {text}\n\n"


def agent_stream(
    *,
    bus: EventBus,
    agent_id: int,
    read_state: Callable[[], dict[str, Any]],
    recheck: float = RECHECK_S,
    heartbeat: float = HEARTBEAT_S,
) -> Iterator[str]:
    """The messages of one agent's stream, until the client goes (the generator is closed)."""
    subscription: Subscription | None
    try:
        subscription = bus.subscribe(agent_topic(agent_id, "*"), max_queue=100)
    except BusError as exc:  # the database alone, read every ``recheck`` seconds
        log.warning("desk stream of agent %s without the event bus: %s", agent_id, exc)
        subscription = None
    idle = threading.Event()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        sent: dict[str, Any] | None = None
        written = time.monotonic()
        while True:
            state = read_state()
            if state != sent:
                yield sse(state, event="state", event_id=time.time_ns() // 1000)
                sent, written = state, time.monotonic()
            wait = min(recheck, max(heartbeat - (time.monotonic() - written), 0.05))
            if subscription is None or subscription.closed:
                idle.wait(wait)
            elif subscription.get(timeout=wait) is not None:
                while subscription.get(timeout=0) is not None:
                    pass  # one read of the database answers every event waiting
                continue
            if time.monotonic() - written >= heartbeat:
                yield ": keep-alive\n\n"
                written = time.monotonic()
    finally:
        if subscription is not None:
            subscription.close()
