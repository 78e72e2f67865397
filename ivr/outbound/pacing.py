"""Pacing outbound calls: so many per second, so many at once.

Twilio queues a REST-created call it cannot start yet, at 1 call per second per
account unless the account's CPS was raised; calls beyond its queue are refused.
Pacing here keeps the hotline under that rate instead of relying on the queue.

One process paces with :class:`Pacer`. Several dialers (on several machines) share
one rate through Redis with :class:`SharedPacer`: the same bucket, kept in Redis and
advanced atomically on Redis's own clock, so the account's rate holds whatever the
number of dialers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import redis

from hotline.exceptions import ConfigError

log = logging.getLogger(__name__)

TWILIO_DEFAULT_CPS = 1.0  # Twilio's default calls-per-second limit for an account


class Pacer:
    """A thread-safe token bucket (one token by default) and a limit on calls in flight.

    :param calls_per_second: the rate calls start at, over any window.
    :param max_concurrent: calls that may be in ``slot()`` at once.
    :param burst: how many calls may start back to back after a quiet spell.
    :param clock: monotonic seconds; ``sleep`` waits that clock's seconds (tests pass fakes).
    """

    def __init__(
        self,
        calls_per_second: float = TWILIO_DEFAULT_CPS,
        *,
        max_concurrent: int = 4,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls_per_second <= 0:
            raise ValueError(f"calls_per_second must be positive, got {calls_per_second}")
        if max_concurrent < 1 or burst < 1:
            raise ValueError("max_concurrent and burst must be at least 1")
        self.interval = 1.0 / calls_per_second
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None  # the earliest start of the next call (GCRA's TAT)
        self._in_flight = threading.BoundedSemaphore(max_concurrent)

    def acquire(self) -> float:
        """Wait for the next start the rate allows; returns that start on the clock."""
        with self._lock:
            now = self._clock()
            earliest = now if self._next is None else max(now, self._next)
            # Up to ``burst`` starts may share a moment once the bucket has refilled.
            start = max(now, earliest - (self.burst - 1) * self.interval)
            self._next = earliest + self.interval
        if start > now:
            self._sleep(start - now)
        return start

    @contextlib.contextmanager
    def slot(self) -> Iterator[float]:
        """Hold one of the ``max_concurrent`` places, then wait for the rate; yields the start."""
        with self._in_flight:
            yield self.acquire()


# GCRA on Redis's clock: KEYS[1] holds the earliest start of the next call (TAT), in
# seconds; ARGV: the interval, the burst. Returns this call's start, on Redis's clock.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local earliest = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local start = math.max(now, earliest - (burst - 1) * interval)
local following = earliest + interval
redis.call('SET', KEYS[1], string.format('%.6f', following),
           'PX', math.ceil((following - now) * 1000) + 60000)
return {string.format('%.6f', start), string.format('%.6f', now)}
"""


class SharedPacer(Pacer):
    """A :class:`Pacer` whose rate is shared by every process using the same Redis ``key``.

    Each start is booked in Redis by one atomic script (Redis's clock, so the machines'
    clocks need not agree), then waited for here. Calls in flight stay per process.
    While Redis cannot be reached the process paces on its own, at the whole rate, and
    says so once: calls go on (a refused call is retried by the policy), and the shared
    rate resumes with Redis.
    """

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        calls_per_second: float = TWILIO_DEFAULT_CPS,
        *,
        max_concurrent: int = 4,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            calls_per_second, max_concurrent=max_concurrent, burst=burst, clock=clock, sleep=sleep
        )
        self.key = key
        self._client = client
        self._take = client.register_script(_TAKE)
        self._alone = False  # pacing without Redis, said once

    def acquire(self) -> float:
        """Book the next start the shared rate allows and wait for it; that start, in
        Redis's seconds (the process's own clock while Redis is away)."""
        try:
            start, now = (
                float(x) for x in self._take(keys=[self.key], args=[self.interval, self.burst])
            )
        except redis.RedisError as exc:
            if not self._alone:
                log.warning("pacing %s alone: Redis cannot be reached (%s)", self.key, exc)
                self._alone = True
            return super().acquire()
        if self._alone:
            log.info("pacing %s shared through Redis again", self.key)
            self._alone = False
        if start > now:
            self._sleep(start - now)
        return start


def account_pacer(
    redis_url: str,
    account: str,
    calls_per_second: float,
    *,
    max_concurrent: int = 4,
    prefix: str = "hotline:",
) -> Pacer:
    """The pacer for the calls of ``account`` (a Twilio account SID, or the AMI host):
    shared through Redis when ``redis_url`` is set (several processes), else this
    process's own.

    :raises ConfigError: ``redis_url`` is not a Redis URL.
    """
    if not redis_url:
        return Pacer(calls_per_second, max_concurrent=max_concurrent)
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_timeout=2.0)
    except ValueError as exc:
        raise ConfigError(f"HOTLINE_REDIS_URL {redis_url!r} is not valid ({exc})") from exc
    return SharedPacer(
        client,
        f"{prefix}pace:{account or 'default'}",
        calls_per_second,
        max_concurrent=max_concurrent,
    )
