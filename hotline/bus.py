"""The event bus: what happens on calls, published once, delivered to every subscriber.

Calls, work orders and surveys publish events (``call.agent_connected``,
``work_order.created`` …); the console subscribes and pushes them to browsers.
In one process the bus lives in memory (:class:`InProcessBus`); when several
processes run it is Redis pub/sub (:class:`RedisBus`). :func:`make_bus` picks
one from ``HOTLINE_REDIS_URL``.

- Topics are dotted names (``call.hangup``). A subscription takes topics or
  glob patterns (``call.*``; ``*`` matches dots too, ``?`` one character),
  with the same meaning on both buses.
- Delivery is live and at most once: a subscriber receives what is published
  while it is subscribed, in the order each publisher published it. Events are
  notices, the database is the record: a consumer that may have missed some
  (``Subscription.dropped``, ``Subscription.reconnects``) reads the database.
- A slow subscriber never holds a publisher up. Each subscription has a
  bounded queue; when it is full the *oldest* waiting event is dropped and
  counted in ``Subscription.dropped``, so a consumer that catches up sees the
  newest state.
- A payload is a JSON object; every subscriber gets its own decoded copy.

BusError
└── BusUnavailable     Redis cannot be reached: the event was not published
"""

from __future__ import annotations

import abc
import collections
import dataclasses
import datetime as dt
import fnmatch
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from hotline.config import Config
from hotline.exceptions import ConfigError, HotlineError

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 1000  # events waiting per subscriber before the oldest is dropped
DEFAULT_PREFIX = "hotline:"  # Redis channel = prefix + topic

_TOPIC = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")
_PATTERN = re.compile(r"[A-Za-z0-9_.*?-]+\Z")
_PREFIX = re.compile(r"[A-Za-z0-9_.:-]*\Z")


class BusError(HotlineError):
    """Base of the event bus's errors."""


class BusUnavailable(BusError):
    """The bus's server (Redis) cannot be reached; the event was not published."""


@dataclasses.dataclass(frozen=True)
class Event:
    """One published event.

    ``id`` is microseconds since the epoch, strictly increasing within a process,
    so ids from several processes are roughly in time order; ``at`` is when it
    was published, in UTC.
    """

    topic: str
    payload: dict[str, Any]
    id: int
    at: dt.datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "at": self.at.isoformat(),
                "topic": self.topic,
                "payload": self.payload,
            },
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        data = json.loads(text)
        return cls(
            topic=data["topic"],
            payload=data["payload"],
            id=int(data["id"]),
            at=dt.datetime.fromisoformat(data["at"]),
        )


class _Clock:
    """Event ids and times: one clock reading, the id bumped to stay increasing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> tuple[int, dt.datetime]:
        now = time.time_ns() // 1000
        with self._lock:
            self._last = max(now, self._last + 1)
            return self._last, dt.datetime.fromtimestamp(now / 1_000_000, dt.UTC)


_clock = _Clock()


def new_event(topic: str, payload: dict[str, Any]) -> tuple[Event, str]:
    """The event for ``topic`` and its JSON text.

    :raises ValueError: for a topic that is not a dotted name.
    :raises TypeError: for a payload that is not a JSON object.
    """
    if not isinstance(topic, str) or not _TOPIC.match(topic):
        raise ValueError(f"topic {topic!r} is not a dotted name like 'call.hangup'")
    if not isinstance(payload, dict):
        raise TypeError(f"event payload for {topic!r} must be a dict, not {type(payload).__name__}")
    event_id, at = _clock.next()
    event = Event(topic=topic, payload=payload, id=event_id, at=at)
    try:
        text = event.to_json()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"event payload for {topic!r} is not JSON-serialisable: {exc}") from exc
    return Event.from_json(text), text  # the publisher's copy is decoupled from its dict too


def _check_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    if not patterns:
        raise ValueError("subscribe to at least one topic or pattern")
    for pattern in patterns:
        if not isinstance(pattern, str) or not _PATTERN.match(pattern):
            raise ValueError(f"{pattern!r} is not a topic or a pattern like 'call.*'")
    return patterns


class Subscription:
    """What one subscriber receives: events on its topics, oldest first.

    ``get(timeout)`` returns the next event, or None on timeout or once closed;
    iterating yields events until the subscription is closed.
    """

    def __init__(self, patterns: tuple[str, ...], *, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.patterns = _check_patterns(patterns)
        self.max_queue = max_queue
        self._events: collections.deque[Event] = collections.deque()
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0  # events dropped because this subscriber fell behind
        self.connected = True  # False while the bus's server is out of reach
        self.reconnects = 0  # times the bus lost and regained its server (events may be lost)

    def matches(self, topic: str) -> bool:
        return any(fnmatch.fnmatchcase(topic, p) for p in self.patterns)

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None after ``timeout`` seconds (None: wait) or once closed."""
        with self._ready:
            self._ready.wait_for(lambda: self._events or self._closed, timeout)
            if self._closed or not self._events:
                return None
            return self._events.popleft()

    def __iter__(self) -> Iterator[Event]:
        while (event := self.get()) is not None:
            yield event

    def close(self) -> None:
        """Stop receiving; waiting ``get`` calls return None. Safe to call twice."""
        with self._ready:
            self._closed = True
            self._events.clear()
            self._ready.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deliver(self, event: Event) -> None:
        """Queue ``event``; never blocks. A full queue drops its oldest event."""
        with self._ready:
            if self._closed:
                return
            if len(self._events) >= self.max_queue:
                self._events.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning(
                        "subscriber to %s is too slow: %d event(s) dropped so far",
                        ",".join(self.patterns),
                        self.dropped,
                    )
            self._events.append(event)
            self._ready.notify()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(patterns={self.patterns!r}, dropped={self.dropped})"


