"""Pacing outbound calls: so many per second, so many at once.

Twilio queues a REST-created call it cannot start yet, at 1 call per second per
account unless the account's CPS was raised; calls beyond its queue are refused.
Pacing here keeps the hotline under that rate instead of relying on the queue.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

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
