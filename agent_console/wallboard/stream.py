"""The wallboard's nudge: a Server-Sent Events stream saying "something changed, refresh".

The board refreshes itself every few seconds anyway (``wallboard.js`` polls
``data.json``); this stream only makes it refresh at once when the event bus
reports a call (AMI's ``call.*``), an agent (``agent.*``: offers, presence), a
work order (``work_order.*``) or an emergency's on-call ladder (``oncall.*``:
someone accepted). The events themselves are not forwarded: they may be about any
community, and the board's figures come from ``data.json``, which is scoped to the
viewer. Twilio's webhooks publish nothing yet: those calls show at the next poll.

Like the desk's stream, each open board holds a worker thread (a threaded server
or gunicorn's gthread/gevent workers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from hotline.bus import BusError, EventBus

log = logging.getLogger(__name__)

PATTERNS = ("call.*", "agent.*", "work_order.*", "oncall.*")
RETRY_MS = 3000  # EventSource waits this long before reconnecting
HEARTBEAT_S = 15.0
QUIET_S = 0.5  # events closer together than this make one nudge


def changes(
    bus: EventBus, *, heartbeat: float = HEARTBEAT_S, quiet: float = QUIET_S
) -> Iterator[str]:
    """The stream's messages until the client goes (the generator is closed)."""
    try:
        subscription = bus.subscribe(*PATTERNS, max_queue=50)
    except BusError as exc:  # no nudges: the board's polling carries on alone
        log.warning("wallboard stream without the event bus: %s", exc)
        yield f"retry: {RETRY_MS * 10}\n\n"
        return
    try:
        yield f"retry: {RETRY_MS}\n\n"
        written = time.monotonic()
        while not subscription.closed:
            wait = max(heartbeat - (time.monotonic() - written), 0.05)
            if subscription.get(timeout=wait) is not None:
                threading.Event().wait(quiet)
                while subscription.get(timeout=0) is not None:
                    pass  # one nudge answers every event waiting
                yield "event: changed\ndata: {}\n\n"
            else:
                yield ": keep-alive\n\n"
            written = time.monotonic()
    finally:
        subscription.close()