class EventBus(abc.ABC):
    """Publish events by topic; subscribe to topics or patterns."""

    @abc.abstractmethod
    def publish(self, topic: str, payload: dict[str, Any]) -> Event:
        """Publish ``payload`` on ``topic``; the event as subscribers will see it.

        :raises BusUnavailable: when the bus's server cannot be reached.
        """

    @abc.abstractmethod
    def subscribe(self, *patterns: str, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        """A subscription to topics or glob patterns (``call.*``), live from now on."""

    def healthy(self) -> bool:
        """True when events can be published now."""
        return True

    @abc.abstractmethod
    def close(self) -> None:
        """Close every subscription and give back the bus's connections."""

    def __enter__(self) -> EventBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessBus(EventBus):
    """The bus inside one process: thread-safe, every subscriber in the same order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[_InProcessSubscription] = []

    def publish(self, topic: str, payload: dict[str, Any]) -> Event:
        event, text = new_event(topic, payload)
        with self._lock:  # delivery never blocks, so holding the lock keeps one global order
            for subscription in self._subscriptions:
                if subscription.matches(topic):
                    subscription._deliver(Event.from_json(text))
        return event

    def subscribe(self, *patterns: str, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        subscription = _InProcessSubscription(self, patterns, max_queue=max_queue)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def close(self) -> None:
        with self._lock:
            subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            Subscription.close(subscription)

    def _forget(self, subscription: _InProcessSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)


class _InProcessSubscription(Subscription):
    def __init__(self, bus: InProcessBus, patterns: tuple[str, ...], *, max_queue: int) -> None:
        super().__init__(patterns, max_queue=max_queue)
        self._bus = bus

    def close(self) -> None:
        self._bus._forget(self)
        super().close()


# Redis ------------------------------------------------------------------------------------

POLL_S = 0.2  # how often a subscription's reader looks at its stop flag
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.1, 5.0
SUBSCRIBE_TIMEOUT_S = 5.0
RECENT = 32  # raw messages remembered to drop the copies overlapping patterns produce


class RedisBus(EventBus):
    """Redis pub/sub: channel ``prefix + topic``, payloads as JSON text.

    Publishing goes through one client whose connections reconnect on the next
    use; each subscription has a connection and a reader thread of its own,
    which reconnects and subscribes again after Redis restarts. What is
    published while a subscription is cut off is lost to it (Redis keeps no
    pub/sub history); its ``reconnects`` count tells the consumer to re-read.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        connect_timeout: float = 2.0,
        client_name: str = "hotline-bus",
    ) -> None:
        """:raises ConfigError: for a URL that is not ``redis://`` or ``rediss://``."""
        if not _PREFIX.match(prefix):
            raise ConfigError(f"Redis channel prefix {prefix!r} may not hold glob characters")
        self.prefix = prefix
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout,
                socket_timeout=5.0,
                socket_keepalive=True,
                health_check_interval=30,  # pub/sub connections PING when idle this long
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                client_name=client_name,
            )
        except ValueError as exc:
            raise ConfigError(
                f"HOTLINE_REDIS_URL {url!r} is not valid: expected e.g. redis://127.0.0.1:6379/0"
                f" ({exc})"
            ) from exc
        kwargs = self._client.connection_pool.connection_kwargs
        self.where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
        self._lock = threading.Lock()
        self._subscriptions: list[_RedisSubscription] = []

    def publish(self, topic: str, payload: dict[str, Any]) -> Event:
        event, text = new_event(topic, payload)
        try:
            self._client.publish(self.prefix + topic, text)
        except redis.RedisError as exc:
            raise BusUnavailable(f"cannot publish {topic} to Redis at {self.where}: {exc}") from exc
        return event

    def subscribe(self, *patterns: str, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        """:raises BusUnavailable: when Redis cannot be reached to subscribe."""
        subscription = _RedisSubscription(self, patterns, max_queue=max_queue)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def healthy(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        with self._lock:
            subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:  # all readers told first, then waited for
            subscription.close(wait=False)
        for subscription in subscriptions:
            subscription.close()
        self._client.close()

    def _forget(self, subscription: _RedisSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)


class _RedisSubscription(Subscription):
    """A Redis pub/sub connection read by a thread of its own into the bounded queue."""

    def __init__(self, bus: RedisBus, patterns: tuple[str, ...], *, max_queue: int) -> None:
        super().__init__(patterns, max_queue=max_queue)
        self._bus = bus
        self._stop = threading.Event()
        self._recent: collections.deque[bytes] = collections.deque(maxlen=RECENT)
        self._pubsub = bus._client.pubsub()
        try:
            self._subscribe_and_confirm()
        except redis.RedisError as exc:
            self._pubsub.close()
            raise BusUnavailable(
                f"cannot subscribe to {','.join(patterns)} on Redis at {bus.where}: {exc}"
            ) from exc
        self._reader = threading.Thread(
            target=self._read, name=f"bus-{','.join(patterns)}"[:60], daemon=True
        )
        self._reader.start()

    def _subscribe_and_confirm(self) -> None:
        """Subscribe, and wait for Redis to confirm: events published after this are ours."""
        channels = [self._bus.prefix + p for p in self.patterns if not any(c in p for c in "*?")]
        globs = [self._bus.prefix + p for p in self.patterns if any(c in p for c in "*?")]
        if channels:
            self._pubsub.subscribe(*channels)
        if globs:
            self._pubsub.psubscribe(*globs)
        waiting = len(set(channels)) + len(set(globs))
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                raise redis.TimeoutError("no confirmation of the subscription")
            message = self._pubsub.get_message(timeout=left)
            if message is None:
                continue
            if message["type"] in ("subscribe", "psubscribe"):
                waiting -= 1
            else:
                self._receive(message)

    def _read(self) -> None:
        delay = RECONNECT_MIN_S
        try:
            while not self._stop.is_set():
                try:
                    message = self._pubsub.get_message(timeout=POLL_S)
                except (redis.RedisError, OSError) as exc:
                    if self.connected:
                        log.warning(
                            "event bus: lost Redis at %s (%s); reconnecting", self._bus.where, exc
                        )
                        self.connected = False
                    self._stop.wait(delay)
                    delay = min(delay * 2, RECONNECT_MAX_S)
                    continue
                if not self.connected:
                    # redis-py subscribes again by itself when its connection reconnects
                    log.info("event bus: Redis at %s is back; subscribed again", self._bus.where)
                    self.connected = True
                    self.reconnects += 1
                    delay = RECONNECT_MIN_S
                if message is not None:
                    self._receive(message)
        finally:
            self._pubsub.close()

    def _receive(self, message: dict[str, Any]) -> None:
        if message["type"] not in ("message", "pmessage"):
            return  # (p)subscribe confirmations, again after a reconnect
        data: bytes = message["data"]
        # A message matching several of our topics/patterns arrives once per match,
        # one copy right after the other: keep the first.
        if data in self._recent:
            return
        self._recent.append(data)
        try:
            event = Event.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning(
                "event bus: ignored a message on %r that is not an event: %s",
                message.get("channel"),
                exc,
            )
            return
        self._deliver(event)

    def close(self, wait: bool = True) -> None:
        """Stop receiving; ``wait`` for the reader to give its connection back."""
        self._bus._forget(self)
        super().close()
        self._stop.set()
        if wait and self._reader is not threading.current_thread():
            self._reader.join()


def make_bus(config: Config) -> EventBus:
    """Redis pub/sub when ``HOTLINE_REDIS_URL`` is set, else the in-process bus.

    :raises ConfigError: for a Redis URL that cannot be understood.
    """
    if config.redis_url:
        return RedisBus(config.redis_url)
    return InProcessBus()
