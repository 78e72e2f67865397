"""When no telephony is configured: calls are kept as rings for the browser simulator.

The simulator's phone takes the next pending ring (:meth:`RecordingProvider.next_ring`)
and drives the answer webhook with it, as Twilio would once the callee picked up.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import threading
import uuid
from collections.abc import Callable

from ivr.outbound.calls import OutboundCall, PlacedCall
from models import utcnow

MAX_PENDING = 100  # rings nobody answers are dropped oldest first, as a phone stops ringing


@dataclasses.dataclass(frozen=True)
class Ring:
    """One call the hotline placed, waiting for the simulator to pick it up."""

    call: OutboundCall
    provider_call_id: str  # Twilio-shaped (CA + 32 hex), so the Twilio webhooks take it
    placed_at: dt.datetime


class RecordingProvider:
    """Places nothing: records each call and queues it as a ring for the simulator."""

    def __init__(self, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._clock = clock
        self._pending: collections.deque[Ring] = collections.deque(maxlen=MAX_PENDING)
        self._placed: list[Ring] = []
        self._changed = threading.Condition()

    def place(self, call: OutboundCall) -> PlacedCall:
        ring = Ring(call=call, provider_call_id=f"CA{uuid.uuid4().hex}", placed_at=self._clock())
        with self._changed:
            self._pending.append(ring)
            self._placed.append(ring)
            self._changed.notify_all()
        return PlacedCall(provider_call_id=ring.provider_call_id, status="queued")

    @property
    def placed(self) -> list[Ring]:
        """Every call placed so far, oldest first."""
        with self._changed:
            return list(self._placed)

    def pending(self) -> list[Ring]:
        """The rings nobody has picked up yet, oldest first."""
        with self._changed:
            return list(self._pending)

    def next_ring(self, timeout: float | None = 0.0) -> Ring | None:
        """Take the oldest pending ring, waiting up to ``timeout`` seconds (None: for ever)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending, timeout=timeout):
                return None
            return self._pending.popleft()

    def take(self, provider_call_id: str) -> Ring | None:
        """Take the pending ring with this id, if it is still ringing."""
        with self._changed:
            for ring in self._pending:
                if ring.provider_call_id == provider_call_id:
                    self._pending.remove(ring)
                    return ring
        return None
