"""One AMI session over pyst2, against a peer that speaks as Asterisk's manager.c does."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ivr.ami.connection import AMIConnection
from ivr.ami.events import ManagerEvent
from ivr.ami.exceptions import AMILoginRefused, AMIProtocolError, AMIUnreachable
from ivr.ami.settings import AMISettings, parse_ami_url
from tests.ami.peer import FakeAsterisk, message
from tests.ami.traffic import Agent, QueuedCall


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    with FakeAsterisk() as fake:
        yield fake


class Received:
    """The events a connection handed over, waited for from the test's thread."""

    def __init__(self) -> None:
        self.events: list[ManagerEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: ManagerEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> list[ManagerEvent]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= n, timeout), self.events
            return list(self.events)


def _open(fake: FakeAsterisk, on_event=None, names=("QueueCallerJoin", "AgentConnect")):  # type: ignore[no-untyped-def]
    connection = AMIConnection(
        parse_ami_url(fake.url), event_names=names, on_event=on_event or Received()
    )
    connection.open()
    return connection


def _ami_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ami-")]


def test_channel_variables_stay_with_their_own_channel(asterisk: FakeAsterisk) -> None:
    """pyst2 alone folds DestChanVariable into ChanVariable, and on Python 3 crashes on both."""
    received = Received()
    connection = _open(asterisk, received)
    try:
        asterisk.emit(QueuedCall(call_id=12).agent_connect(Agent()))
        asterisk.emit(QueuedCall(call_id=13, uniqueid="1763877600.200").join())
        first, second = received.wait(2)
    finally:
        connection.close()
    assert first.variables == {"": {"HOTLINE_CALL_ID": "12"}, "Dest": {"HOTLINE_CALL_ID": ""}}
    assert first.get("DestUniqueid") == "1763877600.103"
    assert second.variables == {"": {"HOTLINE_CALL_ID": "13"}}
    assert "ChanVariable" not in first.headers


def test_asterisk_11_style_channel_variables_are_read_too(asterisk: FakeAsterisk) -> None:
    received = Received()
    connection = _open(asterisk, received)
    try:
        fields = [
            ("ChanVariable(PJSIP/trunk-00000065)", v) if k == "ChanVariable" else (k, v)
            for k, v in QueuedCall(call_id=7).join()
        ]
        asterisk.emit(fields)
        (event,) = received.wait(1)
    finally:
        connection.close()
    assert event.variable("HOTLINE_CALL_ID") == "7"


def test_only_the_events_asked_for_are_handed_over_in_asterisks_order(
    asterisk: FakeAsterisk,
) -> None:
    received = Received()
    connection = _open(asterisk, received, names=("QueueCallerJoin", "Hangup"))
    try:
        call = QueuedCall(call_id=1)
        for fields in (call.join(), call.agent_connect(Agent()), call.hangup()):
            asterisk.emit(fields)
        events = received.wait(2)
        time.sleep(0.1)
    finally:
        connection.close()
    assert [e.name for e in received.events] == ["QueueCallerJoin", "Hangup"]
    assert events[1].get("Cause-txt") == "Normal Clearing"


def test_a_handler_that_fails_does_not_stop_the_events_after_it(asterisk: FakeAsterisk) -> None:
    received = Received()

    def flaky(event: ManagerEvent) -> None:
        if event.get("Uniqueid") == "1.1":
            raise RuntimeError("database said no")
        received(event)

    connection = _open(asterisk, flaky)
    try:
        asterisk.emit(QueuedCall(uniqueid="1.1").join())
        asterisk.emit(QueuedCall(uniqueid="1.2").join())
        (event,) = received.wait(1)
    finally:
        connection.close()
    assert event.get("Uniqueid") == "1.2"


def test_login_asks_only_for_call_and_agent_events_and_ping_gets_pong(
    asterisk: FakeAsterisk,
) -> None:
    connection = _open(asterisk)
    try:
        connection.ping()
        assert connection.alive
    finally:
        connection.close()
    login, ping, logoff = asterisk.actions
    assert (login["Action"], login["Username"], login["Events"]) == (
        "Login",
        "hotline",
        "call,agent",
    )
    assert login["ActionID"] != ping["ActionID"]
    assert (ping["Action"], logoff["Action"]) == ("Ping", "Logoff")


def test_close_logs_off_and_leaves_no_thread_behind(asterisk: FakeAsterisk) -> None:
    connection = _open(asterisk)
    connection.close()
    assert not connection.alive
    assert asterisk.actions[-1]["Action"] == "Logoff"
    asterisk.wait(lambda f: f.sessions() == 0)
    assert _ami_threads() == []


def test_when_asterisk_drops_the_session_it_is_no_longer_alive(asterisk: FakeAsterisk) -> None:
    ended = threading.Event()
    connection = AMIConnection(
        parse_ami_url(asterisk.url), event_names=(), on_event=Received(), on_end=ended.set
    )
    connection.open()
    asterisk.drop()
    assert ended.wait(5)
    assert not connection.alive
    with pytest.raises(AMIUnreachable):
        connection.ping()
    connection.close()
    assert _ami_threads() == []


def test_a_wrong_secret_is_refused_without_repeating_it() -> None:
    with FakeAsterisk(secret="right") as fake:
        settings = AMISettings("127.0.0.1", fake.port, "hotline", "wrong")
        connection = AMIConnection(settings, event_names=(), on_event=Received())
        with pytest.raises(AMILoginRefused) as caught:
            connection.open()
        connection.close(logoff=False)
    assert "Authentication failed" in str(caught.value)
    assert "wrong" not in str(caught.value)
    assert _ami_threads() == []


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = AMIConnection(
        AMISettings("127.0.0.1", port, "hotline", "s3cret"), event_names=(), on_event=Received()
    )
    with pytest.raises(AMIUnreachable):
        connection.open()
    connection.close()


class _OtherService:
    """A TCP service that is not Asterisk: it greets with ``greeting`` (or says nothing)."""

    def __init__(self, greeting: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.peers: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        peer, _ = self.sock.accept()
        self.peers.append(peer)
        if self.greeting:
            peer.sendall(self.greeting)

    def close(self) -> None:
        self.thread.join()
        for peer in self.peers:
            peer.close()
        self.sock.close()


@pytest.mark.parametrize(
    "greeting",
    [b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n", b""],
)
def test_a_service_that_is_not_asterisk_is_told_apart(greeting: bytes) -> None:
    other = _OtherService(greeting)
    connection = AMIConnection(
        AMISettings("127.0.0.1", other.port, "hotline", "s3cret"),
        event_names=(),
        on_event=Received(),
        connect_timeout=0.5,
    )
    try:
        with pytest.raises(AMIProtocolError):
            connection.open()
    finally:
        connection.close(logoff=False)
        other.close()
    assert _ami_threads() == []


def test_the_fake_peer_answers_as_asterisk_before_login(asterisk: FakeAsterisk) -> None:
    """The peer itself: banner first, and actions refused until Login."""
    with socket.create_connection(("127.0.0.1", asterisk.port), timeout=5) as sock:
        reader = sock.makefile("rb")
        assert reader.readline() == b"Asterisk Call Manager/9.0.0\r\n"
        sock.sendall(message([("Action", "Ping"), ("ActionID", "a1")]))
        reply = [reader.readline() for _ in range(4)]
        reader.close()
    assert reply == [
        b"Response: Error\r\n",
        b"ActionID: a1\r\n",
        b"Message: Authentication Required\r\n",
        b"\r\n",
    ]
