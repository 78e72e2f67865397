"""The wallboard's nudges: a change on the event bus makes the board refresh at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from agent_console.wallboard.stream import changes
from hotline.bus import InProcessBus

AsAgent = Callable[[str], FlaskClient]


@pytest.mark.parametrize("topic", ["call.queue_joined", "agent.12.offered", "work_order.changed"])
def test_a_call_agent_or_work_order_event_is_one_nudge_without_its_payload(topic: str) -> None:
    with InProcessBus() as bus:
        stream = changes(bus, heartbeat=5.0, quiet=0.01)
        assert next(stream) == "retry: 3000\n\n"
        bus.publish(topic, {"resident_id": 7, "community_id": 2})
        bus.publish(topic, {"resident_id": 8, "community_id": 2})
        assert next(stream) == "event: changed\ndata: {}\n\n"  # one nudge for both
        stream.close()


def test_other_events_only_keep_the_connection_alive() -> None:
    with InProcessBus() as bus:
        stream = changes(bus, heartbeat=0.1, quiet=0.01)
        next(stream)
        bus.publish("survey.completed", {"call_id": 1})
        assert next(stream) == ": keep-alive\n\n"
        stream.close()


def test_closing_the_stream_ends_its_subscription() -> None:
    with InProcessBus() as bus:
        stream = changes(bus, heartbeat=5.0)
        next(stream)
        assert len(bus._subscriptions) == 1  # noqa: SLF001 - what the stream holds
        stream.close()
        assert bus._subscriptions == []  # noqa: SLF001


def test_the_stream_is_for_supervisors(as_agent: AsAgent) -> None:
    assert as_agent("agent1").get("/console/wallboard/events").status_code == 403
    response = as_agent("supervisor1").get("/console/wallboard/events")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    response.close()
