"""The escalations' live stream: only the viewer's communities, as SSE messages."""

from __future__ import annotations

import json

from agent_console.oncall.stream import escalations
from hotline.bus import InProcessBus


def test_only_escalations_of_the_viewers_communities_are_forwarded() -> None:
    bus = InProcessBus()
    stream = escalations(bus, {1}, heartbeat=5.0)
    assert next(stream).startswith("retry:")
    bus.publish("oncall.accepted", {"work_order_id": 8, "community_id": 2})  # not theirs
    bus.publish("oncall.accepted", {"work_order_id": 7, "community_id": 1, "status": "accepted"})

    message = next(stream)

    lines = dict(line.split(": ", 1) for line in message.strip().split("\n"))
    assert lines["event"] == "escalation"
    assert json.loads(lines["data"]) == {
        "topic": "oncall.accepted",
        "work_order_id": 7,
        "community_id": 1,
        "status": "accepted",
    }
    stream.close()


def test_without_events_the_stream_keeps_the_connection_alive() -> None:
    stream = escalations(InProcessBus(), {1}, heartbeat=0.05)
    next(stream)
    assert next(stream) == ": keep-alive\n\n"
    stream.close()
