"""The pacer: Twilio's 1 call per second per account, and a bound on calls being placed."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from hotline.exceptions import ConfigError
from ivr.outbound.calls import OutboundCall, PlacedCall
from ivr.outbound.pacing import Pacer, SharedPacer, account_pacer
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.services import PacedProvider
from tests.outbound.conftest import callback


class FakeClock:
    """Monotonic seconds that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_given_twilios_default_when_five_calls_then_they_take_four_seconds() -> None:
    clock = FakeClock()
    recorder = RecordingProvider()
    provider = PacedProvider(recorder, Pacer(clock=clock, sleep=clock.sleep))

    for n in range(5):
        provider.place(callback(correlation_id=f"cb-{n}"))

    assert clock.now >= 4.0
    assert clock.slept == [1.0, 1.0, 1.0, 1.0]
    assert len(recorder.placed) == 5


def test_given_five_threads_at_once_then_starts_are_a_second_apart() -> None:
    clock = FakeClock()
    pacer = Pacer(1.0, max_concurrent=5, clock=clock, sleep=lambda seconds: None)
    starts: list[float] = []
    lock = threading.Lock()

    def start() -> None:
        with pacer.slot() as at, lock:
            starts.append(at)

    threads = [threading.Thread(target=start) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert sorted(starts) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_given_a_quiet_spell_then_the_next_call_starts_at_once_without_a_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.acquire()
    clock.now = 60.0

    assert [pacer.acquire(), pacer.acquire()] == [60.0, 61.0]


def test_given_a_burst_of_three_then_three_start_together_and_the_fourth_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(2.0, burst=3, clock=clock, sleep=lambda seconds: None)

    assert [pacer.acquire() for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]


def test_given_a_limit_of_two_in_flight_then_a_third_call_waits_for_one_to_finish() -> None:
    gate = threading.Event()
    lock = threading.Lock()
    inside, peak, done = 0, 0, 0

    class SlowTwilio:
        def place(self, call: OutboundCall) -> PlacedCall:
            nonlocal inside, peak, done
            with lock:
                inside += 1
                peak = max(peak, inside)
            gate.wait(timeout=5)
            with lock:
                inside, done = inside - 1, done + 1
            return PlacedCall(provider_call_id=call.correlation_id, status="queued")

    pacer = Pacer(1000.0, max_concurrent=2, clock=lambda: 0.0, sleep=lambda seconds: None)
    provider = PacedProvider(SlowTwilio(), pacer)
    threads = [
        threading.Thread(target=provider.place, args=(callback(correlation_id=str(n)),))
        for n in range(5)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while inside < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)  # room for a third to get in, were the limit not held
    assert inside == 2
    gate.set()
    for thread in threads:
        thread.join(timeout=5)

    assert (peak, done) == (2, 5)


def test_the_default_rate_is_twilios_one_call_per_second() -> None:
    assert Pacer().interval == 1.0


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_given_no_rate_then_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        Pacer(rate)


# Several dialers, one rate: the bucket in Redis.


def shared_pacers(redis_url: str, n: int, rate: float) -> list[SharedPacer]:
    """``n`` pacers as ``n`` processes would hold them: each its own client, one key."""
    key = f"hotline-test-{uuid.uuid4().hex[:10]}:pace"
    return [
        SharedPacer(redis.Redis.from_url(redis_url), key, rate, sleep=lambda s: None)
        for _ in range(n)
    ]


def test_dialers_sharing_redis_book_starts_one_interval_apart_between_them(
    redis_url: str,
) -> None:
    pacers = shared_pacers(redis_url, 3, 20.0)
    starts: list[float] = []
    lock = threading.Lock()

    def dial(pacer: SharedPacer) -> None:
        for _ in range(20):
            start = pacer.acquire()  # sleeps are skipped: only the booking is measured
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=dial, args=(p,)) for p in pacers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    starts.sort()
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 60
    assert min(gaps) >= 0.05 - 1e-6  # 20 calls/s for all three together, not for each
    assert starts[-1] - starts[0] >= 59 * 0.05 - 1e-6


def test_a_shared_pacer_waits_for_its_booked_start(redis_url: str) -> None:
    slept: list[float] = []
    key = f"hotline-test-{uuid.uuid4().hex[:10]}:pace"
    pacer = SharedPacer(redis.Redis.from_url(redis_url), key, 2.0, sleep=slept.append)

    first, second = pacer.acquire(), pacer.acquire()

    assert slept and 0.4 < slept[-1] <= 0.5 + 1e-6 and second - first == pytest.approx(0.5)


def test_without_redis_a_dialer_paces_alone_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    pacer = SharedPacer(unreachable, "hotline-test:pace", 1.0, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        pacer.acquire()

    assert clock.now >= 2.0  # still one call per second
    assert sum("alone" in r.message for r in caplog.records) == 1


def test_the_pacer_is_shared_only_when_redis_is_configured(redis_url: str) -> None:
    assert type(account_pacer("", "AC1", 1.0)) is Pacer
    shared = account_pacer(redis_url, "AC1", 1.0)
    assert isinstance(shared, SharedPacer) and shared.key == "hotline:pace:AC1"
    with pytest.raises(ConfigError, match="HOTLINE_REDIS_URL"):
        account_pacer("http://nowhere", "AC1", 1.0)
