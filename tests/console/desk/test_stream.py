"""The desk's Server-Sent Events: each agent hears only their own pops, and a reconnection
starts from the database, so a pop published while the page was away is not lost."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from hotline.bus import InProcessBus
from ivr.dispatch.notify import announce
from models import PresenceState
from tests.console.desk.conftest import WANG, agent_id, logged_in, put


@pytest.fixture
def quick(app: Flask) -> Flask:
    """Streams that look at the database every 0.2 s and send a heartbeat every 0.6 s."""
    app.config.update(DESK_RECHECK_S=0.2, DESK_HEARTBEAT_S=0.6)
    return app


class Stream:
    """One agent's open stream, read message by message."""

    def __init__(self, response: TestResponse) -> None:
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        self.response = response
        self._chunks: Iterator[bytes] = iter(response.response)
        self._buffer = ""

    def next(self) -> str:
        while "\n\n" not in self._buffer:
            self._buffer += next(self._chunks).decode()
        message, self._buffer = self._buffer.split("\n\n", 1)
        return message

    def next_state(self, skip_heartbeats: int = 5) -> dict[str, Any]:
        for _ in range(skip_heartbeats + 1):
            message = self.next()
            if "event: state" in message:
                lines = dict(line.split(": ", 1) for line in message.splitlines())
                assert lines["id"].isdigit()
                return json.loads(lines["data"])  # type: ignore[no-any-return]
        raise AssertionError("no state message")

    def close(self) -> None:
        self.response.close()


def open_stream(app: Flask, login: str) -> Stream:
    client = logged_in(app.test_client(), login)
    return Stream(client.get("/console/desk/events", buffered=False))


def test_the_stream_starts_with_retry_and_the_agents_state(quick: Flask, engine: Engine) -> None:
    put(engine, "agent1", PresenceState.PAUSED, reason="meal")
    stream = open_stream(quick, "agent1")
    try:
        assert stream.next() == "retry: 2000"
        state = stream.next_state()
        assert state["presence"] == state["presence"] | {"state": "paused", "reason": "meal"}
        assert state["call"] is None
        assert stream.next() == ": keep-alive"  # nothing changed: a heartbeat
    finally:
        stream.close()


def test_agent_a_hears_its_own_pop_and_not_agent_bs(
    quick: Flask, engine: Engine, make_call: Callable[..., int]
) -> None:
    bus: InProcessBus = quick.extensions["hotline.bus"]
    put(engine, "agent1", PresenceState.AVAILABLE)
    put(engine, "supervisor1", PresenceState.AVAILABLE)
    a, b = open_stream(quick, "agent1"), open_stream(quick, "supervisor1")
    try:
        assert a.next_state()["call"] is None and b.next_state()["call"] is None
        for_b = make_call(WANG)
        put(engine, "supervisor1", PresenceState.OFFERED, for_b)
        announce(bus, agent_id(engine, "supervisor1"), "offered", call_id=for_b)
        assert b.next_state()["call"]["id"] == for_b
        assert a.next() == ": keep-alive"  # A heard nothing of it
        for_a = make_call(WANG)
        put(engine, "agent1", PresenceState.OFFERED, for_a)
        announce(bus, agent_id(engine, "agent1"), "offered", call_id=for_a)
        popped = a.next_state()
        assert popped["call"] == popped["call"] | {"id": for_a, "status": "offered"}
        assert popped["presence"]["state"] == "offered"
    finally:
        a.close()
        b.close()


def test_a_reconnection_gets_the_pop_from_the_database(
    quick: Flask, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    first = open_stream(quick, "agent1")
    assert first.next_state()["call"] is None
    first.close()  # the network blips; meanwhile the call is offered, its event lost
    put(engine, "agent1", PresenceState.OFFERED, call)
    again = open_stream(quick, "agent1")
    try:
        assert again.next_state()["call"]["id"] == call
    finally:
        again.close()


def test_a_change_whose_event_was_lost_still_arrives(
    quick: Flask, engine: Engine, make_call: Callable[..., int]
) -> None:
    stream = open_stream(quick, "agent1")
    try:
        assert stream.next_state()["call"] is None
        call = make_call(WANG)
        put(engine, "agent1", PresenceState.OFFERED, call)  # no event published
        assert stream.next_state()["call"]["id"] == call
    finally:
        stream.close()


def test_closing_the_stream_ends_its_subscription(quick: Flask) -> None:
    bus: InProcessBus = quick.extensions["hotline.bus"]
    before = len(bus._subscriptions)
    stream = open_stream(quick, "agent1")
    stream.next_state()
    assert len(bus._subscriptions) == before + 1
    stream.close()
    assert len(bus._subscriptions) == before


def test_the_wrap_up_waiting_is_part_of_the_state(
    quick: Flask, engine: Engine, make_call: Callable[..., int]
) -> None:
    from tests.console.desk.conftest import answered

    call = make_call(WANG)
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.WRAP_UP)
    stream = open_stream(quick, "agent1")
    try:
        state = stream.next_state()
        assert state["presence"]["state"] == "wrap_up"
        assert state["wrap_up"]["call_id"] == call and state["wrap_up"]["until"]
    finally:
        stream.close()


def test_the_stream_wants_a_login(client: FlaskClient) -> None:
    assert client.get("/console/desk/events").status_code == 302
