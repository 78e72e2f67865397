"""Outbound calls: one small interface over Twilio's REST API, the simulator, and later Asterisk.

The survey, the callback and the on-call escalation place calls through
:class:`~ivr.outbound.calls.Provider`; :func:`~ivr.outbound.services.make_provider`
picks the implementation from the hotline's Config and paces it.

| module           | what it holds                                                        |
| ---------------- | -------------------------------------------------------------------- |
| `calls.py`       | the request, the answer and the ``Provider`` protocol (no I/O)       |
| `twilio_rest.py` | ``TwilioProvider``: ``Client.calls.create`` and its errors           |
| `recording.py`   | ``RecordingProvider``: places nothing, keeps rings for the simulator |
| `pacing.py`      | ``Pacer``: calls per second and calls in flight, thread-safe         |
| `services.py`    | ``make_provider(config)``, ``PacedProvider``                         |
| `settings.py`    | what outbound calling needs to know, from the hotline's Config       |
| `exceptions.py`  | what can go wrong                                                    |
"""

from ivr.outbound.calls import OutboundCall, PlacedCall, Provider, Purpose
from ivr.outbound.exceptions import CallRejected, OutboundError, ProviderUnavailable
from ivr.outbound.services import make_provider

__all__ = [
    "CallRejected",
    "OutboundCall",
    "OutboundError",
    "PlacedCall",
    "Provider",
    "ProviderUnavailable",
    "Purpose",
    "make_provider",
]
