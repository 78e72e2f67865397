"""The pacer: Twilio's 1 call per second per account, and a bound on calls being placed."""

from __future__ import annotations

import threading
import time

import pytest

from ivr.outbound.calls import OutboundCall, PlacedCall
from ivr.outbound.pacing import Pacer
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
