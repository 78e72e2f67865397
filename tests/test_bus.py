"""The event bus: in-process, and Redis pub/sub against the machine's Redis.

The behaviour every bus shares runs on both (the ``bus`` fixture); Redis alone
is tested across processes and across a Redis restart (a proxy in front of
Redis that goes down and comes back). Under ``CI=true`` an unreachable Redis
fails the run instead of skipping its half.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from hotline.bus import (
    BusUnavailable,
    Event,
    EventBus,
    InProcessBus,
    RedisBus,
    Subscription,
    make_bus,
)
from hotline.config import load_config
from hotline.exceptions import ConfigError


def _prefix() -> str:
    """A channel prefix of this test's own, so that runs side by side do not meet."""
    return f"hotline-test-{uuid.uuid4().hex[:10]}:"


@pytest.fixture(params=["in-process", "redis"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    if request.param == "in-process":
        made: EventBus = InProcessBus()
    else:
        made = RedisBus(request.getfixturevalue("redis_url"), prefix=_prefix())
    with made:
        yield made


def _take(subscription: Subscription, n: int, timeout: float = 5.0) -> list[Event]:
    events = []
    for _ in range(n):
        event = subscription.get(timeout)
        assert event is not None, f"got {len(events)} of {n}: {events}"
        events.append(event)
    return events


def _nothing_more(subscription: Subscription) -> None:
    assert subscription.get(timeout=0.3) is None


# What every bus does ------------------------------------------------------------------


def test_every_subscriber_gets_every_event_on_its_topics(bus: EventBus) -> None:
    console_a = bus.subscribe("call.agent_called")
    console_b = bus.subscribe("call.agent_called")
    wallboard = bus.subscribe("call.hangup")
    bus.publish("call.agent_called", {"call_id": 12, "agent": "李娜"})
    bus.publish("call.hangup", {"call_id": 12})
    for subscription in (console_a, console_b):
        (event,) = _take(subscription, 1)
        assert (event.topic, event.payload) == (
            "call.agent_called",
            {"call_id": 12, "agent": "李娜"},
        )
        _nothing_more(subscription)
    assert [e.topic for e in _take(wallboard, 1)] == ["call.hangup"]


@pytest.mark.parametrize(
    ("pattern", "receives"),
    [
        ("call.*", ["call.agent_called", "call.queue.left", "call.hangup"]),
        ("*", ["call.agent_called", "call.queue.left", "call.hangup", "work_order.created"]),
        ("call.agent_*", ["call.agent_called"]),
        ("call.?angup", ["call.hangup"]),
        ("work_order.created", ["work_order.created"]),
        ("survey.*", []),
    ],
)
def test_patterns_are_globs_where_star_also_matches_dots(
    bus: EventBus, pattern: str, receives: list[str]
) -> None:
    subscription = bus.subscribe(pattern)
    topics = ["call.agent_called", "call.queue.left", "work_order.created", "call.hangup"]
    for topic in topics:
        bus.publish(topic, {})
    got = []
    while (event := subscription.get(timeout=0.5)) is not None:
        got.append(event.topic)
    assert got == [t for t in topics if t in receives]


def test_a_subscription_to_overlapping_patterns_gets_each_event_once(bus: EventBus) -> None:
    subscription = bus.subscribe("call.*", "call.hangup", "*")
    bus.publish("call.hangup", {"n": 1})
    bus.publish("call.queue_joined", {"n": 2})
    assert [e.payload["n"] for e in _take(subscription, 2)] == [1, 2]
    _nothing_more(subscription)


def test_each_publishers_events_arrive_in_the_order_it_published_them(bus: EventBus) -> None:
    subscribers = [bus.subscribe("call.*") for _ in range(2)]
    per_thread = 150

    def publish(thread: int) -> None:
        for n in range(per_thread):
            bus.publish(f"call.t{thread}", {"thread": thread, "n": n})

    threads = [threading.Thread(target=publish, args=(t,)) for t in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    orders = []
    for subscription in subscribers:
        events = _take(subscription, 3 * per_thread)
        for t in range(3):
            assert [e.payload["n"] for e in events if e.payload["thread"] == t] == list(
                range(per_thread)
            )
        orders.append([e.id for e in events])
    assert orders[0] == orders[1]  # and every subscriber sees the same order


def test_payloads_round_trip_as_json_with_id_and_utc_time(bus: EventBus) -> None:
    subscription = bus.subscribe("call.agent_connected")
    payload = {
        "call_id": 12,
        "agent": "李娜",
        "hold_time": 12,
        "ratio": 0.25,
        "resident_id": None,
        "vip": False,
        "queues": ["repair", "emergency"],
        "caller": {"e164": "+8613800138000", "units": [{"address": "3栋2单元1502"}]},
    }
    before = dt.datetime.now(dt.UTC)
    published = bus.publish("call.agent_connected", payload)
    second = bus.publish("call.agent_connected", {"n": 2})
    received, _ = _take(subscription, 2)
    assert received == published
    assert received.payload == payload
    assert received.at.tzinfo is not None and received.at.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(seconds=1) <= received.at <= dt.datetime.now(dt.UTC)
    assert second.id > published.id
    payload["agent"] = "changed after publishing"
    assert received.payload["agent"] == "李娜"  # subscribers get copies


def test_what_is_not_a_json_object_is_refused_at_publish(bus: EventBus) -> None:
    with pytest.raises(TypeError, match="JSON"):
        bus.publish("call.hangup", {"at": dt.datetime.now(dt.UTC)})
    with pytest.raises(TypeError, match="JSON"):
        bus.publish("call.hangup", {"ratio": float("nan")})
    with pytest.raises(TypeError, match="dict"):
        bus.publish("call.hangup", ["not", "an", "object"])  # type: ignore[arg-type]
    for topic in ("", "call.*", "call..hangup", "call hangup", ".call"):
        with pytest.raises(ValueError, match="topic"):
            bus.publish(topic, {})
    for pattern in ("call.[ab]", "", "call hangup"):
        with pytest.raises(ValueError):
            bus.subscribe(pattern)


def test_closing_a_subscription_ends_its_iteration_and_wakes_a_waiting_get(
    bus: EventBus,
) -> None:
    subscription = bus.subscribe("call.*")
    other = bus.subscribe("call.*")
    woken: list[object] = []
    waiter = threading.Thread(target=lambda: woken.append(subscription.get(timeout=10)))
    waiter.start()
    time.sleep(0.1)
    started = time.monotonic()
    subscription.close()
    waiter.join()
    assert woken == [None] and time.monotonic() - started < 1.0
    assert list(subscription) == []
    subscription.close()  # twice is fine
    bus.publish("call.hangup", {"n": 1})  # publishers go on; the others still receive
    assert subscription.get(timeout=0.2) is None
    assert [e.payload for e in _take(other, 1)] == [{"n": 1}]


def test_iterating_yields_events_until_closed(bus: EventBus) -> None:
    subscription = bus.subscribe("call.*")
    got: list[int] = []

    def consume() -> None:
        for event in subscription:
            got.append(event.payload["n"])

    consumer = threading.Thread(target=consume)
    consumer.start()
    for n in range(3):
        bus.publish("call.hangup", {"n": n})
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    subscription.close()
    consumer.join(5)
    assert not consumer.is_alive()
    assert got == [0, 1, 2]


def test_closing_the_bus_closes_its_subscriptions(bus: EventBus) -> None:
    subscription = bus.subscribe("call.*")
    bus.close()
    assert subscription.closed
    assert subscription.get(timeout=0.1) is None


def test_a_slow_subscriber_loses_its_oldest_events_and_never_holds_up_the_publisher(
    bus: EventBus,
) -> None:
    slow = bus.subscribe("call.*", max_queue=3)
    fast = bus.subscribe("call.*")
    started = time.monotonic()
    for n in range(50):
        bus.publish("call.queue_joined", {"n": n})
    assert time.monotonic() - started < 2.0
    assert [e.payload["n"] for e in _take(fast, 50)] == list(range(50))  # all delivered
    deadline = time.monotonic() + 5
    while slow.dropped < 47 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slow.dropped == 47
    assert [e.payload["n"] for e in _take(slow, 3)] == [47, 48, 49]  # the newest are kept
    assert fast.dropped == 0


def test_in_process_and_redis_buses_are_chosen_by_the_configuration(redis_url: str) -> None:
    with make_bus(load_config(env={})) as bus:
        assert isinstance(bus, InProcessBus) and bus.healthy()
    with make_bus(load_config(env={"HOTLINE_REDIS_URL": redis_url})) as bus:
        assert isinstance(bus, RedisBus) and bus.healthy()
        assert bus.prefix == "hotline:"


def test_a_redis_url_that_is_not_one_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="HOTLINE_REDIS_URL"):
        RedisBus("http://127.0.0.1:6379")


# Redis only -----------------------------------------------------------------------------


def test_events_published_by_another_process_reach_this_one(redis_url: str) -> None:
    prefix = _prefix()
    publisher = textwrap.dedent(
        """
        import sys
        from hotline.bus import RedisBus

        with RedisBus(sys.argv[1], prefix=sys.argv[2]) as bus:
            for n in range(5):
                bus.publish("call.agent_called", {"n": n, "agent": "李娜", "from": "dialer"})
            bus.publish("work_order.created", {"number": "WO-2026-000001"})
        """
    )
    with RedisBus(redis_url, prefix=prefix) as bus:
        subscription = bus.subscribe("call.*", "work_order.created")
        subprocess.run([sys.executable, "-c", publisher, redis_url, prefix], check=True, timeout=60)
        events = _take(subscription, 6)
    assert [e.payload.get("n") for e in events[:5]] == [0, 1, 2, 3, 4]
    assert events[0].payload == {"n": 0, "agent": "李娜", "from": "dialer"}
    assert events[5].topic == "work_order.created"
    assert [e.id for e in events] == sorted(e.id for e in events)


def test_other_prefixes_are_other_buses(redis_url: str) -> None:
    with (
        RedisBus(redis_url, prefix=_prefix()) as ours,
        RedisBus(redis_url, prefix=_prefix()) as theirs,
    ):
        subscription = ours.subscribe("*")
        theirs.publish("call.hangup", {"theirs": True})
        ours.publish("call.hangup", {"ours": True})
        assert [e.payload for e in _take(subscription, 1)] == [{"ours": True}]
        _nothing_more(subscription)


def test_a_message_that_is_not_an_event_is_skipped(redis_url: str) -> None:
    prefix = _prefix()
    client = redis.Redis.from_url(redis_url)
    with RedisBus(redis_url, prefix=prefix) as bus:
        subscription = bus.subscribe("call.*")
        client.publish(prefix + "call.hangup", b"\xff not json")
        bus.publish("call.hangup", {"n": 1})
        assert [e.payload for e in _take(subscription, 1)] == [{"n": 1}]
    client.close()


class FlakyRedis:
    """A TCP proxy in front of Redis that goes down and comes back on the same port."""

    def __init__(self, upstream: str) -> None:
        parsed = redis.connection.parse_url(upstream)
        self.upstream = (parsed.get("host", "127.0.0.1"), int(parsed.get("port", 6379)))
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.up()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def down(self) -> None:
        """Every connection cut and the port closed, as when Redis stops."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join()
        self._threads = []
        for sock in sockets:
            sock.close()

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def flaky_redis(redis_url: str) -> Iterator[FlakyRedis]:
    proxy = FlakyRedis(redis_url)
    yield proxy
    proxy.down()


def test_given_redis_restarts_then_publishers_and_subscribers_reconnect(
    flaky_redis: FlakyRedis,
) -> None:
    with RedisBus(flaky_redis.url, prefix=_prefix(), connect_timeout=0.5) as bus:
        subscription = bus.subscribe("call.*")
        bus.publish("call.queue_joined", {"n": 1})
        assert [e.payload for e in _take(subscription, 1)] == [{"n": 1}]

        flaky_redis.down()
        with pytest.raises(BusUnavailable, match="call.hangup"):
            bus.publish("call.hangup", {"n": 2})
        assert not bus.healthy()
        deadline = time.monotonic() + 5
        while subscription.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not subscription.connected

        flaky_redis.up()
        deadline = time.monotonic() + 15
        while not subscription.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bus.healthy()
        # Redis has re-subscribed us once our reader reconnected: publish until it shows
        received = None
        while received is None and time.monotonic() < deadline:
            bus.publish("call.hangup", {"n": 3})
            received = subscription.get(timeout=0.2)
        assert received is not None and received.payload == {"n": 3}
        assert subscription.reconnects == 1


def test_subscribing_while_redis_is_down_says_so(flaky_redis: FlakyRedis) -> None:
    flaky_redis.down()
    with RedisBus(flaky_redis.url, prefix=_prefix(), connect_timeout=0.5) as bus:
        with pytest.raises(BusUnavailable, match="subscribe"):
            bus.subscribe("call.*")
        assert not bus.healthy()
