"""What a long-running process does once it has started."""

from __future__ import annotations

import gc


def settle() -> None:
    """Start-up is over: what exists now (modules, the app, its engine) lives as long as
    the process.

    ``gc.freeze()`` puts those objects out of the cyclic collector's reach, so the
    collections that each request's allocations trigger walk only what requests
    made since, not the whole app: about 8% of a Twilio webhook's instructions
    (bench/README.md). Call it once, after start-up: frozen objects are never
    collected, so not where apps are built again and again (tests).
    """
    gc.collect()
    gc.freeze()
