"""With no telephony configured, outbound calls become rings for the browser simulator."""

from __future__ import annotations

import re
import threading

from ivr.outbound import recording
from ivr.outbound.recording import RecordingProvider
from tests.outbound.conftest import callback


def test_given_a_callback_when_placed_then_it_rings_in_the_simulator() -> None:
    provider = RecordingProvider()

    placed = provider.place(callback())

    assert placed.status == "queued"
    assert re.fullmatch(r"CA[0-9a-f]{32}", placed.provider_call_id)
    [ring] = provider.pending()
    assert (ring.call, ring.provider_call_id) == (callback(), placed.provider_call_id)
    assert provider.next_ring() == ring
    assert provider.pending() == [] and provider.next_ring() is None
    assert provider.placed == [ring]


def test_given_two_rings_then_the_simulator_can_answer_either() -> None:
    provider = RecordingProvider()
    first = provider.place(callback(correlation_id="a"))
    second = provider.place(callback(correlation_id="b"))

    taken = provider.take(second.provider_call_id)

    assert taken is not None and taken.call.correlation_id == "b"
    assert [r.provider_call_id for r in provider.pending()] == [first.provider_call_id]
    assert provider.take(second.provider_call_id) is None


def test_given_the_simulator_waiting_when_a_call_is_placed_then_it_wakes() -> None:
    provider = RecordingProvider()
    rung: list[object] = []
    waiter = threading.Thread(target=lambda: rung.append(provider.next_ring(timeout=5)))
    waiter.start()

    placed = provider.place(callback())
    waiter.join(timeout=5)

    [ring] = rung
    assert getattr(ring, "provider_call_id", None) == placed.provider_call_id


def test_given_nobody_answering_then_the_oldest_rings_stop() -> None:
    provider = RecordingProvider()

    for n in range(recording.MAX_PENDING + 1):
        provider.place(callback(correlation_id=str(n)))

    pending = provider.pending()
    assert len(pending) == recording.MAX_PENDING
    assert pending[0].call.correlation_id == "1"
    assert len(provider.placed) == recording.MAX_PENDING + 1
